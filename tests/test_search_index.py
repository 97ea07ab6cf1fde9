"""The filter index gives the SQL oracle's answers: on random small archives and random
searches, after the archive changes (through the change log), and in another process that
follows the same database."""

import datetime
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyhouse.discovery import filters, index, oracle
from storyhouse.discovery.filters import TagGraph, resolve
from storyhouse.discovery.query import SORTS, SearchQuery
from storyhouse.stories import services
from storyhouse.stories.models import (
    Part,
    PartState,
    Status,
    Story,
    Tag,
    TagType,
    Visibility,
)
from tests.helpers import write_book

ROOT = Path(__file__).resolve().parent.parent
TYPES = [
    TagType.FANDOM,
    TagType.CHARACTER,
    TagType.RELATIONSHIP,
    TagType.TROPE,
    TagType.WARNING,
    TagType.CATEGORY,
]
TITLES = ["alpha", "Alpha", "beta", "Beta", "Zed", "zed", "10", "2", "Émile", "émile", "_x"]
LANGUAGES = ["en", "EN", "pt-br", "pt-BR", "de"]
MOMENTS = [
    None,
    datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.UTC),
    datetime.datetime(2024, 1, 1, 12, 0, 0, 1, tzinfo=datetime.UTC),
    datetime.datetime(2024, 3, 5, 23, 59, tzinfo=datetime.UTC),
    datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC),
]
SINCE = [None, datetime.date(2024, 1, 1), datetime.date(2024, 3, 6), datetime.date(2026, 1, 1)]


def same_answers(built: index.FilterIndex, f, graph, **options) -> None:
    """The index and the oracle give the same page, total and facets."""
    expected = oracle.run(f, graph, **options)
    assert built.run(f, graph, **options) == expected, (f, options)


def archive_corpus(data) -> None:
    """A random little archive, written with bulk_create: tags (free and canonical,
    synonyms, meta tags), books in every visibility, parts in every state, tags on both."""
    draw = data.draw
    ratings = list(Tag.objects.filter(type=TagType.RATING))
    tags = Tag.objects.bulk_create(
        [
            Tag(
                name=f"Tag {n}",
                slug=f"tag-{n}",
                type=draw(st.sampled_from(TYPES)),
                canonical=draw(st.booleans()),
            )
            for n in range(draw(st.integers(2, 10)))
        ]
    )
    for tag in tags:
        targets = [t for t in tags if t.canonical and t.type == tag.type and t is not tag]
        if not tag.canonical and targets and draw(st.booleans()):
            tag.synonym_of = draw(st.sampled_from(targets))
            tag.save(update_fields=["synonym_of"])
    # A rating that is a synonym of an archive rating, given to books as their rating.
    if draw(st.booleans()):
        ratings.append(
            Tag.objects.create(
                name="Rated Sometimes",
                slug="rated-sometimes",
                type=TagType.RATING,
                synonym_of=ratings[1],
            )
        )
    everything = [*tags, *Tag.objects.filter(type__in=[TagType.WARNING, TagType.CATEGORY])]
    links = draw(
        st.sets(
            st.tuples(st.sampled_from(everything), st.sampled_from(everything)).filter(
                lambda pair: pair[0] is not pair[1]
            ),
            max_size=5,
        )
    )
    Tag.parents.through.objects.bulk_create(
        [Tag.parents.through(from_tag_id=c.pk, to_tag_id=p.pk) for c, p in links],
        ignore_conflicts=True,
    )
    books = Story.objects.bulk_create(
        [
            Story(
                title=draw(st.sampled_from(TITLES)),
                slug="book",
                visibility=draw(st.sampled_from([*Visibility.values, Visibility.PUBLIC] * 2)),
                parts_count=draw(st.sampled_from([0, 1, 1, 2])),
                rating=draw(st.sampled_from([None, *ratings])),
                word_count=draw(st.sampled_from([0, 100, 1000, 5000])),
                status=draw(st.sampled_from(Status.values)),
                language=draw(st.sampled_from(LANGUAGES)),
                updated_at=draw(st.sampled_from(MOMENTS)),
                published_at=draw(st.sampled_from(MOMENTS)),
                reads_count=draw(st.integers(0, 3)),
                imported_reads=draw(st.integers(0, 3)),
                votes_count=draw(st.integers(0, 2)),
                imported_votes=draw(st.integers(0, 2)),
                comments_count=draw(st.integers(0, 2)),
                imported_comments=draw(st.integers(0, 2)),
            )
            for _ in range(draw(st.integers(4, 16)))
        ]
    )
    parts = Part.objects.bulk_create(
        [
            Part(
                story=book, title="Part", slug="part", state=draw(st.sampled_from(PartState.values))
            )
            for book in books
            for _ in range(draw(st.integers(0, 2)))
        ]
    )
    Story.tags.through.objects.bulk_create(
        [
            Story.tags.through(story_id=book.pk, tag_id=tag.pk)
            for book in books
            for tag in draw(st.sets(st.sampled_from(everything), max_size=3))
        ]
    )
    Part.tags.through.objects.bulk_create(
        [
            Part.tags.through(part_id=part.pk, tag_id=tag.pk)
            for part in parts
            for tag in draw(st.sets(st.sampled_from(everything), max_size=2))
        ]
    )


