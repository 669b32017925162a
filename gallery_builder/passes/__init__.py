"""The pass registry: the one list of passes. The CLI flags, the runner and the status page read it.

Pass modules keep heavy imports (Pillow, onnxruntime, ...) inside functions, so reading the
registry is cheap.
"""
from __future__ import annotations

import importlib
from functools import cache

from gallery_builder.passes.base import Pass

# module name -> the pass class inside it is named in PASS_CLASSES
PASS_MODULES: tuple[str, ...] = (
    "gallery_builder.passes.exif",
    "gallery_builder.passes.thumbs",
    "gallery_builder.passes.colors",
    "gallery_builder.passes.phash",
    "gallery_builder.passes.geocode",
    "gallery_builder.passes.clip",
)


@cache
def registry() -> dict[str, Pass]:
    """Every pass by name, in registration order."""
    found: dict[str, Pass] = {}
    for module_name in PASS_MODULES:
        module = importlib.import_module(module_name)
        instance = module.PASS
        if instance.name in found:
            raise RuntimeError(f"two passes are named {instance.name!r}")
        found[instance.name] = instance
    return found


def get_pass(name: str, passes: dict[str, Pass] | None = None) -> Pass:
    try:
        return (registry() if passes is None else passes)[name]
    except KeyError:
        raise KeyError(f"unknown pass {name!r}; known: {', '.join(registry())}") from None


def in_dependency_order(names: list[str] | tuple[str, ...], passes: dict[str, Pass] | None = None) -> list[Pass]:
    """The named passes plus what they require, each after its requirements (`passes`: the registry)."""
    ordered: list[Pass] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if any(existing.name == name for existing in ordered):
            return
        if name in visiting:
            raise RuntimeError(f"pass requirements form a cycle at {name!r}")
        visiting.add(name)
        the_pass = get_pass(name, passes)
        for required in the_pass.requires:
            visit(required)
        ordered.append(the_pass)

    for name in names:
        visit(name)
    return ordered
