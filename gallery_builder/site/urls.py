"""The builder's URLs: page addresses, safe slugs for untrusted names, and the check that no two
pages claim one URL. Rules shared with the sidecar (photos, thumbnails, originals) are in core.urls.

Every URL is site-relative without a leading slash ("" is the home page, "years/2023/" a year);
pages turn them into relative links so the site also works from a `file://` copy.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Iterable, Protocol

_FAITHFUL = re.compile(r"[a-z0-9][a-z0-9._-]{0,79}")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


class BuilderBug(RuntimeError):
    """An internal inconsistency of the builder (for example two pages claiming one URL)."""


def page_file(url: str) -> str:
    """The file a page URL is served from: `years/2023/` -> `years/2023/index.html`."""
    return url if url.endswith(".html") else url + "index.html"


def year_url(year: str) -> str:
    return f"years/{year}/"


def short_hash(text: str, length: int = 6) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()[:length]


def is_faithful(name: str) -> bool:
    """A name that is already a safe, case-stable URL segment and is used as it is."""
    return bool(_FAITHFUL.fullmatch(name)) and not name.endswith(".")


def slug(name: str) -> str:
    """Lower-case ASCII words of `name` joined by '-', at most 60 characters (may be empty)."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", ascii_text.lower()).strip("-")[:60].strip("-")


def segment(name: str, hash_length: int = 6) -> str:
    """The URL segment for one untrusted name: the name itself when faithful, else slug + hash.

    The hash is of the exact name, so two names that slug alike ("Trip", "trip!") get different,
    stable segments, and a segment never starts with "_" (reserved for a page's data files).
    """
    if is_faithful(name):
        return name
    base = slug(name)
    digest = short_hash(name, hash_length)
    return f"{base}-{digest}" if base else digest


def allocate_segments(names: Iterable[str]) -> dict[str, str]:
    """Unique segments for sibling names, deterministic whatever the order they come in.

    Faithful names keep themselves; a hashed segment that collides with another (a 24-bit hash
    clash) is lengthened until every sibling is unique.
    """
    unique = sorted(set(names))
    chosen = {name: segment(name) for name in unique}
    for length in (12, 32):
        owners: dict[str, list[str]] = {}
        for name, seg in chosen.items():
            owners.setdefault(seg, []).append(name)
        clashes = [group for group in owners.values() if len(group) > 1]
        if not clashes:
            return chosen
        for group in clashes:
            for name in group:
                if not is_faithful(name):
                    chosen[name] = segment(name, length)
    if len(set(chosen.values())) != len(chosen):
        raise BuilderBug(f"cannot allocate unique URL segments for {unique!r}")
    return chosen


def relative_prefix(url: str) -> str:
    """The relative path from a page at `url` back to the site root ("" -> "./")."""
    depth = url.count("/")            # "photos/12/12345.html" -> 2, like "years/2023/"
    return "../" * depth if depth else "./"


class Claim(Protocol):
    kind: str
    url: str


def check_unique_urls(pages: Iterable[Claim]) -> dict[str, Claim]:
    """Map URL -> page; two pages claiming one URL (or a file inside another page's URL) is a bug."""
    owners: dict[str, Claim] = {}
    for page in pages:
        other = owners.get(page.url)
        if other is not None:
            raise BuilderBug(f"two pages claim the URL /{page.url}: a {other.kind} page and a {page.kind} page")
        owners[page.url] = page
    for url, page in owners.items():
        if url and not url.endswith("/") and url + "/" in owners:
            raise BuilderBug(f"the file /{url} ({page.kind}) is also a page folder ({owners[url + '/'].kind})")
    return owners