def a_search(data, graph: TagGraph, story_ids: list[int]):
    """A random search, resolved as the search page resolves it."""
    draw = data.draw
    slugs = st.sampled_from([*sorted(graph.slugs), "no-such-tag"])
    rating_slugs = [slug for slug, pk in graph.slugs.items() if pk in rating_ids(graph)]
    words = st.sampled_from([None, 0, 100, 1000, 4999])

    def sometimes(strategy, otherwise):
        """Each filter in about one search of six, so that many searches find books."""
        return draw(strategy) if draw(st.integers(0, 5)) == 0 else otherwise

    query = SearchQuery(
        include=tuple(sometimes(st.lists(slugs, min_size=1, max_size=3), [])),
        exclude=tuple(sometimes(st.lists(slugs, min_size=1, max_size=3), [])),
        rating=tuple(sometimes(st.lists(st.sampled_from(sorted(rating_slugs)), max_size=2), [])),
        complete=sometimes(st.booleans(), None),
        words_min=sometimes(words, None),
        words_max=sometimes(words, None),
        language=sometimes(st.sampled_from(["en", "pt-BR", "fr"]), ""),
        updated_since=sometimes(st.sampled_from(SINCE), None),
    )
    hidden = frozenset(sometimes(st.sets(st.sampled_from(sorted(graph.filter_of)), max_size=1), ()))
    text = None
    if story_ids and sometimes(st.just(True), False):
        found = draw(st.sets(st.sampled_from(story_ids)))
        text = {pk: draw(st.sampled_from([1.0, 2.5])) for pk in found}
    muted = frozenset()  # books the reader muted, as search() resolves them
    if story_ids and sometimes(st.just(True), False):
        muted = frozenset(draw(st.sets(st.sampled_from(story_ids), min_size=1)))
    f, _unknown = resolve(
        query, graph, members=draw(st.booleans()), hidden=hidden, muted=muted, text=text
    )
    return f, {
        "order": draw(st.sampled_from(SORTS)),
        "offset": draw(st.sampled_from([0, 0, 1, 3, 8])),
        "limit": draw(st.integers(1, 8)),
        "facets": draw(st.sampled_from([True, True, False])),
    }


def rating_ids(graph: TagGraph) -> set[int]:
    return {pk for pk, filter_id in graph.filter_of.items() if graph.type_of[filter_id] == "rating"}


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_index_answers_as_the_oracle_on_random_archives(data, monkeypatch):
    draw = data.draw
    # Both ways of counting facets and of finding the first books, on small archives too.
    if draw(st.booleans()):  # by intersections, however many it takes
        monkeypatch.setattr(index, "CSR_FACETS_UP_TO", 0)
        monkeypatch.setattr(index, "INTERSECTIONS_PER_BOOK", 1_000)
    monkeypatch.setattr(index, "WALK_UP_TO", draw(st.sampled_from([0, 20_000])))
    # Few facets per type, so that ties for the last place happen on small archives.
    monkeypatch.setattr(filters, "FACET_SIZE", draw(st.sampled_from([2, 10])))
    with transaction.atomic():
        archive_corpus(data)
        built = index.FilterIndex.build()
        graph = built.graph
        story_ids = sorted(Story.objects.values_list("id", flat=True))
        # Books counted as changed since the sorts were ranked are merged in by their keys.
        listed = sorted(built.listed)
        if listed and draw(st.booleans()):
            built.dirty.update(draw(st.sets(st.sampled_from(listed))))
            built.title_dirty.update(draw(st.sets(st.sampled_from(listed))))
        for _ in range(8):
            f, options = a_search(data, graph, story_ids)
            same_answers(built, f, graph, **options)
        transaction.set_rollback(True)


