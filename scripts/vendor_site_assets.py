#!/usr/bin/env python3
"""Refresh the vendored front-end libraries in site_assets/vendor/ from the npm registry.

Each package is fetched with `npm pack` into a temporary folder (no node_modules, no build step),
and only the files the site loads are copied, together with the package's LICENSE. Run it from the
repository root: `python scripts/vendor_site_assets.py`. Versions are pinned below.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "site_assets" / "vendor"

# package, version, {file inside the package: file under vendor/<package>/}
PACKAGES: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("photoswipe", "5.4.4", {
        "dist/umd/photoswipe.umd.min.js": "photoswipe.umd.min.js",
        "dist/umd/photoswipe-lightbox.umd.min.js": "photoswipe-lightbox.umd.min.js",
        "dist/photoswipe.css": "photoswipe.css",
    }),
    ("justified-layout", "4.1.0", {"dist/justified-layout.min.js": "justified-layout.min.js"}),
    ("leaflet", "1.9.4", {
        "dist/leaflet.js": "leaflet.js",
        "dist/leaflet.css": "leaflet.css",
        "dist/images/layers.png": "images/layers.png",
        "dist/images/layers-2x.png": "images/layers-2x.png",
        "dist/images/marker-icon.png": "images/marker-icon.png",
        "dist/images/marker-icon-2x.png": "images/marker-icon-2x.png",
        "dist/images/marker-shadow.png": "images/marker-shadow.png",
    }),
    ("supercluster", "8.0.1", {"dist/supercluster.min.js": "supercluster.min.js"}),
    ("topojson-client", "3.1.0", {"dist/topojson-client.min.js": "topojson-client.min.js"}),
    ("world-atlas", "2.0.2", {
        "countries-110m.json": "countries-110m.json",
        "countries-50m.json": "countries-50m.json",
    }),
)


def fetch(package: str, version: str, workdir: Path) -> Path:
    """Download one package tarball with `npm pack` and unpack it; returns the package folder."""
    output = subprocess.run(["npm", "pack", f"{package}@{version}", "--json", "--silent"], cwd=workdir,
                            check=True, capture_output=True, text=True).stdout
    tarball = workdir / json.loads(output)[0]["filename"]
    target = workdir / package
    with tarfile.open(tarball) as archive:
        archive.extractall(target, filter="data")
    return target / "package"


def write_world_script(folder: Path) -> None:
    """Wrap the small world map as a classic script so pages opened from file:// can use it."""
    data = (folder / "countries-110m.json").read_text(encoding="utf-8")
    (folder / "countries-110m.js").write_text(
        "/* world-atlas countries-110m.json (ISC, see LICENSE) wrapped for file:// pages */\n"
        f"window.GALLERY_WORLD_110M = {data};\n", encoding="utf-8")


def main() -> None:
    versions = {}
    with tempfile.TemporaryDirectory() as temp:
        for package, version, files in PACKAGES:
            source = fetch(package, version, Path(temp))
            target = VENDOR / package
            shutil.rmtree(target, ignore_errors=True)
            for inner, outer in {**files, "LICENSE": "LICENSE"}.items():
                (target / outer).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source / inner, target / outer)
            versions[package] = version
    write_world_script(VENDOR / "world-atlas")
    (VENDOR / "versions.json").write_text(json.dumps(versions, indent=2) + "\n", encoding="utf-8")
    print(f"vendored {len(versions)} packages into {VENDOR}")


if __name__ == "__main__":
    main()
