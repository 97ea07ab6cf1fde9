"""Words in titles, descriptions, tags and author names: which books they find, and how well.

One row per listed book (shared with readers, with a published part) in `discovery_storytext`:
an FTS5 table on SQLite, a weighted tsvector on PostgreSQL (made by migration 0001). The rows
are written by `refresh` (the worker follows the change log: `jobs.py`) and `rebuild`.

Whatever a person types is taken as plain words, never as query syntax: each word is quoted
(or, on PostgreSQL, made of letters and digits only), so `"`, `AND (` or `*` cannot break a
search. Every word must be found; the last one may be the start of a word ("lighth" finds
"Lighthouse"), since people search as they type.
"""

import datetime
import html
import re
from collections.abc import Callable, Iterable

from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.html import strip_tags

from storyhouse.stories.models import (
    Authorship,
    Change,
    Part,
    PartState,
    Story,
    Tag,
    Visibility,
)

from .models import TextCursor

TABLE = "discovery_storytext"
MAX_MATCHES = 10_000
MAX_WORDS = 20
BATCH = 500
# Letters and digits, in any script: the same words the FTS5 tokenizer (unicode61) sees.
WORD = re.compile(r"[^\W_]+")
# How long a hole in the change log may be a transaction still to commit (PostgreSQL hands
# out ids before commit, so id 7 can appear after id 8); after that it was rolled back.
GAP_WAIT_SECONDS = 30


def words(text: str) -> list[str]:
    """The words of a text, lower case, punctuation dropped."""
    return WORD.findall(text.lower())


def match_expression(q: str) -> str:
    """An FTS5 MATCH expression for what a person typed: every word quoted, the last as a
    prefix. Empty when nothing searchable was typed."""
    found = words(q)[:MAX_WORDS]
    if not found:
        return ""
    # Quoted strings are phrases to FTS5: no operator, column filter or bracket inside one
    # is read as syntax. WORD has no quote character, but double any the regex ever lets in.
    quoted = ['"' + word.replace('"', '""') + '"' for word in found]
    quoted[-1] += "*"
    return " ".join(quoted)


def tsquery_expression(q: str) -> str:
    """The PostgreSQL to_tsquery text for what a person typed: the words ANDed, the last
    as a prefix. Empty when nothing searchable was typed."""
    found = words(q)[:MAX_WORDS]
    if not found:
        return ""
    quoted = ["'" + word.replace("'", "''") + "'" for word in found]
    quoted[-1] += ":*"
    return " & ".join(quoted)


def scores(q: str) -> dict[int, float]:
    """The listed books these words find, each with a score (higher is better): at most
    MAX_MATCHES, the best ones."""
    if connection.vendor == "postgresql":
        expression = tsquery_expression(q)
        if not expression:
            return {}
        sql = f"""
            SELECT story_id, ts_rank(document, query) AS rank
            FROM {TABLE}, to_tsquery('simple', %s) query
            WHERE document @@ query ORDER BY rank DESC, story_id DESC LIMIT %s
        """  # noqa: S608 - the table name is ours; the words are a parameter
    else:
        expression = match_expression(q)
        if not expression:
            return {}
        # bm25 is lower for better matches; the weights follow the columns: a word in the
        # title counts most, then tags and authors, then the description.
        sql = f"""
            SELECT rowid, -bm25({TABLE}, 10.0, 4.0, 4.0, 1.0) AS rank
            FROM {TABLE} WHERE {TABLE} MATCH %s ORDER BY rank DESC, rowid DESC LIMIT %s
        """  # noqa: S608 - the table name is ours; the words are a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [expression, MAX_MATCHES])
        return {story_id: float(rank) for story_id, rank in cursor.fetchall()}


# Writing the table


def _listed() -> Q:
    """Books readers can find at all; who may see which is the filter's business."""
    return Q(visibility__in=[Visibility.PUBLIC, Visibility.MEMBERS], parts_count__gt=0)


def _documents(story_ids: list[int]) -> list[tuple[int, str, str, str, str]]:
    """(story id, title, tags, authors, description) for the listed books among these."""
    stories = list(
        Story.objects.filter(_listed(), pk__in=story_ids).values_list("id", "title", "description")
    )
    found = [pk for pk, _title, _description in stories]
    tags: dict[int, set[str]] = {pk: set() for pk in found}
    tag_rows = [
        *Story.tags.through.objects.filter(story_id__in=found).values_list(
            "story_id", "tag__name", "tag__synonym_of__name"
        ),
        *Part.tags.through.objects.filter(
            part__story_id__in=found, part__state=PartState.PUBLISHED
        ).values_list("part__story_id", "tag__name", "tag__synonym_of__name"),
    ]
    for story_id, name, canonical in tag_rows:
        tags[story_id].add(name)
        if canonical:
            tags[story_id].add(canonical)
    authors: dict[int, list[str]] = {pk: [] for pk in found}
    for story_id, username, display_name in (
        Authorship.objects.filter(story_id__in=found, accepted=True)
        .order_by("position", "id")
        .values_list("story_id", "user__username", "user__display_name")
    ):
        authors[story_id] += [display_name, username] if display_name else [username]
    return [
        (
            pk,
            title,
            " ; ".join(sorted(tags[pk])),
            " ; ".join(authors[pk]),
            html.unescape(strip_tags(description)),
        )
        for pk, title, description in stories
    ]