def archive_changes(data) -> None:
    """Random writes, each logged in the change log as the services log theirs."""
    draw = data.draw
    log = services.change_record
    books = list(Story.objects.all())
    tags = list(Tag.objects.all())
    for _ in range(draw(st.integers(2, 8))):
        action = draw(
            st.sampled_from(["synonym", "book", "tags", "part", "synonym", "delete", "new"])
        )
        if action == "new" or not books:
            book = Story.objects.create(
                title=draw(st.sampled_from(TITLES)),
                visibility=Visibility.PUBLIC,
                parts_count=1,
                updated_at=draw(st.sampled_from(MOMENTS)),
            )
            book.tags.set(draw(st.sets(st.sampled_from(tags), max_size=3)))
            books.append(book)
            log(kind="story", object_id=book.pk, story_id=book.pk)
            continue
        book = draw(st.sampled_from(books))
        if action == "book":
            Story.objects.filter(pk=book.pk).update(
                title=draw(st.sampled_from(TITLES)),
                visibility=draw(st.sampled_from(Visibility.values)),
                parts_count=draw(st.integers(0, 2)),
                word_count=draw(st.sampled_from([0, 100, 1000])),
                status=draw(st.sampled_from(Status.values)),
                language=draw(st.sampled_from(LANGUAGES)),
                updated_at=draw(st.sampled_from(MOMENTS)),
                votes_count=draw(st.integers(0, 3)),
            )
            log(kind="story", object_id=book.pk, story_id=book.pk)
        elif action == "tags":
            book.tags.set(draw(st.sets(st.sampled_from(tags), max_size=3)))
            log(kind="story", object_id=book.pk, story_id=book.pk)
        elif action == "part":
            part = Part.objects.create(
                story=book, title="New", slug="new", state=draw(st.sampled_from(PartState.values))
            )
            part.tags.set(draw(st.sets(st.sampled_from(tags), max_size=2)))
            log(kind="part", object_id=part.pk, story_id=book.pk)
            for other in book.parts.exclude(pk=part.pk)[:1]:
                other.state = draw(st.sampled_from(PartState.values))
                other.save(update_fields=["state"])
                log(kind="part", object_id=other.pk, story_id=book.pk)
        elif action == "synonym":
            free = [t for t in tags if not t.canonical and not t.synonyms.exists()]
            if free:
                tag = draw(st.sampled_from(free))
                targets = [t for t in tags if t.canonical and t.type == tag.type]
                tag.synonym_of = draw(st.sampled_from([None, *targets]))
                tag.save(update_fields=["synonym_of"])
                log(kind="tag", object_id=tag.pk)
        elif action == "delete":
            pk = book.pk
            books.remove(book)
            book.delete()
            log(kind="story", object_id=pk, story_id=pk)


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_index_follows_random_changes(data):
    with transaction.atomic():
        archive_corpus(data)
        built = index.FilterIndex.build()
        archive_changes(data)
        assert built.apply_changes() > 0
        graph = built.graph
        assert graph == TagGraph.load()
        assert built.contents() == index.FilterIndex.build().contents()
        story_ids = sorted(Story.objects.values_list("id", flat=True))
        for _ in range(8):
            f, options = a_search(data, graph, story_ids)
            same_answers(built, f, graph, **options)
        transaction.set_rollback(True)


# After the archive changes


def every_kind_of_search(built: index.FilterIndex, graph: TagGraph) -> None:
    """A fixed set of searches, each compared with the oracle and with a fresh index."""
    fresh = index.FilterIndex.build()
    for members in (False, True):
        for slug in [None, *sorted(graph.slugs)]:
            query = SearchQuery(include=(slug,) if slug else ())
            f, _unknown = resolve(query, graph, members=members)
            for order in ["updated", "title", "votes"]:
                expected = oracle.run(f, graph, order=order)
                assert fresh.run(f, graph, order=order) == expected, (slug, order)
                assert built.run(f, graph, order=order) == expected, (slug, order)
        f, _unknown = resolve(SearchQuery(exclude=("hero-villain",)), graph, members=members)
        assert built.run(f, graph, order="words") == oracle.run(f, graph, order="words")


@pytest.fixture
def followed(alice):
    """An archive, and an index built from it."""
    villain = services.tag_save(Tag(name="Hero/Villain", type=TagType.TROPE, canonical=True))
    services.tag_save(Tag(name="Fluff", type=TagType.TROPE))
    services.tag_save(Tag(name="Enemies", type=TagType.TROPE))
    write_book(alice, "Alpha", 2, tags=[villain])
    write_book(alice, "Bravo", 1)
    write_book(alice, "Charlie", 1, visibility=Visibility.MEMBERS, tags=[villain])
    return index.FilterIndex.build()


