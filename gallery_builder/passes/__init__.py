"""The pass registry: the one list of passes. The CLI flags, the runner and the status page read it.

Pass modules keep heavy imports (Pillow, onnxruntime, ...) inside functions, so reading the
registry is cheap.
"""
from __future__ import annotations

import importlib
from functools import cache

from gallery_builder.passes.base import Pass

# Each module defines one pass instance named PASS; registration order is the run order of peers.
PASS_MODULES: tuple[str, ...] = (
    "gallery_builder.passes.exif",
    "gallery_builder.passes.thumbs",
    "gallery_builder.passes.colors",
    "gallery_builder.passes.phash",
    "gallery_builder.passes.geocode",
    "gallery_builder.passes.clip",
    "gallery_builder.passes.faces",
    "gallery_builder.passes.quality",
    "gallery_builder.passes.concepts",
    "gallery_builder.passes.describe",
    "gallery_builder.passes.tags",
    "gallery_builder.passes.critique",
    "gallery_builder.passes.verify",
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


def default_pass_names(configured: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The passes a plain `gallery index` runs: the `default_passes` setting when set, else every
    pass whose `default` flag is on, in registration order."""
    return list(configured) or [name for name, the_pass in registry().items() if the_pass.default]


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
