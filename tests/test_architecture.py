"""The tree is the architecture: import contracts (pyproject.toml, import-linter), few loose modules,
and a docstring saying what each module owns."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
LOOSE_MODULE_LIMIT = 5


def test_import_contracts_hold():
    """cli -> watch -> indexing/search_api -> site/export -> passes/analysis -> media/ml -> db ->
    core -> config, and the sidecar imports no builder, decoder, pass, Pillow, jinja2 or pyarrow."""
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint), "--no-cache"], cwd=REPOSITORY, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout and "kept" in result.stdout


def test_at_most_five_modules_stay_loose_at_the_top():
    loose = sorted(path.name for path in (REPOSITORY / "gallery_builder").glob("*.py"))
    assert len(loose) <= LOOSE_MODULE_LIMIT, loose


def test_every_module_says_what_it_owns():
    missing = []
    for path in sorted([*REPOSITORY.glob("gallery_builder/**/*.py"), *REPOSITORY.glob("search_api/*.py")]):
        if not ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))):
            missing.append(str(path.relative_to(REPOSITORY)))
    assert missing == []
