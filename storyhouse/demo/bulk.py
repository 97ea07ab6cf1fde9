"""The demo corpus in bulk: up to millions of one-part books written straight into the tables.

The search benchmark needs a million books in minutes, not the days `load_corpus` would take
at its pace. So this loader keeps only what search sees and pages show, from the same seeded
generator (`generate_stories`): each book becomes one published part with a short body, and
its rows (book, part, authorship, book tags, part tags) go in with one `executemany` per table
and batch on SQLite, or one `COPY` per table and batch on PostgreSQL.

What it leaves is consistent, so every page shows it as if writers had typed it: cached counts,
`parts_count`, published and updated dates, slugs and word counts are those the services would
compute. What it does not write: part revisions (no writer of the demo ever signs in to look at
a history) and change-log rows (a bulk load is followed by a full index build, not by
replaying a million changes).

Tags keep the corpus' Zipf skew across every type, and add what the plain corpus lacks for
search: synonyms that writers type instead of the canonical name, and meta tags over a few
tropes and fandoms. Ids are dense: each run continues after the highest id in the table.
"""

from __future__ import annotations

import html
import itertools
import random
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from .corpus import (
    DEFAULT_SEED,
    FANDOMS,
    FREE_WARNINGS,
    LANGUAGES,
    PAIRINGS_OF,
    TROPES,
    ProgressCallback,
    StoryMeta,
    _progress,
    _TagBook,
    demo_writers,
    generate_stories,
    part_body,
)

if TYPE_CHECKING:
    from rich.console import Console

DEFAULT_BATCH = 10_000

# Meta tags: (type, name) over sub-tags of the same type. A search for the meta tag finds
# books carrying any of them (see `storyhouse.discovery.filters.TagGraph`).
META_TAGS: dict[tuple[str, str], list[str]] = {
    ("trope", "Romance"): [
        "Slow Burn", "Enemies to Lovers", "Friends to Lovers", "Mutual Pining", "Fake Dating",
        "Rivals to Lovers", "Getting Together",
    ],
    ("fandom", "The Lantern Cycle"): [
        "The Lantern Courts", "Gilded Wings", "Hollow Crown Chronicles",
    ],
}  # fmt: skip
# Synonyms writers type instead of a canonical tag: synonym -> canonical name.
SYNONYMS = {
    "Slowburn": "Slow Burn",
    "Hurt & Comfort": "Hurt/Comfort",
    "Found Families": "Found Family",
    "Fluffy": "Fluff",
    "AU - Modern": "Modern AU",
    "Wren": "Wren Calloway",
    "Theo": "Theo Ashgrove",
}
CANONICAL_SYNONYMS = {canonical.lower(): synonym for synonym, canonical in SYNONYMS.items()}
SYNONYM_SHARE = 0.2  # how often a tag with a synonym is written as the synonym

# Dates: the generator spreads first parts over two years; stretched here to five.
DATE_STRETCH = 2.5
# Short bodies, shared: BODY_VARIANTS per fandom and language, of BODY_WORDS[k] words.
BODY_VARIANTS = 8
BODY_WORDS = [40 + 45 * k for k in range(BODY_VARIANTS)]


@dataclass
class BulkLoad:
    """What a bulk load wrote, and how long it took."""

    stories: int
    story_tags: int
    part_tags: int
    seconds: float


def bulk_tags() -> dict[str, tuple[int, str]]:
    """Every tag the bulk corpus uses, created through the services in a fixed order (so their
    ids do not depend on which book needs them first): lower-cased name -> (id, type)."""
    from storyhouse.stories import services
    from storyhouse.stories.models import Tag, TagType

    book = _TagBook()
    for fandom, _setting, cast in FANDOMS:
        book.get(TagType.FANDOM, fandom)
        for character, _pronoun in cast:
            book.get(TagType.CHARACTER, character)
        for pairing in PAIRINGS_OF[fandom]:
            book.get(TagType.RELATIONSHIP, pairing.name)
    for name in TROPES:
        book.get(TagType.TROPE, name)
    for name in FREE_WARNINGS:
        book.get(TagType.WARNING, name)
    for _code, name, _share in LANGUAGES:
        book.get(TagType.LANGUAGE, name)
    for (tag_type, name), children in META_TAGS.items():
        meta = book.tags.get(name.lower())
        if meta is None:
            meta = services.tag_save(Tag(name=name, type=tag_type, canonical=True))
            book.tags[name.lower()] = meta
        for child in children:
            tag = book.get(tag_type, child)
            if not tag.parents.filter(pk=meta.pk).exists():
                tag.parents.add(meta)
    for synonym, canonical in SYNONYMS.items():
        if synonym.lower() not in book.tags:
            target = book.tags[canonical.lower()]
            book.tags[synonym.lower()] = services.tag_save(
                Tag(name=synonym, type=target.type, synonym_of=target)
            )
    return {
        name.lower(): (pk, tag_type)
        for pk, name, tag_type in Tag.objects.values_list("id", "name", "type")
    }


