"""Fixtures of the fault tests."""

from pathlib import Path

import pytest

from .site import Site


@pytest.fixture
def make_site(tmp_path):
    """Sites a test makes are stopped (killed if need be) however the test ends."""
    made: list[Site] = []

    def make(database_url: str, var_dir: Path | None = None, **env: str) -> Site:
        site = Site(var_dir or tmp_path, database_url, **env)
        made.append(site)
        return site

    yield make
    for site in made:
        site.stop()
