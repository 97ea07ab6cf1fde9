"""The adult-content gate in a real browser, JavaScript off as well as on: a guest meets it on
an Explicit book, proceeds, reads, and is not asked again that session; a signed-in reader
switches it off in their preferences and opens the book straight away."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from storyhouse.stories import services
from storyhouse.stories.models import Story, Tag, TagType
from tests.browser.conftest import signed_in_page
from tests.browser.test_accessibility import axe_failures
from tests.helpers import SAME_HTML, write_book

pytestmark = pytest.mark.browser

PARTS = ["Landfall", "Undertow"]


@pytest.fixture
def explicit(live_db, writer) -> Story:
    story = write_book(writer, "The Night Harbour", PARTS)
    story.rating = Tag.objects.get(name="Explicit", type=TagType.RATING)
    warning = services.tag_get_or_create("Major Character Death", type=TagType.WARNING)
    return services.story_save(story, tags=[warning])


def meets_the_gate(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("This story is rated Explicit")
    expect(page.get_by_role("link", name="Major Character Death")).to_be_visible()
    expect(page.get_by_role("link", name="Proceed")).to_be_visible()
    expect(page.get_by_role("link", name="Go back")).to_be_visible()
    expect(page.get_by_text("The first paragraph of")).to_have_count(0)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_guest_proceeds_once_and_reads_on(new_page, explicit, javascript):
    page = new_page(java_script_enabled=javascript)
    page.goto("/")
    page.get_by_role("link", name="The Night Harbour").first.click()
    book_url = explicit.get_absolute_url()
    assert page.url.endswith(book_url)
    meets_the_gate(page)

    page.get_by_role("link", name="Proceed").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The Night Harbour")
    page.get_by_role("link", name="Start reading").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Landfall")
    expect(page.get_by_text("The first paragraph of Landfall.", exact=True)).to_be_visible()

    page.get_by_role("link", name="Next: Undertow").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Undertow")
    expect(page.get_by_text("The first paragraph of Undertow.", exact=True)).to_be_visible()
    assert "?" not in page.url  # the plain address: not gated again this session

    # A new browser session has not proceeded.
    other = new_page(java_script_enabled=javascript)
    other.goto(page.url)
    meets_the_gate(other)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_go_back_leads_where_the_guest_came_from_else_home(
    new_page, live_server, explicit, javascript
):
    page = new_page(java_script_enabled=javascript)
    page.goto("/tags/explicit/")
    page.get_by_role("link", name="The Night Harbour").first.click()
    meets_the_gate(page)
    page.get_by_role("link", name="Go back").click()
    # With JavaScript, the page they came from; without it, home (the gate is cached for all).
    page.wait_for_url(f"{live_server.url}{'/tags/explicit/' if javascript else '/'}")
    expect(page.get_by_role("link", name="Proceed")).to_have_count(0)

    page.goto(explicit.parts.order_by("position").first().get_absolute_url())  # no referrer
    page.get_by_role("link", name="Go back").click()
    page.wait_for_url(f"{live_server.url}/")


@SAME_HTML
def test_the_gate_passes_axe_in_both_themes(new_page, explicit):
    page = new_page()
    page.goto(explicit.get_absolute_url())
    meets_the_gate(page)
    assert axe_failures(page, Axe(), "the adult gate") == []


def test_a_reader_switches_the_gate_off_and_opens_the_book(new_page, live_server, explicit, bob):
    page = signed_in_page(new_page, live_server, bob)
    page.goto(explicit.get_absolute_url())
    meets_the_gate(page)
    page.get_by_role("link", name="Choose to see these stories without being asked").click()

    choice = page.get_by_role("checkbox", name="Show Mature and Explicit stories without asking")
    expect(choice).not_to_be_checked()
    choice.check()
    page.get_by_role("button", name="Save this choice").click()
    expect(page.get_by_text("Mature and Explicit stories open without asking now.")).to_be_visible()
    expect(choice).to_be_checked()

    page.goto(explicit.parts.order_by("position").first().get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("Landfall")
    expect(page.get_by_text("The first paragraph of Landfall.", exact=True)).to_be_visible()
    page.goto(explicit.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("The Night Harbour")