def _write(story_ids: list[int]) -> None:
    """Re-write the rows of these books; books no longer listed lose theirs."""
    documents = _documents(story_ids)
    with connection.cursor() as cursor:
        placeholders = ", ".join(["%s"] * len(story_ids))
        if connection.vendor == "postgresql":
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE story_id IN ({placeholders})",  # noqa: S608
                story_ids,
            )
            # PostgreSQL's parser reads "Hero/Villain" as one file-path token: store plain
            # words, split as queries split them, so every word is found on its own.
            cursor.executemany(
                f"""INSERT INTO {TABLE} (story_id, document) VALUES (%s,
                    setweight(to_tsvector('simple', %s), 'A')
                    || setweight(to_tsvector('simple', %s), 'B')
                    || setweight(to_tsvector('simple', %s), 'B')
                    || setweight(to_tsvector('simple', %s), 'D'))
                ON CONFLICT (story_id) DO UPDATE SET document = EXCLUDED.document""",  # noqa: S608
                [(pk, *(" ".join(words(text)) for text in texts)) for pk, *texts in documents],
            )
        else:
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE rowid IN ({placeholders})",  # noqa: S608
                story_ids,
            )
            cursor.executemany(
                f"INSERT INTO {TABLE} (rowid, title, tags, authors, description) "  # noqa: S608
                "VALUES (%s, %s, %s, %s, %s)",
                documents,
            )


def refresh(story_ids: Iterable[int]) -> None:
    """Bring these books' rows up to date (written, re-written or removed)."""
    ids = sorted({int(pk) for pk in story_ids if pk is not None})
    with transaction.atomic():
        for start in range(0, len(ids), BATCH):
            _write(ids[start : start + BATCH])


def caught_up_to() -> int:
    """The last change-log id whose books the text table holds: a page made from it is as
    current as that (the worker moves it on, apart from the write that made the change)."""
    return TextCursor.objects.filter(pk=1).values_list("last_change_id", flat=True).first() or 0


def _cursor() -> TextCursor:
    """The cursor row, locked until the transaction ends: one worker follows the log at a
    time, and the others wait rather than write the same rows."""
    TextCursor.objects.get_or_create(pk=1)
    return TextCursor.objects.select_for_update().get(pk=1)


def rebuild(progress: Callable[[int, int], object] | None = None) -> int:
    """Write the whole table again from the books; returns how many books it lists. Changes
    made meanwhile are caught by the next `follow_changes` (re-writing a row is harmless).
    `progress(done, total)` is told after each batch."""
    with transaction.atomic():
        cursor = _cursor()
        last_change = Change.objects.aggregate(last=Max("id"))["last"] or 0
        with connection.cursor() as db:
            db.execute(f"DELETE FROM {TABLE}")  # noqa: S608
        ids = list(Story.objects.filter(_listed()).order_by("id").values_list("id", flat=True))
        for start in range(0, len(ids), BATCH):
            _write(ids[start : start + BATCH])
            if progress is not None:
                progress(min(start + BATCH, len(ids)), len(ids))
        cursor.last_change_id = max(cursor.last_change_id, last_change)
        cursor.save(update_fields=["last_change_id"])
    return len(ids)


def _stories_of_tags(tag_ids: set[int]) -> set[int]:
    """Books carrying these tags or their synonyms (a renamed or merged tag changes the
    names their rows hold)."""
    tags = Tag.objects.filter(Q(id__in=tag_ids) | Q(synonym_of_id__in=tag_ids)).values("id")
    on_book = Story.tags.through.objects.filter(tag_id__in=tags).values_list("story_id", flat=True)
    on_part = Part.tags.through.objects.filter(tag_id__in=tags).values_list(
        "part__story_id", flat=True
    )
    return set(on_book) | set(on_part)


def follow_changes(limit: int = 1000) -> int:
    """Re-write the rows of books changed since the last call; returns how many changes were
    read. Safe to run in several workers at once: they take turns on the cursor row."""
    with transaction.atomic():
        cursor = _cursor()
        changes = list(
            Change.objects.filter(id__gt=cursor.last_change_id)
            .order_by("id")
            .values_list("id", "kind", "object_id", "story_id", "created_at")[:limit]
        )
        if not changes:
            return 0
        recent = timezone.now() - datetime.timedelta(seconds=GAP_WAIT_SECONDS)
        last = cursor.last_change_id
        for change_id, _kind, _object_id, _story_id, created_at in changes:
            # A hole before a recent change may be a transaction not yet committed: stop the
            # cursor before it, so that change is read when it lands. (Before the first row
            # ever read, the log may start anywhere: that is no hole.)
            if last and change_id != last + 1 and created_at > recent:
                break
            last = change_id
        # Votes and comments change no text.
        story_ids = {
            story_id
            for _id, kind, _obj, story_id, _at in changes
            if story_id and kind != Change.Kind.ENGAGEMENT
        }
        tag_ids = {obj for _id, kind, obj, _story, _at in changes if kind == Change.Kind.TAG}
        if tag_ids:
            story_ids |= _stories_of_tags(tag_ids)
        refresh(story_ids)
        if last != cursor.last_change_id:
            cursor.last_change_id = last
            cursor.save(update_fields=["last_change_id"])
    return len(changes)
