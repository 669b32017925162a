"""`gallery build` and `gallery nginx-config` as a user runs them: real subprocesses."""
from __future__ import annotations

import os

from tests.conftest import run_gallery
from tests.site_fixtures import golden_rows, write_library


def test_help_is_complete_with_examples():
    for command in ("build", "nginx-config"):
        text = run_gallery(command, "--help").stdout
        assert "Example:" in text and f"gallery {command} --home" in text
    assert "--basic-auth" in run_gallery("nginx-config", "--help").stdout


def test_build_prints_what_it_rendered_and_a_second_run_publishes_nothing(tmp_path):
    write_library(tmp_path, golden_rows(), thumbnails=False)
    first = run_gallery("build", "--home", str(tmp_path))
    assert "Rendered 55, reused 0, removed 0 pages; published generation 1" in first.stdout
    assert f"Site: {tmp_path / 'site'}" in first.stdout
    second = run_gallery("build", "--home", str(tmp_path))
    assert second.stdout.startswith("Nothing changed: 55 pages up to date")
    full = run_gallery("build", "--home", str(tmp_path), "--full")
    assert "Rendered 55, reused 0" in full.stdout and "generation 2" in full.stdout


def test_build_to_another_folder(tmp_path):
    write_library(tmp_path, golden_rows(), thumbnails=False)
    out = tmp_path / "www" / "photos"
    run_gallery("build", "--home", str(tmp_path), "--out", str(out))
    assert os.readlink(out) == "photos-generations/1"
    assert (out / "index.html").is_file() and not (tmp_path / "site").exists()
    assert os.path.realpath(out / "thumbs") == str((tmp_path / "thumbs").resolve())


def test_missing_export_is_a_clear_error(tmp_path):
    result = run_gallery("build", "--home", str(tmp_path), check=False)
    assert result.returncode == 1
    assert "photos.parquet does not exist: index photos first" in result.stderr
    assert "Traceback" not in result.stderr


def test_nginx_config_rejects_bad_values(tmp_path):
    result = run_gallery("nginx-config", "--home", str(tmp_path), "--sidecar", "http://x;evil", check=False)
    assert result.returncode == 2 and "--sidecar" in result.stderr
    result = run_gallery("nginx-config", "--home", str(tmp_path), "--original", "nolabel", check=False)
    assert result.returncode == 2 and "LABEL=PATH" in result.stderr
    (tmp_path / "gallery.toml").write_text('[[roots]]\nlabel = "my photos"\npath = "/srv/p"\n')
    result = run_gallery("nginx-config", "--home", str(tmp_path), check=False)
    assert result.returncode == 1 and "not URL-safe" in result.stderr


def test_nginx_config_writes_a_file_with_roots_and_sidecar(tmp_path):
    (tmp_path / "gallery.toml").write_text('[[roots]]\nlabel = "photos"\npath = "/srv/photos"\n')
    out = tmp_path / "nginx" / "nginx.conf"
    run_gallery("nginx-config", "--home", str(tmp_path), "--listen", "0.0.0.0:8080", "--sidecar", "sidecar:8765",
                "--original", "phone=/mnt/phone", "--out", str(out))
    text = out.read_text()
    assert "listen 0.0.0.0:8080;" in text and "proxy_pass http://sidecar:8765;" in text
    assert 'alias "/srv/photos/$1";' in text and 'alias "/mnt/phone/$1";' in text
    assert f"pid {out.parent}/nginx.pid;" in text and (out.parent / "temp").is_dir()
