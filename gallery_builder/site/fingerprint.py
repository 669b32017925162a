"""Fingerprints: what a page's output depends on, hashed, so a rebuild renders only changed pages.

A page's fingerprint covers its inputs (its photos' rows, its prev/next neighbours, ...),
the templates its kind renders with (followed through extends/include/import), the asset bundle
its links point to, and the builder's own source code.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def to_plain(value: Any) -> Any:
    """json.dumps `default`: dataclasses become dicts of their fields (in declaration order)."""
    names = _FIELD_NAMES.get(type(value))
    if names is None:
        if not dataclasses.is_dataclass(value):
            raise TypeError(f"cannot fingerprint {type(value).__name__}")
        names = _FIELD_NAMES[type(value)] = tuple(field.name for field in dataclasses.fields(value))
    return {name: getattr(value, name) for name in names}


_ENCODER = json.JSONEncoder(default=to_plain, ensure_ascii=False, separators=(",", ":"), check_circular=False)


def canonical_json(value: Any) -> str:
    return _ENCODER.encode(value)


def digest(*parts: str | bytes) -> str:
    hasher = hashlib.blake2b(digest_size=16)
    for part in parts:
        hasher.update(part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part)
        hasher.update(b"\0")
    return hasher.hexdigest()


def pack(*parts: str) -> str:
    """Join fingerprint material unambiguously (each part prefixed with its length)."""
    return "".join(f"{len(part)}:{part}" for part in parts)


def page_fingerprint(kind_fingerprint: str, inputs: str) -> str:
    return hashlib.blake2b(f"{kind_fingerprint}\0{inputs}".encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def tree_fingerprint(folder: Path, suffixes: tuple[str, ...] = ()) -> str:
    """Hash of every file's relative path and bytes below `folder` (optionally only some suffixes)."""
    hasher = hashlib.blake2b(digest_size=16)
    for path in sorted(folder.rglob("*")):
        if path.is_file() and (not suffixes or path.suffix in suffixes):
            hasher.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
            hasher.update(path.read_bytes())
    return hasher.hexdigest()


def code_fingerprint() -> str:
    """The builder's own code and the neutral vocabulary it renders with (URL rules, thumbnail
    layout, fact wording in `core/`): a change to any of them re-renders the pages."""
    package = Path(__file__).resolve().parent
    return digest(tree_fingerprint(package, (".py",)), tree_fingerprint(package.parent / "core", (".py",)))


def template_dependencies(env: Any, name: str, seen: set[str] | None = None) -> set[str]:
    """`name` plus every template it extends, includes or imports, recursively."""
    from jinja2 import meta

    seen = set() if seen is None else seen
    if name in seen:
        return seen
    seen.add(name)
    source = env.loader.get_source(env, name)[0]
    for child in meta.find_referenced_templates(env.parse(source)):
        if child is None:
            raise ValueError(f"template {name} includes a template chosen at run time; name it literally")
        template_dependencies(env, child, seen)
    return seen


def template_fingerprint(env: Any, name: str) -> str:
    parts = []
    for dependency in sorted(template_dependencies(env, name)):
        parts += [dependency, env.loader.get_source(env, dependency)[0]]
    return digest(*parts)
