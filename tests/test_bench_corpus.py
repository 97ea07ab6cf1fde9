"""The bulk demo corpus the search benchmark loads: rows as consistent as the services make."""

from collections import Counter

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils.html import escape

from storyhouse.demo.bulk import META_TAGS, SYNONYMS, _paragraph, bulk_load
from storyhouse.demo.corpus import LANGUAGE_TAGS, generate_stories
from storyhouse.stories import access, adult_gate, queries
from storyhouse.stories.html import clean_html, html_to_text
from storyhouse.stories.models import Part, PartState, Story, Tag, TagType, Visibility
from storyhouse.stories.text import count_words, slugify
from tests.helpers import write_book

BOOKS = 300
SEED = 7

pytestmark = pytest.mark.django_db


def snapshot() -> list[tuple]:
    """What readers see of each book, in id order, leaving out ids and dates."""
    rows = []
    stories = Story.objects.order_by("id").prefetch_related("tags", "parts__tags", "authors")
    for story in stories.select_related("rating"):
        part = story.parts.all()[0]
        rows.append(
            (
                story.title,
                story.description,
                story.rating.name,
                story.status,
                story.language,
                story.imported_votes,
                sorted(tag.name for tag in story.tags.all()),
                sorted(tag.name for tag in part.tags.all()),
                html_to_text(part.body),  # paragraph ids are random, the words are not
                [author.username for author in story.authors.all()],
            )
        )
    return rows


def test_every_book_has_one_published_part_and_the_counts_pages_show():
    loaded = bulk_load(BOOKS, SEED)

    assert loaded.stories == BOOKS
    assert Story.objects.count() == Part.objects.count() == BOOKS
    for story in Story.objects.prefetch_related("parts"):
        [part] = story.parts.all()
        assert part.state == PartState.PUBLISHED and part.position == 1
        assert story.visibility == Visibility.PUBLIC and story.parts_count == 1
        assert part.word_count == count_words(html_to_text(part.body)) > 0
        assert story.word_count == part.word_count
        assert (story.imported_reads, story.imported_votes, story.imported_comments) == (
            part.imported_reads,
            part.imported_votes,
            part.imported_comments,
        )
        assert story.published_at == story.updated_at == part.published_at
        assert story.slug == slugify(story.title) and part.slug == slugify(part.title)
    ids = sorted(Story.objects.values_list("id", flat=True))
    assert ids == list(range(ids[0], ids[0] + BOOKS))  # dense


def test_writers_go_on_writing_after_a_bulk_load(alice):
    bulk_load(BOOKS, SEED)

    book = write_book(alice, "After the Flood", 2)

    assert book.pk == Story.objects.count()
    assert access.listed_stories(AnonymousUser()).count() == BOOKS + 1


def test_the_books_are_the_seeds_stories_with_their_tags_typed(reader):
    bulk_load(BOOKS, SEED)

    metas = list(generate_stories(BOOKS, SEED))
    stories = Story.objects.order_by("id").select_related("rating").prefetch_related("tags")
    used = Counter()
    for meta, story in zip(metas, stories, strict=True):
        assert story.title == " ".join(meta.title.split())
        assert story.rating.type == TagType.RATING and story.rating.name == meta.rating
        by_type: dict[str, set[str]] = {}
        for tag in story.tags.all():
            by_type.setdefault(tag.type, set()).add(tag.filter_tag.name)
            used[tag.name] += 1
        assert by_type[TagType.FANDOM] == set(meta.fandoms)
        assert by_type[TagType.CHARACTER] == set(meta.characters)
        assert by_type.get(TagType.RELATIONSHIP, set()) == set(meta.relationships)
        assert by_type[TagType.TROPE] == set(meta.tropes)
        assert by_type[TagType.CATEGORY] == set(meta.categories)
        assert by_type[TagType.LANGUAGE] == {LANGUAGE_TAGS[story.language]}
        assert set(meta.archive_warnings) <= by_type[TagType.WARNING]
    # Writers sometimes type a synonym, and the meta tags stand over their sub-tags.
    assert any(used[synonym] for synonym in SYNONYMS)
    for synonym in SYNONYMS:
        assert Tag.objects.get(name=synonym).synonym_of.name == SYNONYMS[synonym]
    for (tag_type, name), children in META_TAGS.items():
        meta_tag = Tag.objects.get(name=name, type=tag_type)
        assert set(meta_tag.children.values_list("name", flat=True)) == set(children)
    # Popular tags are on many books, most on few.
    tropes = Counter(name for meta in metas for name in meta.tropes)
    assert tropes.most_common(1)[0][1] >= 5 * sorted(tropes.values())[len(tropes) // 2]


def test_a_guest_finds_every_book_listed_and_can_read_it(reader):
    bulk_load(BOOKS, SEED)

    assert access.listed_stories(AnonymousUser()).count() == BOOKS
    home = reader.get("/").content.decode()
    for story in queries.stories_new(AnonymousUser()):
        assert escape(story.title) in home
    story = Story.objects.order_by("-imported_votes").first()
    # The guest has passed the adult-content gate, should the book be rated for adults.
    reader.cookies[adult_gate.COOKIE] = adult_gate.COOKIE_VALUE
    page = reader.get(story.get_absolute_url()).content.decode()
    assert escape(story.title) in page
    part = story.parts.get()
    page = reader.get(part.get_absolute_url()).content.decode()
    assert html_to_text(part.body).split("\n")[0][:30] in html_to_text(page)


def test_the_same_seed_writes_the_same_books():
    bulk_load(BOOKS, SEED)
    first = snapshot()
    Story.objects.all().delete()

    bulk_load(BOOKS, SEED)

    assert snapshot() == first
    Story.objects.all().delete()
    bulk_load(50, SEED + 1)
    assert [row[0] for row in snapshot()] != [row[0] for row in first[:50]]


def test_descriptions_are_written_as_the_sanitizer_would_write_them():
    for meta in generate_stories(BOOKS, SEED):
        for text in (meta.description, meta.parts[0].description, meta.parts[0].notes_before):
            assert _paragraph(text) == clean_html(_paragraph(text))
