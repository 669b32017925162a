"""Where the site's files live: Jinja2 templates, site assets and the nginx template.

In a checkout (or an editable install) they are the top-level `templates/`, `site_assets/` and
`deploy/` folders of the repository; a wheel ships the same folders as package data under
`gallery_builder/resources/` (pyproject.toml maps them), so an installed `gallery` finds them too.
"""
from __future__ import annotations

from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[2]
_INSTALLED = Path(__file__).resolve().parents[1] / "resources"


def resource_dir(name: str) -> Path:
    """The folder `name` ("templates", "site_assets" or "deploy"), from the checkout or the wheel."""
    checkout = _CHECKOUT / name
    if checkout.is_dir() and (_CHECKOUT / "pyproject.toml").is_file():
        return checkout
    if (_INSTALLED / name).is_dir():
        return _INSTALLED / name
    raise FileNotFoundError(f"the gallery's {name}/ folder is missing from {_CHECKOUT} and {_INSTALLED}: "
                            "reinstall the package")
