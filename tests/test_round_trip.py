"""Export a book to EPUB and import it again: the same title, parts, tags, warnings and text."""

import re

import pytest

from storyhouse.stories import services
from storyhouse.stories.exporters import render
from storyhouse.stories.html import html_to_text
from storyhouse.stories.importers import read_book
from storyhouse.stories.imports import book_import
from storyhouse.stories.models import (
    Part,
    PartState,
    Series,
    SeriesEntry,
    Status,
    Story,
    Tag,
    TagType,
    Visibility,
)

pytestmark = pytest.mark.django_db


def words(html: str) -> str:
    return " ".join(html_to_text(html).split())


def tags_by_type(tags) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for tag in tags:
        found.setdefault(tag.type, set()).add(tag.name)
    return found


@pytest.fixture
def book(alice) -> Story:
    """A book with tags of every type, notes, a part with its own tags, in a series."""
    tags = services.tags_from_names(["Original Work"], type=TagType.FANDOM)
    tags += services.tags_from_names(["Mira", "Tobias Vane"], type=TagType.CHARACTER)
    tags += services.tags_from_names(["Mira/Tobias Vane"], type=TagType.RELATIONSHIP)
    tags += services.tags_from_names(["Slow Burn", "Found Family"], type=TagType.TROPE)
    tags += services.tags_from_names(["grief"], type=TagType.WARNING)
    tags += list(Tag.objects.filter(name__in=["Major Character Death", "F/M"]))
    story = services.story_save(
        Story(
            title="Rust & Roses: a <Winter> Tale",
            description="<p>Two rivals, one <em>greenhouse</em> & a long winter.</p>",
            language="en",
            rating=Tag.objects.get(name="Mature"),
            status=Status.COMPLETE,
            visibility=Visibility.PUBLIC,
        ),
        authors=[alice],
        tags=tags,
    )
    part_tags = services.tags_from_names(["Enemies to Lovers"], type=TagType.TROPE)
    part_tags += services.tags_from_names(["blood"], type=TagType.WARNING)
    services.part_save(
        Part(
            story=story,
            title="Frost",
            description="<p>The first frost comes early.</p>",
            notes_before="<p>Thank you, readers — «all» of you.</p>",
            notes_after="<p>See you next week!</p>",
            body="<p>Mira knelt by the roses. “Not yet,” she said.</p><p>Tobias laughed &amp; "
            "left 🌹.</p>",
            state=PartState.PUBLISHED,
        ),
        tags=part_tags,
        edited_by=alice,
    )
    services.part_save(
        Part(
            story=story,
            title="Thaw",
            body="<p>Spring, at last.</p><ul><li>one rose</li><li>two roses</li></ul>",
            state=PartState.PUBLISHED,
        ),
        edited_by=alice,
    )
    series = services.series_save(Series(title="Greenhouse Years", owner=alice))
    earlier = services.story_save(Story(title="Seedlings", visibility=Visibility.PUBLIC))
    SeriesEntry.objects.create(series=series, story=earlier, position=1)
    SeriesEntry.objects.create(series=series, story=story, position=2)
    story.refresh_from_db()
    return story


def test_an_exported_epub_comes_back_the_same(book, bob, tmp_path):
    path = tmp_path / "book.epub"
    path.write_bytes(render(book, "epub"))

    results = book_import(read_book(path), author=bob)

    copy = results[0].part.story
    assert copy.pk != book.pk
    assert copy.title == book.title
    assert copy.rating == book.rating
    assert copy.status == book.status
    assert copy.language == book.language
    assert words(copy.description) == words(book.description)
    assert tags_by_type(copy.tags.all()) == tags_by_type(book.tags.all())
    assert [part.title for part in copy.parts.all()] == ["Frost", "Thaw"]
    for original, imported in zip(book.parts.all(), copy.parts.all(), strict=True):
        assert words(imported.body) == words(original.body)
        assert words(imported.description) == words(original.description)
        assert words(imported.notes_before) == words(original.notes_before)
        assert words(imported.notes_after) == words(original.notes_after)
        assert tags_by_type(imported.tags.all()) == tags_by_type(original.tags.all())
    entry = SeriesEntry.objects.get(story=copy)
    assert (entry.series.title, entry.series.owner, entry.position) == ("Greenhouse Years", bob, 2)


def test_importing_a_books_own_epub_into_it_changes_nothing(book, alice, tmp_path):
    path = tmp_path / "book.epub"
    path.write_bytes(render(book, "epub"))
    bodies = [part.body for part in book.parts.all()]

    results = book_import(read_book(path), author=alice)

    assert [result.outcome for result in results] == ["unchanged", "unchanged"]
    assert Story.objects.filter(title=book.title).count() == 1
    # Paragraph anchors survive, so comments on paragraphs stay where they were.
    assert [part.body for part in Story.objects.get(pk=book.pk).parts.all()] == bodies
    assert re.search(r'id="p-[0-9a-f]+"', bodies[0])
