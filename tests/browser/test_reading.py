"""A guest reads in a real browser, on a laptop and on a phone: what is on screen at each step."""

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from storyhouse.engagement import read_buffer
from tests.browser.conftest import BOOK, BOOK_PARTS, DESKTOP, SAMPLE_BOOK, SAMPLE_TITLE

pytestmark = pytest.mark.browser

SAMPLE_WARNINGS = [
    "Mentioned emotional manipulation and toxic relationship",
    "canonical character death",
    "no happy ending",
]


def heading(page: Page) -> Locator:
    return page.get_by_role("heading", level=1)


def counts(page: Page) -> list[str]:
    return page.locator("header .counts li").all_inner_texts()


def fits_the_screen_width(page: Page) -> bool:
    """Nothing sticks out sideways: the reader never has to scroll horizontally."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def rgb(page: Page, selector: str, property: str = "background-color") -> tuple[int, ...]:
    value = page.eval_on_selector(
        selector, "(el, name) => getComputedStyle(el).getPropertyValue(name)", property
    )
    return tuple(int(n) for n in re.findall(r"\d+", value)[:3])


def lightness(color: tuple[int, ...]) -> float:
    """Relative luminance (WCAG), 0 for black and 1 for white."""
    channels = [c / 255 for c in color]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def looks_dark(page: Page) -> bool:
    background, text = rgb(page, "body"), rgb(page, "body", "color")
    return lightness(background) < 0.05 and lightness(text) > 0.6


def looks_light(page: Page) -> bool:
    background, text = rgb(page, "body"), rgb(page, "body", "color")
    return lightness(background) > 0.8 and lightness(text) < 0.05


def reading_text_size(page: Page) -> float:
    return page.eval_on_selector(
        "[data-part-body] p", "p => parseFloat(getComputedStyle(p).fontSize)"
    )


def test_a_reader_goes_from_the_home_page_to_a_book_and_reads_on(page, library, look):
    page.goto("/")
    expect(heading(page)).to_have_text("Storyhouse")
    new_stories = page.get_by_role("region", name="New stories")
    card = new_stories.get_by_role("article").filter(has_text=BOOK)
    expect(card.get_by_role("link", name=BOOK)).to_be_visible()
    expect(card).to_contain_text("by Mara Quill")
    expect(card).to_contain_text("3 parts")
    expect(new_stories.get_by_role("link", name=SAMPLE_BOOK)).to_be_visible()
    assert fits_the_screen_width(page)
    look(page, "home")

    card.get_by_role("link", name=BOOK).click()
    expect(page).to_have_url(re.compile(r"/stories/\d+-the-lighthouse-keeper/$"))
    expect(heading(page)).to_have_text(BOOK)
    expect(page.get_by_text("by Mara Quill")).to_be_visible()
    expect(page.get_by_text("A keeper, a lamp and the ships that never come.")).to_be_visible()
    expect(page.get_by_role("link", name="Found Family")).to_be_visible()
    assert counts(page)[:3] == ["0 reads", "0 votes", "0 comments"]
    parts = page.get_by_role("region", name="Parts").locator(".part-list__title")
    expect(parts).to_have_text(BOOK_PARTS)
    assert fits_the_screen_width(page)
    look(page, "book")

    page.get_by_role("link", name="Start reading").click()
    expect(heading(page)).to_have_text("Fog on the Water")
    expect(page.get_by_text("Part 1 of 3")).to_be_visible()
    expect(page.get_by_role("link", name=BOOK)).to_be_visible()
    assert counts(page) == ["0 reads", "0 votes", "0 comments"]
    expect(page.get_by_text("The first paragraph of Fog on the Water.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^← Previous"))).to_have_count(0)
    assert fits_the_screen_width(page)
    look(page, "part-1")

    page.get_by_role("link", name="Next: The Lamp Room →").click()
    expect(heading(page)).to_have_text("The Lamp Room")
    expect(page.get_by_text("Part 2 of 3")).to_be_visible()
    expect(page.get_by_text("The first paragraph of The Lamp Room.")).to_be_visible()
    expect(page.get_by_text("Part 2 goes on.")).to_be_visible()
    expect(page.get_by_role("link", name="← Previous: Fog on the Water")).to_be_visible()
    expect(page.get_by_role("link", name="Next: Morning Ferry →")).to_be_visible()
    assert fits_the_screen_width(page)
    page.get_by_role("navigation", name="Parts").scroll_into_view_if_needed()
    look(page, "part-2-end")

    read_buffer.flush()  # what a real server does within a second
    page.get_by_role("link", name=BOOK).click()
    expect(heading(page)).to_have_text(BOOK)
    assert counts(page)[0] == "2 reads"  # the two parts just read, each counted once


def test_the_sample_part_shows_everything_the_copied_page_held(page, library, look):
    page.goto(library["sample"].get_absolute_url())
    expect(heading(page)).to_have_text(SAMPLE_TITLE)
    assert counts(page) == ["583 reads", "4 votes", "2 comments"]
    expect(page.get_by_role("link", name=SAMPLE_BOOK)).to_be_visible()
    expect(page.get_by_text("the Second and the Monster had a relationship")).to_be_visible()
    expect(page.get_by_role("complementary", name="Author's note")).to_be_visible()
    for warning in SAMPLE_WARNINGS:
        expect(page.get_by_role("link", name=warning, exact=True)).to_be_visible()
    paragraphs = page.locator("[data-part-body] p")
    expect(paragraphs).to_have_count(25)
    expect(paragraphs.first).to_contain_text("He knew it would end this way")
    for paragraph in paragraphs.all():
        expect(paragraph).to_be_visible()
    paragraphs.nth(4).scroll_into_view_if_needed()
    look(page, "sample-part-reading")
    # The copied site's footer ("...One-ShotsWhere stories live. Discover now") stayed behind.
    # (Storyhouse's own footer says "Storyhouse: where stories live.", outside the main part.)
    assert "Where stories live" not in page.locator("body").inner_text()
    story = page.get_by_role("main").inner_text().lower()
    assert "stories live" not in story
    assert "discover now" not in story
    assert fits_the_screen_width(page)
    look(page, "sample-part")

    page.get_by_role("link", name="Hero/Villain").click()
    expect(page).to_have_url(re.compile(r"/tags/hero-villain/$"))
    expect(heading(page)).to_have_text("Hero/Villain")
    expect(page.get_by_role("link", name=SAMPLE_BOOK)).to_be_visible()
    assert fits_the_screen_width(page)


def test_dark_theme_is_remembered_by_the_browser_and_never_sent_to_the_server(page, library, look):
    first, second, _ = library["book"].parts.order_by("position")
    page.goto(first.get_absolute_url())
    served_light = page.reload().text()  # the first visit counted its read; counts now hold
    assert looks_light(page)
    theme = page.get_by_role("button", name="Dark theme")
    expect(theme).to_have_attribute("aria-pressed", "false")

    theme.click()
    expect(theme).to_have_attribute("aria-pressed", "true")
    assert looks_dark(page)
    look(page, "part-dark")

    served_dark = page.reload().text()
    assert looks_dark(page)
    assert served_dark == served_light  # one cached page serves every reader
    assert not [c for c in page.context.cookies() if "theme" in (c["name"] + c["value"])]

    page.get_by_role("link", name=f"Next: {second.title} →").click()
    expect(heading(page)).to_have_text(second.title)
    assert looks_dark(page)
    page.get_by_role("link", name="Home", exact=True).click()
    expect(heading(page)).to_have_text("Storyhouse")
    assert looks_dark(page)
    look(page, "home-dark")
    page.goto(library["sample"].get_absolute_url())
    assert looks_dark(page)
    look(page, "sample-part-dark")
    page.locator("[data-part-body] p").nth(4).scroll_into_view_if_needed()
    look(page, "sample-part-reading-dark")

    page.get_by_role("button", name="Dark theme").click()
    assert looks_light(page)


def palette(page: Page) -> dict[str, str]:
    """The theme's colours: every custom property the style sheet's dark theme sets."""
    return page.evaluate(
        """() => {
            const dark = [...document.styleSheets[0].cssRules]
                .find(rule => rule.selectorText === ':root[data-theme="dark"]').style;
            const root = getComputedStyle(document.documentElement);
            const names = [...dark].filter(name => name.startsWith("--"));
            return Object.fromEntries(names.map(name => [name, root.getPropertyValue(name)]));
        }"""
    )


def test_a_reader_whose_system_is_dark_gets_the_dark_theme_until_choosing_light(new_page, library):
    page = new_page(color_scheme="dark")
    page.goto(library["sample"].get_absolute_url())
    assert looks_dark(page)
    theme = page.get_by_role("button", name="Dark theme")
    expect(theme).to_have_attribute("aria-pressed", "true")
    dark_by_system = palette(page)

    theme.click()
    assert looks_light(page)
    page.reload()
    assert looks_light(page)

    theme.click()  # and back: the dark theme chosen is the very one the system asked for
    assert palette(page) == dark_by_system


def test_larger_text_grows_the_reading_text_and_stays_larger(page, library):
    page.goto(library["sample"].get_absolute_url())
    ordinary = reading_text_size(page)
    assert ordinary >= 16

    page.get_by_role("button", name="Larger text").click()
    larger = reading_text_size(page)
    assert larger > ordinary
    page.get_by_role("link", name=SAMPLE_BOOK).click()
    page.get_by_role("link", name="Start reading").click()
    assert reading_text_size(page) == larger
    assert fits_the_screen_width(page)

    page.get_by_role("button", name="Smaller text").click()
    page.get_by_role("button", name="Smaller text").click()
    assert reading_text_size(page) < ordinary


def test_lines_of_the_reading_text_stay_comfortably_short_on_a_wide_screen(new_page, library):
    page = new_page(**DESKTOP)
    page.goto(library["sample"].get_absolute_url())
    longest = max(page.locator("[data-part-body] p").all(), key=lambda p: len(p.inner_text()))
    # The paragraph's width, counted in the average width of its own characters in its font.
    characters_per_line = longest.evaluate(
        """p => {
            const style = getComputedStyle(p);
            const pen = document.createElement("canvas").getContext("2d");
            pen.font = [style.fontStyle, style.fontWeight, style.fontSize, style.fontFamily]
                .join(" ");
            const average = pen.measureText(p.textContent).width / p.textContent.length;
            return p.getBoundingClientRect().width / average;
        }"""
    )
    assert 45 <= characters_per_line <= 80


def test_without_javascript_the_part_reads_fully_and_its_links_work(new_page, library):
    page = new_page(java_script_enabled=False)
    first, second, _ = library["book"].parts.order_by("position")
    page.goto(library["sample"].get_absolute_url())
    expect(heading(page)).to_have_text(SAMPLE_TITLE)
    paragraphs = page.locator("[data-part-body] p")
    expect(paragraphs).to_have_count(25)
    for paragraph in paragraphs.all():
        expect(paragraph).to_be_visible()
    # Theme and text size need JavaScript to work, so they are not offered without it.
    expect(page.get_by_role("button")).to_have_count(0)
    expect(page.get_by_text("Dark theme")).to_be_hidden()

    page.get_by_role("link", name=SAMPLE_BOOK).click()
    expect(heading(page)).to_have_text(SAMPLE_BOOK)

    page.goto(first.get_absolute_url())
    page.get_by_role("link", name=f"Next: {second.title} →").click()
    expect(heading(page)).to_have_text(second.title)
    page.get_by_role("link", name="All parts").click()
    expect(heading(page)).to_have_text(BOOK)
    page.get_by_role("link", name="Found Family").click()
    expect(heading(page)).to_have_text("Found Family")
    page.get_by_role("link", name="Mara Quill").first.click()
    expect(heading(page)).to_have_text("Mara Quill")
