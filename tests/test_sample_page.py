"""The sample part copied from a story site, imported and read as a guest would read it."""

import re
from html import escape

import pytest

from storyhouse.stories.importers import read_book
from storyhouse.stories.imports import book_import, import_account
from storyhouse.stories.models import Part

pytestmark = pytest.mark.django_db

TITLE = "Love Doesn't Always Mean A Happy Ending"
BOOK = "One For All and Izuku Midoriya One-Shots"


@pytest.fixture
def sample_part(sample_path) -> Part:
    (result,) = book_import(read_book(sample_path), author=import_account())
    return result.part


def test_the_part_page_shows_everything_the_sample_holds(sample_part, sample_text, reader):
    page = reader.get(sample_part.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert "Love Doesn&#x27;t Always Mean A Happy Ending" in html
    assert "<strong>583</strong> reads" in html
    assert "<strong>4</strong> votes" in html
    assert "<strong>2</strong> comments" in html
    assert "the Second and the Monster had a relationship" in html  # description
    assert "I came up with when I saw All For One crying" in html  # author's note
    assert '<a class="tag tag--trope" href="/tags/hero-villain/">Hero/Villain</a>' in html
    for warning in (
        "Mentioned emotional manipulation and toxic relationship",
        "canonical character death",
        "no happy ending",
    ):
        assert f">{warning}</a>" in html
    assert f"data-book-link>{BOOK}</a>" in html
    assert "Where stories live" not in html
    assert "Discover now" not in html


def test_every_body_paragraph_is_on_the_page(sample_part, sample_text, reader):
    html = reader.get(sample_part.get_absolute_url()).content.decode()
    body_start = sample_text.index("He knew it would end this way")
    body = sample_text[body_start : sample_text.index(BOOK + "Where stories live")]
    paragraphs = [line.strip() for line in body.splitlines() if line.strip()]
    assert len(paragraphs) == 25
    for paragraph in paragraphs:
        assert re.search(
            rf'<p id="p-[0-9a-f]{{4}}">{re.escape(escape(paragraph, quote=False))}</p>', html
        )


def test_the_major_character_death_tag_lists_the_book_through_its_synonym(sample_part, reader):
    page = reader.get("/tags/major-character-death/")
    assert page.status_code == 200
    assert BOOK in page.content.decode()
    assert "canonical character death" in page.content.decode()  # shown among the synonyms
