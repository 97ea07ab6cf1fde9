"""Shared test set-up: named people (alice writes, bob reads) and the sample page."""

import hashlib
from pathlib import Path
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.stories.exporters import epub
from tests.helpers import BROWSER_AGENT

SAMPLE = (
    Path(__file__).resolve().parent.parent
    / "storyhouse/demo/wattpad-part-love-doesnt-always-mean-a-happy-ending.txt"
)


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    """Counts kept in the cache (failed logins, sign-ups, reset emails) start from nothing."""
    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings) -> None:
    """Argon2 is slow on purpose (a third of a second a hash); tests make many accounts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def no_search_index(settings) -> None:
    """Searches ask the database unless a test builds a search index itself: building one in
    the background of every test would only slow the suite down."""
    settings.SEARCH_INDEX = False


@pytest.fixture(autouse=True)
def exports_root(settings, tmp_path) -> Path:
    """Each test builds its own export files: numbers are used again after a rollback, and
    on the other database, so a file kept from another test could be taken for this one's."""
    settings.EXPORTS_ROOT = tmp_path / "exports"
    return settings.EXPORTS_ROOT


@pytest.fixture(scope="session", autouse=True)
def epubs_written(tmp_path_factory) -> Path:
    """Every distinct EPUB any test makes is kept here, for `test_zz_epubs_written.py` (the
    last test file to run) to check with epubcheck: not only the books made to be checked."""
    folder = tmp_path_factory.mktemp("epubs-written")
    render = epub.render

    def render_and_keep(book) -> bytes:
        data = render(book)
        (folder / f"{hashlib.sha256(data).hexdigest()[:20]}.epub").write_bytes(data)
        return data

    with mock.patch.object(epub, "render", render_and_keep):
        yield folder


@pytest.fixture
def sample_path() -> Path:
    return SAMPLE


@pytest.fixture
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


@pytest.fixture
def alice(db) -> User:
    return User.objects.create_user(
        "alice", "alice@example.org", "alice-password-1", display_name="Alice Liddell"
    )


@pytest.fixture
def bob(db) -> User:
    return User.objects.create_user("bob", "bob@example.org", "bob-password-1")


@pytest.fixture
def reader(db) -> Client:
    """A guest reading in an ordinary browser."""
    return Client(HTTP_USER_AGENT=BROWSER_AGENT)