class _Bodies:
    """Short bodies made once per fandom, language and length, then shared by many books."""

    def __init__(self) -> None:
        self.made: dict[tuple[str, str, int], tuple[str, int]] = {}

    def get(self, meta: StoryMeta, variant: int) -> tuple[str, int]:
        """(body HTML, its word count) for this book."""
        key = (meta.fandoms[0], meta.language, variant)
        found = self.made.get(key)
        if found is None:
            from storyhouse.stories.html import clean_body, html_to_text
            from storyhouse.stories.text import count_words

            # Written about the first book of the key's leads, from a seed of the key alone.
            seed = zlib.crc32(repr(key).encode())
            part = replace(meta.parts[0], words=BODY_WORDS[variant], seed=seed)
            body = clean_body(part_body(meta, part))
            found = self.made[key] = (body, count_words(html_to_text(body)))
        return found


def _paragraph(text: str) -> str:
    # What clean_html makes of one paragraph of plain text, without paying for nh3 a million
    # times (test_bench_corpus checks that the two agree).
    return f"<p>{html.escape(text, quote=False)}</p>" if text else ""


class _Writer:
    """Rows into tables: executemany on SQLite, COPY on PostgreSQL, on Django's connection."""

    def __init__(self) -> None:
        from django.db import connection

        self.connection = connection
        self.postgres = connection.vendor == "postgresql"

    def stamp(self, moment: datetime):
        """A timestamp as the backend's driver takes it: SQLite gets Django's text form."""
        if self.postgres:
            return moment
        return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ")

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
        names = ", ".join(columns)
        with self.connection.cursor() as cursor:
            raw = cursor.cursor  # the driver's own cursor: no per-row wrapping
            if self.postgres:
                with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" * len(columns))
                raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608

    def next_id(self, table: str) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
            return cursor.fetchone()[0] + 1

    def finish(self, models: list) -> None:
        """Sequences past the ids written here (PostgreSQL), and fresh planner statistics."""
        from django.core.management.color import no_style

        with self.connection.cursor() as cursor:
            if self.postgres:
                for sql in self.connection.ops.sequence_reset_sql(no_style(), models):
                    cursor.execute(sql)
            cursor.execute("ANALYZE")


def _columns(model, explicit: Sequence[str], now: datetime, writer: _Writer):
    """The table's columns: the `explicit` ones first, then every other one with its default.

    Returns (columns, defaults tuple). A new column with no default and no null makes this fail
    loudly rather than write rows the model would not accept."""
    columns = list(explicit)
    defaults = []
    for field in model._meta.concrete_fields:
        if field.column in explicit:
            continue
        if field.primary_key:
            continue  # the database numbers it
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = writer.stamp(now)
        elif field.has_default():
            value = field.get_default()
            if field.get_internal_type() == "JSONField":
                import json

                value = json.dumps(value)
            elif isinstance(value, bool) and not writer.postgres:
                value = int(value)
        elif field.null:
            value = None
        elif field.blank and field.get_internal_type() in ("CharField", "TextField"):
            value = ""
        else:
            raise RuntimeError(f"bulk load: no value for {model.__name__}.{field.name}")
        columns.append(field.column)
        defaults.append(value)
    return columns, tuple(defaults)


def _batches(metas: Iterator[StoryMeta], size: int) -> Iterator[list[StoryMeta]]:
    while batch := list(itertools.islice(metas, size)):
        yield batch


