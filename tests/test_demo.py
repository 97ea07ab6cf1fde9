"""The demo: generated stories that read like fan fiction, loaded as if writers had typed them."""

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from statistics import median

import pytest
from django.db import transaction
from django.utils.html import escape

from storyhouse.demo.corpus import (
    LANGUAGE_TAGS,
    generate_stories,
    load_corpus,
    part_body,
    short_name,
)
from storyhouse.stories import services
from storyhouse.stories.archive_tags import WARNING_SYNONYMS
from storyhouse.stories.html import clean_body, html_to_text
from storyhouse.stories.models import (
    Authorship,
    Change,
    Part,
    PartState,
    Story,
    Tag,
    TagSlug,
    TagType,
)
from storyhouse.stories.text import count_words, slugify
from tests.helpers import OWN_SQLITE_SITE

LOADED = 25  # demo stories the database tests load
CACHED_FIELDS = [
    "parts_count",
    "word_count",
    "reads_count",
    "votes_count",
    "comments_count",
    "imported_reads",
    "imported_votes",
    "imported_comments",
    "published_at",
    "updated_at",
    "rating_id",
]
# The installed `storyhouse` script beside this Python, or the same entry point run as a module.
SCRIPT = Path(sys.executable).with_name("storyhouse")
STORYHOUSE = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "storyhouse.cli"]
SAMPLE_PART_PATH = (
    "/stories/1-one-for-all-and-izuku-midoriya-one-shots/parts/"
    "1-love-doesnt-always-mean-a-happy-ending/"
)


# The generator: plain data, no database.


def test_a_seed_always_tells_the_same_stories_and_another_seed_tells_others():
    first = list(generate_stories(200, seed=7))
    assert first == list(generate_stories(200, seed=7))
    assert first[:50] == list(generate_stories(50, seed=7))  # a longer corpus starts the same
    other = list(generate_stories(200, seed=8))
    assert [story.title for story in first] != [story.title for story in other]


def test_a_few_tags_are_everywhere_and_most_are_rare():
    stories = list(generate_stories(500))
    uses = Counter(tag for story in stories for tag in set(story.tag_names()))
    most = uses.most_common(1)[0][1]
    assert most >= 10 * median(uses.values())
    tropes = Counter(name for story in stories for name in story.tropes)
    assert tropes.most_common(1)[0][1] >= 5 * median(tropes.values())


def test_every_kind_of_tag_appears():
    stories = list(generate_stories(300))
    types = {tag_type for story in stories for tag_type, _name in story.tag_names()}
    assert types == set(TagType.values)


def test_the_stories_loaded_below_include_drafts_one_shot_collections_and_other_languages():
    # The database tests load these 25: this keeps them covering every kind of book.
    stories = list(generate_stories(LOADED))
    assert any(not part.published for story in stories for part in story.parts)
    assert any(part.tropes for story in stories for part in story.parts)
    assert any(story.language != "en" for story in stories)
    assert {story.status for story in stories} == {"complete", "ongoing"}


def test_each_body_has_exactly_the_words_the_story_promises():
    stories = list(generate_stories(120, seed=3))
    languages = set()
    for story in stories[::4]:
        for part in story.parts[:3]:
            body = clean_body(part_body(story, part))
            assert count_words(html_to_text(body)) == part.words
            assert 250 <= part.words <= 2600
            assert body.count("<p ") >= 3
            languages.add(story.language)
    assert {"en", "es"} <= languages


def test_a_part_reads_the_same_every_time_it_is_written():
    story = next(generate_stories(1))
    assert part_body(story, story.parts[0]) == part_body(story, story.parts[0])
    assert short_name(story.characters[0]) in part_body(story, story.parts[0])


# The loader: rows as the services would write them.


@pytest.fixture(scope="module")
def loaded_corpus(django_db_setup, django_db_blocker) -> None:
    """The first demo stories, loaded once for this module's tests and rolled back after them."""
    with django_db_blocker.unblock(), transaction.atomic():
        assert load_corpus(LOADED) == LOADED
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo_stories(loaded_corpus, db) -> list[Story]:
    return list(Story.objects.order_by("id"))


def test_loaded_books_cache_what_story_refresh_computes(demo_stories):
    for story in demo_stories:
        stored = {field: getattr(story, field) for field in CACHED_FIELDS}
        fresh = Story.objects.get(pk=story.pk)
        # story_refresh keeps dates it already has; without them it derives both from the parts.
        fresh.published_at = fresh.updated_at = None
        refreshed = services.story_refresh(fresh)
        assert {field: getattr(refreshed, field) for field in CACHED_FIELDS} == stored
        assert story.parts_count > 0
        story.full_clean()


