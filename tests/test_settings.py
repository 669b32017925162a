"""The settings table: precedence, types, errors, roots, and the README documenting every option."""
from __future__ import annotations

from pathlib import Path

import pytest

from gallery_builder.config import OPTIONS, SettingsError, load_settings, resolve_roots, save_settings

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_option_is_documented_in_the_readme():
    text = README.read_text(encoding="utf-8")
    for option in OPTIONS:
        assert f"`{option.name}`" in text, option.name
        assert option.env is None or f"`{option.env}`" in text, option.env
        assert option.help


def test_precedence_defaults_file_env_flags(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "gallery.toml").write_text('batch_size = 10\nworkers = 3\nignore = ["a*"]\n')
    settings = load_settings(home, {"workers": 5}, environ={"GALLERY_BATCH_SIZE": "20"})
    assert settings.batch_size == 20 and settings.workers == 5 and settings.ignore == ["a*"]
    assert settings.db_path == home / "gallery.db"
    assert load_settings(home, environ={"GALLERY_PASSES": "exif, thumbs"}).default_passes == ["exif", "thumbs"]


def test_bad_settings_say_what_is_wrong(tmp_path):
    (tmp_path / "gallery.toml").write_text("bogus = 1\n")
    with pytest.raises(SettingsError, match="unknown setting 'bogus'"):
        load_settings(tmp_path, environ={})
    (tmp_path / "gallery.toml").write_text("batch_size = \n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(tmp_path, environ={})
    (tmp_path / "gallery.toml").unlink()
    with pytest.raises(SettingsError, match="GALLERY_WORKERS"):
        load_settings(tmp_path, environ={"GALLERY_WORKERS": "many"})


def test_roots_get_unique_labels_and_round_trip(tmp_path):
    settings = load_settings(tmp_path / "home", environ={})
    (tmp_path / "a" / "Photos").mkdir(parents=True)
    (tmp_path / "b" / "Photos").mkdir(parents=True)
    settings, chosen = resolve_roots(settings, [tmp_path / "a" / "Photos", tmp_path / "b" / "Photos"])
    assert [root.label for root in chosen] == ["photos", "photos-2"]
    save_settings(settings)
    assert (tmp_path / "home" / "gallery.toml").stat().st_mode & 0o777 == 0o600  # it may hold api_token
    again, chosen_again = resolve_roots(load_settings(tmp_path / "home", environ={}), [tmp_path / "b" / "Photos"])
    assert [root.label for root in chosen_again] == ["photos-2"] and len(again.roots) == 2
