"""Golden build: the fixed small library (tests/site_fixtures.golden_rows) built afresh and diffed
against the committed HTML in tests/golden/. To accept an intended change, regenerate with
`GALLERY_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_site_golden.py` and review the git diff."""
from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

from tests.site_fixtures import build, site_files, write_golden_library

GOLDEN = Path(__file__).resolve().parent / "golden"
ASSETS = re.compile(r"assets/[0-9a-f]{12}/")


def normalised(text: str) -> str:
    """The asset folder is a hash of CSS/JS: a style tweak should not rewrite every golden file."""
    return ASSETS.sub("assets/ASSETS/", text)


def test_golden_build_matches_the_committed_html(tmp_path):
    write_golden_library(tmp_path)
    build(tmp_path)
    files = site_files(tmp_path / "site")
    pages = {name: normalised(path.read_text(encoding="utf-8")) for name, path in files.items() if name.endswith(".html")}
    listing = "".join(f"{name}\n" for name in sorted(files))
    if os.environ.get("GALLERY_UPDATE_GOLDEN") == "1":
        for old in GOLDEN.rglob("*.html"):
            old.unlink()
        for name, text in pages.items():
            (GOLDEN / name).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / name).write_text(text, encoding="utf-8")
        (GOLDEN / "FILES.txt").write_text(listing, encoding="utf-8")
    assert listing == (GOLDEN / "FILES.txt").read_text(encoding="utf-8"), "the set of published files changed"
    expected = {path.relative_to(GOLDEN).as_posix() for path in GOLDEN.rglob("*.html")}
    assert expected == set(pages)
    for name, text in sorted(pages.items()):
        golden = (GOLDEN / name).read_text(encoding="utf-8")
        if text != golden:
            diff = "".join(difflib.unified_diff(golden.splitlines(True), text.splitlines(True), f"golden/{name}", name))
            raise AssertionError(f"{name} differs from the golden file:\n{diff[:4000]}")
