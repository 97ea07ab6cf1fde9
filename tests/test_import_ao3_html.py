"""Importing an HTML download from Archive of Our Own (tests/files/ao3-download.html follows
the structure of AO3's download templates: preface, chapters, afterword)."""

from pathlib import Path

import pytest

from storyhouse.stories.importers import CannotImport, read_book
from storyhouse.stories.imports import book_import
from storyhouse.stories.models import Change, SeriesEntry, Story, TagType

AO3 = Path(__file__).parent / "files" / "ao3-download.html"


def test_the_preface_becomes_the_books_metadata():
    book = read_book(AO3)
    assert book.title == "The Cartographer's Daughter"
    assert book.authors == ["tidewriter"]
    assert book.rating == "Teen And Up Audiences"
    assert book.archive_warnings == ["Graphic Depictions Of Violence", "Major Character Death"]
    assert book.tags == {
        "category": ["F/F", "Gen"],
        "fandom": ["Original Work"],
        "relationship": ["Isolde/Wren"],
        "character": ["Isolde Marrow", "Wren (Original Character)"],
        "trope": ["Maps", "Slow Burn", "Found Family"],
    }
    assert book.language == "en"
    assert (book.series_title, book.series_position) == ("The Drowned Coast", 2)
    assert book.status == "complete"
    assert str(book.published) == "2021-03-04"
    assert "Isolde maps a coast that keeps <em>moving</em>" in book.description_html


def test_the_chapters_keep_their_titles_summaries_and_notes():
    parts = read_book(AO3).parts
    assert [part.title for part in parts] == ["The Shifting Shore", "Chapter 2", "High Water"]
    first, second, third = parts
    assert "Isolde arrives at the coast." in first.description_html
    # The work's notes come before the first chapter's own.
    assert first.notes_before_html.index("Drowned Coast exchange") < first.notes_before_html.index(
        "Content note: a storm."
    )
    assert "Thank you for reading the first chapter!" in first.notes_after_html
    assert "lighthouse fire" in second.body_html
    assert "The last one." in third.notes_before_html
    assert "The series continues in part three." in third.notes_after_html


def test_an_ao3_work_becomes_a_rated_tagged_book(alice, reader):
    results = book_import(read_book(AO3), author=alice)
    story = Story.objects.get()
    assert [result.outcome for result in results] == ["created"] * 3
    assert story.rating.name == "Teen And Up Audiences"
    assert story.status == "complete"
    by_type = {}
    for tag in story.tags.all():
        by_type.setdefault(tag.type, set()).add(tag.name)
    assert by_type[TagType.WARNING] == {"Graphic Depictions Of Violence", "Major Character Death"}
    assert by_type[TagType.CATEGORY] == {"F/F", "Gen"}
    assert by_type[TagType.FANDOM] == {"Original Work"}
    assert by_type[TagType.RELATIONSHIP] == {"Isolde/Wren"}
    assert by_type[TagType.CHARACTER] == {"Isolde Marrow", "Wren (Original Character)"}
    assert by_type[TagType.TROPE] == {"Maps", "Slow Burn", "Found Family"}
    entry = SeriesEntry.objects.get()
    assert (entry.series.title, entry.position) == ("The Drowned Coast", 2)

    page = reader.get(story.parts.first().get_absolute_url()).content.decode()
    assert "The coastline had moved again overnight." in page
    assert "never runs" not in page  # the script is gone
    assert "tracker.png" not in page  # and the image with it
    assert "A gull screamed." in page


def test_reimporting_the_download_changes_nothing(alice):
    book_import(read_book(AO3), author=alice)
    changes = Change.objects.count()
    again = book_import(read_book(AO3), author=alice)
    assert {result.outcome for result in again} == {"unchanged"}
    assert Change.objects.count() == changes


def test_a_one_chapter_work_is_one_part_titled_like_the_work(tmp_path):
    text = AO3.read_text(encoding="utf-8")
    start = text.index('<div id="chapters"')
    end = text.index('<div id="afterword"')
    single = (
        '<div id="chapters" class="userstuff"><div class="userstuff">'
        "<p>Just one chapter.</p></div></div>"
    )
    path = tmp_path / "single.html"
    path.write_text(text[:start] + single + text[end:], encoding="utf-8")
    (part,) = read_book(path).parts
    assert part.title == "The Cartographer's Daughter"
    assert "Just one chapter." in part.body_html


def test_an_ao3_page_without_chapters_is_refused(tmp_path):
    text = AO3.read_text(encoding="utf-8")
    start = text.index('<div id="chapters"')
    end = text.index('<div id="afterword"')
    path = tmp_path / "empty.html"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(CannotImport, match="^found no chapters in this AO3 work$"):
        read_book(path)


def test_a_file_without_warnings_gets_the_creators_choice(tmp_path, alice):
    text = AO3.read_text(encoding="utf-8")
    start = text.index("<dt>Archive Warnings:</dt>")
    end = text.index("<dt>Categories:</dt>")
    path = tmp_path / "unwarned.html"
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    book_import(read_book(path), author=alice)
    warnings = Story.objects.get().tags.filter(type=TagType.WARNING)
    assert [tag.name for tag in warnings] == ["Creator Chose Not To Use Archive Warnings"]
