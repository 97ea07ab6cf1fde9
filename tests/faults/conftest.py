"""Fixtures of the fault tests."""

import pytest

from .site import Site


@pytest.fixture
def make_site(tmp_path):
    """Sites a test makes are stopped (killed if need be) however the test ends."""
    made: list[Site] = []

    def make(database_url: str, **env: str) -> Site:
        site = Site(tmp_path, database_url, **env)
        made.append(site)
        return site

    yield make
    for site in made:
        site.stop()