def bulk_load(
    stories: int,
    seed: int = DEFAULT_SEED,
    progress: Console | ProgressCallback | None = None,
    *,
    batch_size: int = DEFAULT_BATCH,
) -> BulkLoad:
    """Write `stories` one-part books of the seed's corpus, after whatever the tables hold.

    Each batch is one transaction. The same seed writes the same books (titles, tags, counts,
    bodies); only their dates follow the moment of loading."""
    from django.db import transaction
    from django.utils import timezone

    from storyhouse.stories.models import Authorship, Part, PartState, Story, Visibility
    from storyhouse.stories.text import slugify

    start = time.perf_counter()
    with transaction.atomic():
        writers = [user.pk for user in demo_writers()]
        tags = bulk_tags()
    rating_ids = {name: pk for name, (pk, tag_type) in tags.items() if tag_type == "rating"}
    writer = _Writer()
    now = timezone.now().replace(microsecond=0)
    rng = random.Random(f"bulk-{seed}")
    bodies = _Bodies()
    slugs: dict[str, str] = {}
    titles: dict[str, str] = {}

    story_columns, story_defaults = _columns(
        Story,
        [
            "id", "title", "slug", "description", "language", "rating_id", "status",
            "visibility", "parts_count", "word_count", "imported_reads", "imported_votes",
            "imported_comments", "created_at", "published_at", "updated_at",
        ],
        now,
        writer,
    )  # fmt: skip
    part_columns, part_defaults = _columns(
        Part,
        [
            "id", "story_id", "position", "title", "slug", "description", "notes_before",
            "notes_after", "body", "word_count", "state", "published_at", "imported_reads",
            "imported_votes", "imported_comments", "created_at", "updated_at",
        ],
        now,
        writer,
    )  # fmt: skip
    author_columns, author_defaults = _columns(
        Authorship, ["story_id", "user_id", "position"], now, writer
    )
    story_tags_table = Story.tags.through._meta.db_table
    part_tags_table = Part.tags.through._meta.db_table
    public, published = str(Visibility.PUBLIC), str(PartState.PUBLISHED)

    def tag_id(name: str) -> int:
        synonym = CANONICAL_SYNONYMS.get(name.lower())
        if synonym is not None and rng.random() < SYNONYM_SHARE:
            name = synonym
        return tags[name.lower()][0]

    def slug_of(title: str) -> str:
        slug = slugs.get(title)
        if slug is None:
            slug = slugs[title] = slugify(title)
        return slug

    story_id = writer.next_id(Story._meta.db_table)
    part_id = writer.next_id(Part._meta.db_table)
    total_story_tags = total_part_tags = 0
    report, finish = _progress(progress, stories)
    done = 0
    try:
        for batch in _batches(generate_stories(stories, seed), batch_size):
            story_rows, part_rows, author_rows, story_tag_rows, part_tag_rows = [], [], [], [], []
            for meta in batch:
                first = meta.parts[0]
                # The first part is the book; it is published even where the generator had it
                # as a draft (a book of one draft part would not be listed at all).
                ago = int((first.published_seconds_ago or 0) * DATE_STRETCH)
                when = writer.stamp(now - timedelta(seconds=ago))
                title = titles.setdefault(meta.title, " ".join(meta.title.split()))
                slug = slug_of(title)
                body, words = bodies.get(meta, first.seed % BODY_VARIANTS)
                story_rows.append(
                    (
                        story_id, title, slug, _paragraph(meta.description), meta.language,
                        rating_ids[meta.rating.lower()], meta.status, public, 1, words,
                        first.reads, first.votes, first.comments, when, when, when,
                        *story_defaults,
                    )
                )  # fmt: skip
                part_rows.append(
                    (
                        part_id, story_id, 1, title, slug, _paragraph(first.description),
                        _paragraph(first.notes_before), _paragraph(first.notes_after), body,
                        words, published, when, first.reads, first.votes, first.comments,
                        when, when, *part_defaults,
                    )
                )  # fmt: skip
                author_rows.append((story_id, writers[meta.author], 0, *author_defaults))
                names = [*meta.archive_warnings, *meta.warnings, *meta.categories]
                names += [*meta.fandoms, *meta.characters, *meta.relationships, *meta.tropes]
                names.append(meta.language_tag)
                for pk in dict.fromkeys(tag_id(name) for name in names):
                    story_tag_rows.append((story_id, pk))
                for pk in dict.fromkeys(tag_id(name) for name in first.tropes + first.warnings):
                    part_tag_rows.append((part_id, pk))
                story_id += 1
                part_id += 1
            with transaction.atomic():
                writer.insert(Story._meta.db_table, story_columns, story_rows)
                writer.insert(Part._meta.db_table, part_columns, part_rows)
                writer.insert(Authorship._meta.db_table, author_columns, author_rows)
                writer.insert(story_tags_table, ["story_id", "tag_id"], story_tag_rows)
                writer.insert(part_tags_table, ["part_id", "tag_id"], part_tag_rows)
            total_story_tags += len(story_tag_rows)
            total_part_tags += len(part_tag_rows)
            done += len(batch)
            report(done, stories)
    finally:
        finish()
    writer.finish([Story, Part, Authorship, Story.tags.through, Part.tags.through])
    return BulkLoad(done, total_story_tags, total_part_tags, time.perf_counter() - start)


def fast_bench_writes() -> Callable[[], None]:
    """For a throw-away benchmark database only: faster, less careful writes for this
    connection. SQLite stops waiting for the disk after each batch; PostgreSQL commits without
    waiting for its log and, where the role may, skips the foreign-key triggers (the loader
    writes only ids it has just made). A crash may then lose the database, which a benchmark
    simply loads again. Returns the function that puts the safe settings back."""
    from django.db import DatabaseError, connection, transaction

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB of page cache while loading
            safe = ["PRAGMA synchronous=NORMAL", "PRAGMA cache_size=-2000"]
        elif connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit TO off")
            safe = ["RESET synchronous_commit"]
            try:
                with transaction.atomic():
                    cursor.execute("SET session_replication_role TO replica")
                safe.append("RESET session_replication_role")
            except DatabaseError:
                pass  # not a superuser: the triggers stay, and the load is slower
        else:
            safe = []

    def restore() -> None:
        with connection.cursor() as cursor:
            for statement in safe:
                cursor.execute(statement)

    return restore