def test_loaded_parts_are_stored_as_part_save_stores_them(demo_stories):
    parts = list(Part.objects.filter(story__in=demo_stories).select_related("story"))
    assert len(parts) > 2 * len(demo_stories)
    assert any(not part.is_published for part in parts)  # an ongoing book with a draft
    for part in parts:
        assert part.slug == slugify(part.title)
        assert part.body == clean_body(part.body, part.body)  # clean, every paragraph anchored
        assert 'id="p-' in part.body
        assert part.word_count == count_words(html_to_text(part.body))
        assert (part.published_at is not None) == part.is_published
        (revision,) = part.revisions.all()
        assert revision.body == part.body
        assert revision.edited_by == part.story.authors.get()
        part.full_clean()
    positions = [part.position for part in parts if part.story_id == parts[0].story_id]
    assert sorted(positions) == list(range(1, len(positions) + 1))
    assert Change.objects.filter(kind=Change.Kind.PART).count() == len(parts)
    story_changes = set(Change.objects.filter(kind=Change.Kind.STORY).values_list("object_id"))
    assert story_changes == {(story.pk,) for story in demo_stories}
    assert Authorship.objects.filter(story__in=demo_stories).count() == len(demo_stories)


def test_loaded_tags_follow_the_tag_rules(demo_stories):
    tags = list(Tag.objects.prefetch_related("parents"))
    for tag in tags:
        assert TagSlug.objects.get(slug=tag.slug).tag == tag
    characters = [tag for tag in tags if tag.type == TagType.CHARACTER]
    assert characters
    for character in characters:
        assert [parent.type for parent in character.parents.all()] == [TagType.FANDOM]
    # Free-text warnings such as "Character Death" filter as the archive warning they mean.
    synonyms = [t for t in tags if t.name.lower() in WARNING_SYNONYMS and not t.archive_defined]
    assert synonyms
    for tag in synonyms:
        assert tag.synonym_of.name == WARNING_SYNONYMS[tag.name.lower()]
    assert {tag.type for story in demo_stories for tag in story.tags.all()} >= {
        TagType.FANDOM,
        TagType.CHARACTER,
        TagType.RELATIONSHIP,
        TagType.TROPE,
        TagType.WARNING,
        TagType.CATEGORY,
        TagType.LANGUAGE,
    }
    languages = set(Tag.objects.filter(type=TagType.LANGUAGE).values_list("name", flat=True))
    assert languages <= set(LANGUAGE_TAGS.values())


def test_a_reader_can_open_every_loaded_book_its_parts_and_its_tags(demo_stories, reader):
    newest = max(demo_stories, key=lambda story: (story.published_at, story.pk))
    home = reader.get("/")
    assert home.status_code == 200
    assert escape(newest.title) in home.content.decode()
    for story in demo_stories[:8]:
        page = reader.get(story.get_absolute_url())
        assert page.status_code == 200
        assert escape(story.title) in page.content.decode()
        part = story.parts.filter(state=PartState.PUBLISHED).first()
        page = reader.get(part.get_absolute_url())
        assert page.status_code == 200
        assert escape(part.title) in page.content.decode()
        tag = story.tags.order_by("name").first()
        page = reader.get(tag.get_absolute_url())
        assert page.status_code == 200
        assert escape(tag.name) in page.content.decode()


def test_loading_twice_adds_nothing(demo_stories):
    counts = (Story.objects.count(), Part.objects.count(), Tag.objects.count())
    assert load_corpus(LOADED) == 0
    assert (Story.objects.count(), Part.objects.count(), Tag.objects.count()) == counts


# The command a newcomer runs first.


def storyhouse(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the `storyhouse` command against a database of its own in tmp_path."""
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env["STORYHOUSE_VAR_DIR"] = str(tmp_path)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/db.sqlite3"
    return subprocess.run(  # noqa: S603 (our own command, with arguments the tests wrote)
        [*STORYHOUSE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@OWN_SQLITE_SITE
def test_storyhouse_demo_sets_everything_up_and_can_run_again(tmp_path):
    first = storyhouse(tmp_path, "demo", "--no-serve", "--stories", "10")
    assert first.returncode == 0, first.stderr
    assert "username: admin" in first.stdout
    assert "password: " in first.stdout
    assert SAMPLE_PART_PATH in first.stdout
    assert "Wrote 10 demo stories." in first.stdout
    assert (tmp_path / "static" / "staticfiles.json").exists()

    again = storyhouse(tmp_path, "demo", "--no-serve", "--stories", "10")
    assert again.returncode == 0, again.stderr
    assert "The admin account already exists" in again.stdout
    assert "storyhouse changepassword admin" in again.stdout
    assert "password: " not in again.stdout
    assert "The demo stories are already here (10 of them)." in again.stdout
    assert SAMPLE_PART_PATH in again.stdout
