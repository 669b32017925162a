"""Package list for setuptools (everything else is in pyproject.toml).

The top-level templates/, site_assets/ and deploy/ folders stay where the design puts them and ship
in the wheel as `gallery_builder/resources/<folder>/` (mapped in pyproject's package-dir).
"""
from setuptools import find_packages, setup

RESOURCES = ["gallery_builder.resources.templates", "gallery_builder.resources.site_assets",
             "gallery_builder.resources.deploy"]

setup(packages=find_packages(include=["gallery_builder", "gallery_builder.*", "search_api", "search_api.*"])
      + RESOURCES)
