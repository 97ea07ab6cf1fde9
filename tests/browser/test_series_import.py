"""Series and the desk's import in a real browser: Mara uploads books through the form (with
its progress bar), reads the summary, gathers books in a series, and readers step through
it. Every page passes axe in both themes and fits a phone."""

from collections import Counter

import html5lib
import pytest
from django.test import Client
from playwright.sync_api import expect

from storyhouse.stories import series as series_rules
from storyhouse.stories.models import Series, Story
from tests.browser.conftest import PHONE, SAMPLE_BOOK, signed_in_page
from tests.browser.test_accessibility import axe_failures
from tests.browser.test_writing import fits_the_screen_width
from tests.helpers import BROWSER_AGENT, SAME_HTML, write_book


@pytest.fixture(scope="module")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def a_series(writer) -> Series:
    books = [write_book(writer, title, 1) for title in ("Fog", "Lamp", "Ferry")]
    series = series_rules.series_edit(
        Series(),
        owner=writer,
        title="The Keeper's Years",
        description_source="Three books of *one* lighthouse.",
    )
    for book in books:
        series_rules.series_add(series, book)
    return series


def addresses(series: Series) -> dict[str, tuple[str, bool]]:
    """Each page, and whether it is a desk page (seen signed in)."""
    second = series.stories.get(title="Lamp")
    return {
        "series": (series.get_absolute_url(), False),
        "book in a series": (second.get_absolute_url(), False),
        "import": ("/desk/import/", True),
        "desk series list": ("/desk/series/", True),
        "desk series": (f"/desk/series/{series.pk}/", True),
        "desk series details": (f"/desk/series/{series.pk}/edit/", True),
        "desk new series": ("/desk/series/new/", True),
        "desk delete series": (f"/desk/series/{series.pk}/delete/", True),
    }


@pytest.mark.browser
def test_a_writer_uploads_books_and_reads_the_summary(
    new_page, live_server, writer, sample_path, tmp_path
):
    broken = tmp_path / "broken.epub"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    page = signed_in_page(new_page, live_server, writer)
    page.goto("/desk/")
    page.get_by_role("link", name="Import books from files").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import books")
    page.get_by_label("Files:", exact=True).set_input_files([sample_path, broken])
    page.get_by_label("Publish now").check()
    page.get_by_role("button", name="Import").click()
    summary = page.locator("[data-import-summary]")
    expect(summary.get_by_role("heading", level=2)).to_have_text("1 of 2 files imported")
    expect(summary.locator("[data-file='broken.epub']")).to_contain_text("could not be read")
    summary.get_by_role("link", name=SAMPLE_BOOK).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SAMPLE_BOOK)
    assert list(Story.objects.values_list("title", flat=True)) == [SAMPLE_BOOK]


@pytest.mark.browser
def test_a_reader_steps_through_a_series(new_page, writer):
    series = a_series(writer)
    page = new_page()
    page.goto(series.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text("The Keeper's Years")
    page.get_by_role("link", name="Fog", exact=True).click()
    expect(page.get_by_text("Part 1 of")).to_be_visible()
    page.get_by_role("link", name="Next: Lamp →").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lamp")
    page.get_by_role("link", name="The Keeper's Years").click()
    expect(page).to_have_url(f"{page.url.split('/series/')[0]}{series.get_absolute_url()}")


@SAME_HTML
@pytest.mark.browser
def test_the_series_and_import_pages_pass_axe_and_fit_a_phone(new_page, live_server, writer, axe):
    series = a_series(writer)
    failures = []
    for options, screen in (({}, "desktop"), (PHONE, "phone")):
        page = signed_in_page(new_page, live_server, writer, **options)
        for name, (address, _desk) in addresses(series).items():
            page.goto(address)
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            if screen == "phone" and not fits_the_screen_width(page):
                failures.append(f"{name} on a phone: wider than the screen")
            failures += axe_failures(page, axe, f"{name} on {screen}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_the_series_and_import_pages_are_well_formed_html5(writer):
    series = a_series(writer)
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(writer)
    for name, (address, _desk) in addresses(series).items():
        response = client.get(address)
        assert response.status_code == 200, name
        parser = html5lib.HTMLParser(namespaceHTMLElements=False)
        document = parser.parse(response.content, transport_encoding="utf-8")
        errors = [f"line {line}: {code} {data or ''}" for (line, _c), code, data in parser.errors]
        assert not errors, f"{name}: " + "\n".join(errors)
        assert len(document.findall(".//h1")) == 1, name
        ids = Counter(element.get("id") for element in document.iter() if element.get("id"))
        assert [id for id, count in ids.items() if count > 1] == [], name