def caught_up(built: index.FilterIndex) -> TagGraph:
    assert built.apply_changes() > 0
    every_kind_of_search(built, built.graph)
    return built.graph


def test_publishing_and_unpublishing_a_part_is_followed(followed, alice):
    bravo = Story.objects.get(title="Bravo")
    fluff = Tag.objects.get(name="Fluff")
    part = services.part_save(
        Part(story=bravo, title="Two", body="<p>More.</p>", state=PartState.PUBLISHED),
        tags=[fluff],
    )
    graph = caught_up(followed)
    f, _ = resolve(SearchQuery(include=("fluff",)), graph, members=False)
    assert followed.run(f, graph, order="updated").ids == [bravo.pk]
    part.state = PartState.DRAFT
    services.part_save(part)
    caught_up(followed)
    assert followed.run(f, graph, order="updated").ids == []


def test_a_new_book_a_renamed_one_and_a_deleted_one_are_followed(followed, alice):
    write_book(alice, "Aardvark", 1, tags=[Tag.objects.get(name="Enemies")])
    alpha = Story.objects.get(title="Alpha")
    alpha.title = "Zulu"
    services.story_save(alpha)
    caught_up(followed)
    services.story_delete(Story.objects.get(title="Bravo"))
    graph = caught_up(followed)
    f, _ = resolve(SearchQuery(), graph, members=True)
    titles = followed.run(f, graph, order="title").ids
    assert titles == list(
        Story.objects.filter(title__in=["Aardvark", "Charlie", "Zulu"])
        .order_by("title")
        .values_list("id", flat=True)
    )


def test_tags_added_removed_and_made_synonyms_are_followed(followed, alice):
    bravo = Story.objects.get(title="Bravo")
    services.story_save(bravo, tags=[Tag.objects.get(name="Fluff")])
    alpha = Story.objects.get(title="Alpha")
    services.story_save(alpha, tags=[])
    caught_up(followed)
    # Fluff now filters as Hero/Villain: Bravo is found by it, and the facets count it there.
    services.tag_make_synonym(
        Tag.objects.get(name="Fluff"), of=Tag.objects.get(name="Hero/Villain")
    )
    graph = caught_up(followed)
    f, _ = resolve(SearchQuery(include=("hero-villain",)), graph, members=True)
    found = followed.run(f, graph, order="title")
    assert sorted(found.ids) == sorted(
        Story.objects.filter(title__in=["Bravo", "Charlie"]).values_list("id", flat=True)
    )
    assert dict(found.facets["trope"])[Tag.objects.get(name="Hero/Villain").pk] == 2


def test_counts_are_refreshed_without_a_change(followed):
    bravo = Story.objects.get(title="Bravo")
    Story.objects.filter(pk=bravo.pk).update(votes_count=50)
    followed.refresh()
    graph = followed.graph
    f, _ = resolve(SearchQuery(), graph, members=False)
    assert followed.run(f, graph, order="votes").ids[0] == bravo.pk
    assert followed.run(f, graph, order="votes") == oracle.run(f, graph, order="votes")


# Another process


FOLLOWER = """
import sys, time, django
django.setup()
from storyhouse.discovery import index
from storyhouse.discovery.filters import Filter
index.start()
while index.current() is None:
    time.sleep(0.05)
print("ready", flush=True)
seen = None
while True:
    built = index.current()
    ids = built.run(Filter(), built.graph, order="updated", limit=50).ids
    if ids != seen:
        print(" ".join(map(str, ids)) or "-", flush=True)
        seen = ids
    time.sleep(0.05)
"""


def database_url() -> str:
    """The test database, as the other process must name it."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user, host, port = settings["USER"], settings["HOST"] or "localhost", settings["PORT"]
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return f"postgres://{user}{password}@{host}:{port or 5432}/{settings['NAME']}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_another_process_sees_a_new_book_within_two_seconds(alice):
    write_book(alice, "Alpha", 1)
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SEARCH_INDEX": "1",
        "DJANGO_SETTINGS_MODULE": "storyhouse.settings",
    }
    follower = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", FOLLOWER],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line.strip()) for line in follower.stdout], daemon=True
    ).start()
    try:
        assert lines.get(timeout=60) == "ready"
        assert lines.get(timeout=10) == str(Story.objects.get(title="Alpha").pk)
        bravo = write_book(alice, "Bravo", 1)
        seen = lines.get(timeout=2)  # the follower polls twice a second
        assert seen.split()[0] == str(bravo.pk)
    finally:
        follower.kill()
        follower.wait()
