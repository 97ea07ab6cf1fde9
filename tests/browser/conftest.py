"""Browser tests: Playwright driving Debian's Chromium against a live Storyhouse.

Chromium comes from Debian (`apt-get install chromium`), never from `playwright install`.
Without it these tests are skipped, except in CI (CI=true), where they must run.

Set STORYHOUSE_SCREENSHOTS to a folder to keep a screenshot of every step a test looks at.
"""

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from storyhouse.accounts.models import User
from storyhouse.stories import services
from storyhouse.stories.importers import read_book
from storyhouse.stories.imports import book_import, import_account
from storyhouse.stories.models import Part, Story, TagType
from tests.helpers import BROWSER_AGENT, write_book

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36"
)

# What a person reads on: a laptop, and a small phone held upright.
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "user_agent": BROWSER_AGENT}
PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": PHONE_AGENT,
}
SCREENS = {"desktop": DESKTOP, "phone": PHONE}

SAMPLE_TITLE = "Love Doesn't Always Mean A Happy Ending"
SAMPLE_BOOK = "One For All and Izuku Midoriya One-Shots"
BOOK = "The Lighthouse Keeper"
BOOK_PARTS = ["Fog on the Water", "The Lamp Room", "Morning Ferry"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for a module's tests; each test gets a fresh context of its own."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser tests, but {message}")
        pytest.skip(f"browser tests skipped: {message}")
    # While it runs, Playwright's sync API keeps an event loop going in this thread, in a
    # contextvars context of its own. Django would take the tests' ORM calls for async code,
    # and would open new database connections in that context, losing the test database's
    # set-up (such as the copy kept for serialized rollback). Neither applies to these plain
    # synchronous tests: allow the calls, and keep Django's connections.
    django_connections = {alias: connections[alias] for alias in connections}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            for alias, connection in django_connections.items():
                connections[alias] = connection
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            yield chromium
            chromium.close()


@pytest.fixture
def live_db(transactional_db, django_db_serialized_rollback) -> None:
    """What the live server reads is committed for real; after each test it is flushed, and
    what the migrations made (ratings, archive warnings) is restored before the next one."""


@pytest.fixture
def new_page(browser: Browser, live_db, live_server) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh browser context (no cookies, no stored choices) on the live site."""
    contexts: list[BrowserContext] = []

    def open_page(**options) -> Page:
        context = browser.new_context(base_url=live_server.url, **{**DESKTOP, **options})
        context.set_default_timeout(5_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def signed_in_page(new_page, live_server, user: User, **options) -> Page:
    """A browser already signed in as `user` (the session made here, its cookie given over)."""
    client = Client()
    client.force_login(user)
    page = new_page(**options)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page


@pytest.fixture(params=list(SCREENS), ids=list(SCREENS))
def screen(request) -> str:
    return request.param


@pytest.fixture
def page(new_page, screen) -> Page:
    return new_page(**SCREENS[screen])


@pytest.fixture
def look(screen) -> Callable[[Page, str], None]:
    """Keep a screenshot of what the reader sees, when STORYHOUSE_SCREENSHOTS names a folder."""
    folder = os.environ.get("STORYHOUSE_SCREENSHOTS")

    def screenshot(page: Page, name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=Path(folder) / f"{name}-{screen}.png")

    return screenshot


@pytest.fixture
def sample_part(db, sample_path) -> Part:
    """The sample page copied from a story site, imported as `storyhouse import` would."""
    (result,) = book_import(read_book(sample_path), author=import_account())
    return result.part


@pytest.fixture
def writer(db) -> User:
    return User.objects.create_user(
        "mara", "mara@example.org", "mara-password-1", display_name="Mara Quill"
    )


@pytest.fixture
def book(writer) -> Story:
    """A book of three parts, written through the services as a writer would."""
    tags = [
        services.tag_get_or_create("Original Work", type=TagType.FANDOM),
        services.tag_get_or_create("Found Family", type=TagType.TROPE),
    ]
    return write_book(
        writer,
        BOOK,
        BOOK_PARTS,
        tags=tags,
        description="<p>A keeper, a lamp and the ships that never come.</p>",
    )


@pytest.fixture
def library(sample_part, book) -> dict:
    """The archive the reader walks into: the sample one-shot and a book of three parts."""
    return {"sample": sample_part, "book": book}
