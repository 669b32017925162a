"""It installs as a package: a wheel built from the sources, installed (not editable) into a fresh
virtualenv, runs `gallery sample-library`, `index` and `build` from a folder outside the checkout
and publishes a site whose pages find their templates' assets, all from the installed package.

The wheel is built offline (--no-isolation) when this environment has the build backend
pyproject.toml asks for, else by an isolated build whose pip fetches it; it is installed with
--no-deps --no-index, and the dependencies come from the project's virtualenv through a .pth line
placed after the new venv's own site-packages. A path named in a .pth file is only appended to sys.path (its own .pth
files are not processed), so the checkout's editable finder never loads; the test checks that too.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow

NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.pyc",
                                     "test-output", "gallery-data", "node_modules", ".pytest_cache", "tests", "bench")


class References(HTMLParser):
    """Every href/src of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.extend(value for name, value in attrs if name in {"href", "src"} and value)


def run(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout[-3000:]}\n"
                             f"{result.stderr[-3000:]}")
    return result


def build_backend_installed() -> bool:
    """Whether this environment has what pyproject's [build-system] requires (e.g. setuptools>=77)."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement  # a dependency of `build`

    for line in tomllib.loads((REPO / "pyproject.toml").read_text())["build-system"]["requires"]:
        requirement = Requirement(line)
        try:
            if not requirement.specifier.contains(version(requirement.name), prereleases=True):
                return False
        except PackageNotFoundError:
            return False
    return True


def clean_env() -> dict[str, str]:
    """The environment without anything that points Python (or the gallery) at the checkout."""
    return {key: value for key, value in os.environ.items()
            if key not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV"} and not key.startswith("GALLERY_")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with the project's wheel installed; returns the venv folder."""
    pytest.importorskip("build", reason="the `build` package is not installed (part of the [test] extra)")
    base = tmp_path_factory.mktemp("wheel")
    env = clean_env()
    sources = base / "sources"               # a copy, so the build writes nothing into the checkout
    shutil.copytree(REPO, sources, ignore=NOT_SOURCES, symlinks=True)
    # Offline with this environment's own build backend when it is recent enough; otherwise build
    # isolates and its pip fetches the backend pyproject.toml names (setuptools>=77) from the index.
    offline = ["--no-isolation"] if build_backend_installed() else []
    run([sys.executable, "-m", "build", "--wheel", *offline, "--outdir", str(base / "dist"), str(sources)],
        cwd=base, env=env, timeout=150)
    [wheel] = (base / "dist").glob("gallery_builder-*.whl")

    venv = base / "venv"
    run([sys.executable, "-m", "venv", str(venv)], cwd=base, env=env, timeout=90)
    python = venv / "bin" / "python"
    site_packages = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             cwd=base, env=env, timeout=30).stdout.strip())
    # The project's dependencies, searched after the wheel's own files ("zz": processed last).
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site_packages / "zz_project_dependencies.pth").write_text("".join(f"{path}\n" for path in sorted(ours)))
    probe = "import importlib.util as u; print(u.find_spec('numpy') is not None, u.find_spec('gallery_builder'))"
    before = run([str(python), "-c", probe], cwd=base, env=env, timeout=30).stdout.split()
    assert before == ["True", "None"], f"the dependencies must be visible but not the checkout's package: {before}"
    run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--disable-pip-version-check", str(wheel)],
        cwd=base, env=env, timeout=90)
    return venv


def test_the_installed_package_is_imported_from_the_venv_not_the_checkout(installed, tmp_path):
    probe = ("import json, sys, gallery_builder, search_api\n"
             "from gallery_builder.site.resources import resource_dir\n"
             "print(json.dumps({'gallery_builder': gallery_builder.__file__, 'search_api': search_api.__file__,"
             " 'templates': str(resource_dir('templates')), 'assets': str(resource_dir('site_assets')),"
             " 'deploy': str(resource_dir('deploy')),"
             " 'editable': [name for name in sys.modules if 'editable' in name]}))")
    found = json.loads(run([str(installed / "bin" / "python"), "-c", probe], cwd=tmp_path, env=clean_env(),
                           timeout=60).stdout)
    venv = installed.resolve()
    for name in ("gallery_builder", "search_api", "templates", "assets", "deploy"):
        assert Path(found[name]).resolve().is_relative_to(venv), (name, found[name])
        assert not Path(found[name]).resolve().is_relative_to(REPO), (name, found[name])
    assert found["editable"] == []
    assert (Path(found["templates"]) / "base.html").is_file() and (Path(found["deploy"]) / "nginx.conf.j2").is_file()


def test_the_installed_gallery_command_indexes_and_builds_a_site(installed, tmp_path):
    gallery = str(installed / "bin" / "gallery")
    env = clean_env()
    photos, home = tmp_path / "photos", tmp_path / "home"
    run([gallery, "sample-library", str(photos), "--count", "12"], cwd=tmp_path, env=env, timeout=90)
    run([gallery, "index", str(photos), "--home", str(home)], cwd=tmp_path, env=env, timeout=150)
    report = run([gallery, "build", "--home", str(home)], cwd=tmp_path, env=env, timeout=90)
    assert "published generation 1" in report.stdout, report.stdout

    site = home / "site"
    index = site / "index.html"
    assert index.is_file()
    parser = References()
    parser.feed(index.read_text(encoding="utf-8"))
    local = {urlparse(link).path for link in parser.found
             if not urlparse(link).scheme and not link.startswith(("#", "//", "mailto:"))}
    assets = sorted(path for path in local if "assets/" in path)
    assert assets, parser.found
    missing = [path for path in sorted(local) if path and not _resolves(site, home, path)]
    assert not missing, missing


def _resolves(site: Path, home: Path, path: str) -> bool:
    """Whether a page-relative reference of the home page names a file the site (or nginx's
    /thumbs/ location, which serves home/thumbs) would answer."""
    target = Path(os.path.normpath(site / path.lstrip("/")))   # lexically: assets may be symlinks to a store
    if not target.is_relative_to(site):
        return False
    relative = target.relative_to(site)
    if relative.parts[:1] == ("thumbs",):
        return (home / relative).is_file()
    return target.is_file() or (target / "index.html").is_file()
