"""Searching in a real browser: Ada narrows a search with the sidebar's tags, Bob never meets
the tag he hides, and the page passes axe in both themes and fits a phone."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from storyhouse.accounts import services as accounts
from storyhouse.accounts.models import User
from storyhouse.discovery import fulltext
from storyhouse.stories import services
from storyhouse.stories.models import Tag, TagType
from tests.browser.conftest import PHONE
from tests.browser.test_accessibility import AXE_OPTIONS, axe_report
from tests.helpers import SAME_HTML, write_book

pytestmark = pytest.mark.browser


@pytest.fixture
def shelf(writer) -> dict[str, Tag]:
    """Four books by Mara: two at sea, two on land, some slow to burn, one with a villain."""
    tag = services.tag_get_or_create
    sea = tag("Seafaring", type=TagType.FANDOM)
    slow = tag("Slow Burn", type=TagType.TROPE)
    villain = tag("Hero/Villain", type=TagType.TROPE)
    write_book(writer, "The Lighthouse Keeper", 2, tags=[sea, slow])
    write_book(writer, "Salt and Iron", 1, tags=[sea, villain])
    write_book(writer, "The Orchard", 1, tags=[slow])
    write_book(writer, "Bread and Bells", 1, tags=[villain])
    fulltext.rebuild()
    return {"sea": sea, "slow": slow, "villain": villain}


def card_titles(page: Page) -> list[str]:
    return page.locator(".story-card__title").all_inner_texts()


def fits_the_screen_width(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username or email address").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()


def test_ada_narrows_a_search_with_the_sidebar(page, shelf, look):
    page.goto("/")
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Search").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search")
    count = page.locator("#results-heading")
    expect(count).to_have_text("4 stories found")

    page.get_by_role("link", name="Include Seafaring").click()
    expect(count).to_have_text("2 stories found")
    assert sorted(card_titles(page)) == ["Salt and Iron", "The Lighthouse Keeper"]
    expect(page).to_have_url(re.compile(r"/search/\?include=seafaring$"))

    page.get_by_role("link", name="Exclude Hero/Villain").click()
    expect(count).to_have_text("1 story found")
    assert card_titles(page) == ["The Lighthouse Keeper"]
    chips = page.get_by_role("list", name="Tags and filters in this search")
    expect(chips).to_contain_text("With Seafaring")
    expect(chips).to_contain_text("Without Hero/Villain")
    look(page, "search-narrowed")

    page.get_by_role("link", name="Remove Seafaring").click()
    expect(count).to_have_text("2 stories found")
    assert sorted(card_titles(page)) == ["The Lighthouse Keeper", "The Orchard"]
    expect(page.get_by_role("link", name="Remove Seafaring")).to_have_count(0)


def test_ada_searches_by_words_and_filters_with_the_form(new_page, shelf):
    page = new_page()
    page.goto("/search/")
    page.get_by_label("Find stories by title, description, tag or author").fill("and")
    page.get_by_role("search").get_by_role("button", name="Search").click()
    expect(page.locator("#results-heading")).to_have_text("2 stories found")

    # The tag fields suggest the archive's tags as Ada types.
    page.get_by_label("With the tag").press_sequentially("sea")
    expect(page.locator("#include-options option")).to_have_attribute("value", "Seafaring")
    page.get_by_label("With the tag").fill("")

    # A tag typed by its name in the sidebar's form is understood.
    page.get_by_label("Without the tag").fill("hero/villain")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator("#results-heading")).to_have_text("0 stories found")
    expect(page).to_have_url(re.compile(r"/search/\?q=and&exclude=hero-villain$"))
    expect(page.get_by_text("No stories match this search.")).to_be_visible()


def test_bob_never_meets_the_tag_he_hides(new_page, shelf):
    bob = User.objects.create_user("bob", "bob@example.org", "bob-password-1")
    accounts.preferences_hide_tag(bob, shelf["villain"])
    page = new_page()
    log_in(page, "bob", "bob-password-1")
    page.goto("/search/")
    expect(page.locator("#results-heading")).to_have_text("2 stories found")
    assert sorted(card_titles(page)) == ["The Lighthouse Keeper", "The Orchard"]
    sidebar = page.locator(".search-sidebar")
    expect(sidebar).not_to_contain_text("Hero/Villain")
    expect(sidebar).to_contain_text("Slow Burn")
    notice = page.get_by_text("Stories with tags you chose to hide are left out")
    expect(notice).to_be_visible()
    page.get_by_role("link", name="Change what you hide").click()
    expect(page).to_have_url(re.compile(r"/accounts/preferences/$"))

    page.goto("/search/?q=bread")
    expect(page.locator("#results-heading")).to_have_text("0 stories found")


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


@SAME_HTML
@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("screen_name", ["desktop", "phone"])
def test_the_search_page_passes_axe_and_fits_the_screen(new_page, shelf, axe, theme, screen_name):
    options = {**(PHONE if screen_name == "phone" else {}), "color_scheme": theme}
    page = new_page(**options)
    for address in [
        "/search/",
        "/search/?q=salt&include=seafaring&exclude=slow-burn",
        "/search/?include=no-such-tag&words_min=lots&page=4",
    ]:
        page.goto(address)
        violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
        assert not violations, f"{address} ({theme}):\n{axe_report(violations)}"
        assert fits_the_screen_width(page), address
