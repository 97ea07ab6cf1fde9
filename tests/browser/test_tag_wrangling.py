"""Wren, who is staff, wrangles a tag in a real browser: from the tag's page to its wrangling
page, where the canonical tags are suggested as she types; the pages pass axe and are
well-formed HTML5."""

from collections import Counter

import html5lib
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client
from playwright.sync_api import expect

from storyhouse.accounts.models import User
from storyhouse.moderation import roles
from storyhouse.stories import services
from storyhouse.stories.models import Tag, TagType
from tests.browser.conftest import PHONE, signed_in_page
from tests.browser.test_accessibility import axe_failures
from tests.helpers import BROWSER_AGENT, write_book


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


@pytest.fixture
def wren(db) -> User:
    wren = User.objects.create_user(
        "wren", "wren@example.org", "wren-password-1", display_name="Wren"
    )
    roles.grant(wren, roles.Role.WRANGLER)
    return wren


@pytest.fixture
def tags(writer) -> dict[str, Tag]:
    """Two books of one trope under two names, and a fandom to put things under."""
    hero_villain = services.tag_save(Tag(name="Hero/Villain", type=TagType.TROPE, canonical=True))
    villain_romance = services.tag_save(Tag(name="Villain Romance", type=TagType.TROPE))
    services.tag_save(Tag(name="Villainous Deeds", type=TagType.TROPE, canonical=True))
    write_book(writer, "Sunlit Rivals", tags=[hero_villain])
    write_book(writer, "Midnight Duel", tags=[villain_romance])
    return {"hero_villain": hero_villain, "villain_romance": villain_romance}


@pytest.mark.browser
def test_wren_makes_a_tag_a_synonym_through_its_page(new_page, live_server, wren, tags, axe):
    page = signed_in_page(new_page, live_server, wren)
    page.goto("/tags/villain-romance/")
    page.get_by_role("link", name="Wrangle this tag").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wrangle “Villain Romance”")
    failures = axe_failures(page, axe, "wrangle page")

    synonym = page.get_by_label("Make it a synonym of")
    synonym.press_sequentially("hero/", delay=20)
    # The canonical tropes are suggested as she types (from the desk's suggestions).
    expect(page.locator('#synonym-options option[value="Hero/Villain"]')).to_be_attached()
    expect(page.locator('#synonym-options option[value="Villain Romance"]')).to_have_count(0)
    synonym.fill("Hero/Villain")
    page.get_by_role("button", name="Make it a synonym").click()

    expect(page.get_by_role("status")).to_contain_text(
        "“Villain Romance” now filters as “Hero/Villain”: 1 story."
    )
    failures += axe_failures(page, axe, "wrangle page, done")

    page.get_by_role("link", name="Hero/Villain").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hero/Villain")
    expect(page.get_by_role("heading", name="2 stories")).to_be_visible()
    expect(page.get_by_role("link", name="Midnight Duel")).to_be_visible()

    # A mistake is answered on the page, next to the field.
    page.goto("/tags/hero-villain/wrangle/")
    page.get_by_label("Add a tag it belongs under").fill("No Such Tag")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_text("There is no tag named “No Such Tag”.")).to_be_visible()
    failures += axe_failures(page, axe, "wrangle page, refused")

    page.goto("/tags/?show=unwrangled")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tags")
    failures += axe_failures(page, axe, "unwrangled tags")
    assert not failures, "\n".join(failures)


@pytest.mark.browser
def test_the_wrangling_page_fits_a_phone(new_page, live_server, wren, tags, axe):
    page = signed_in_page(new_page, live_server, wren, **PHONE)
    page.goto("/tags/hero-villain/wrangle/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    failures = axe_failures(page, axe, "wrangle page on a phone")
    page.goto("/tags/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    failures += axe_failures(page, axe, "tags on a phone")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "address",
    ["/tags/villain-romance/wrangle/", "/tags/major-character-death/wrangle/", "/tags/"],
)
def test_the_wrangling_pages_are_well_formed_html5(wren, tags, address):
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(wren)
    response = client.get(address)
    assert response.status_code == 200
    parser = html5lib.HTMLParser(namespaceHTMLElements=False)
    document = parser.parse(response.content, transport_encoding="utf-8")
    errors = [f"line {line}: {code} {data or ''}" for (line, _c), code, data in parser.errors]
    assert not errors, "\n".join(errors)
    assert len(document.findall(".//h1")) == 1
    assert len(document.findall(".//main")) == 1
    ids = Counter(element.get("id") for element in document.iter() if element.get("id"))
    assert [id for id, count in ids.items() if count > 1] == []
    for label in document.iter("label"):
        target = label.get("for")
        if target:
            assert document.find(f".//*[@id='{target}']") is not None, target
