"""Shared fixtures: the shared corpus, generated libraries, a fresh data home."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = Path(os.environ.get("PHOTO_CORPUS", SHARED / "corpus"))
MAKE_LIBRARY = SHARED / "tools" / "make_library.py"


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not (CORPUS / "manifest.json").exists():
        pytest.skip(f"shared corpus not found at {CORPUS} (set PHOTO_CORPUS)")
    return CORPUS


@pytest.fixture(scope="session")
def manifest(corpus: Path) -> dict:
    return json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def make_library(out: Path, count: int, *extra: str) -> dict:
    """Run the shared generator (ground truth in out/ground_truth.json)."""
    if not MAKE_LIBRARY.exists():
        pytest.skip(f"shared tools not found at {MAKE_LIBRARY}")
    subprocess.run([sys.executable, str(MAKE_LIBRARY), "--count", str(count), "--out", str(out),
                    "--workers", "2", *extra], check=True, capture_output=True, timeout=240)
    return json.loads((out / "ground_truth.json").read_text(encoding="utf-8"))


def run_gallery(*args: str, env: dict | None = None, check: bool = True, timeout: float = 240) -> subprocess.CompletedProcess:
    """The CLI as a user runs it: a real subprocess. `timeout` stays under pytest's (300 s), so a hung
    command fails with its own name rather than a bare pytest timeout."""
    full_env = {**os.environ, **(env or {})}
    result = subprocess.run([sys.executable, "-m", "gallery_builder", *args], capture_output=True, text=True,
                            env=full_env, timeout=timeout, cwd=REPO)
    if check and result.returncode != 0:
        raise AssertionError(f"gallery {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result
