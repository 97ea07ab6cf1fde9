"""Shared test set-up: named people (alice writes, bob reads) and the sample page; and,
once every test has run, epubcheck on every EPUB the tests made."""

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.engagement import read_buffer
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
def empty_read_buffer() -> None:
    """Reads a test took but did not flush are forgotten: its database is rolled back, and
    they must not be written into the next test's."""
    read_buffer.default.clear()
    yield
    read_buffer.default.clear()


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
def no_shared_fragments(settings) -> None:
    """Pages are rendered whole unless a test keeps shared fragments itself
    (test_shared_fragments.py): a test's writes are never committed, so a fragment kept
    before them would not hear of them."""
    settings.FRAGMENT_CACHE_ENTRIES = 0


@pytest.fixture(autouse=True)
def exports_root(settings, tmp_path) -> Path:
    """Each test builds its own export files: numbers are used again after a rollback, and
    on the other database, so a file kept from another test could be taken for this one's."""
    settings.EXPORTS_ROOT = tmp_path / "exports"
    return settings.EXPORTS_ROOT


# Where the tests keep a copy of each EPUB they make. Set by the process that runs the
# session (before pytest-xdist starts its workers, which inherit it) and checked by it last.
EPUBS_WRITTEN = "STORYHOUSE_TEST_EPUBS"


def pytest_configure(config) -> None:
    if not hasattr(config, "workerinput"):
        os.environ[EPUBS_WRITTEN] = tempfile.mkdtemp(prefix="storyhouse-test-epubs-")


@pytest.fixture(scope="session", autouse=True)
def epubs_written() -> Path:
    """Every distinct EPUB any test makes is kept, for `pytest_sessionfinish` to check with
    epubcheck: not only the books made to be checked."""
    folder = Path(os.environ[EPUBS_WRITTEN])
    render = epub.render

    def render_and_keep(book) -> bytes:
        data = render(book)
        (folder / f"{hashlib.sha256(data).hexdigest()[:20]}.epub").write_bytes(data)
        return data

    with mock.patch.object(epub, "render", render_and_keep):
        yield folder


def pytest_sessionfinish(session, exitstatus) -> None:
    """Every EPUB Storyhouse wrote in this run passes epubcheck with no error and no warning
    (the odd books of the download, OPDS, API, import and your-data tests too). Run once, by
    the process that ran the session, after all its workers are done; a problem fails the run."""
    if hasattr(session.config, "workerinput"):
        return
    folder = Path(os.environ.pop(EPUBS_WRITTEN))
    files = sorted(folder.glob("*.epub"))
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    reporter.ensure_newline()
    try:
        if not files:
            return
        if shutil.which("epubcheck") is None and os.environ.get("CI") != "true":
            reporter.write_line(
                f"{len(files)} EPUBs written but not checked: install epubcheck "
                "(apt-get install epubcheck) to check them"
            )
            return
        from tests.export_books import epubcheck_problems

        problems = {name: found for name, found in epubcheck_problems(*files).items() if found}
        reporter.write_line(f"epubcheck: {len(files)} EPUBs written by the tests checked")
        if problems:
            for name, found in problems.items():
                reporter.write_line(f"epubcheck: {name}: " + "; ".join(found), red=True)
            reporter.write_line(f"{len(problems)} of {len(files)} EPUBs fail epubcheck", red=True)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    finally:
        shutil.rmtree(folder, ignore_errors=True)


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
