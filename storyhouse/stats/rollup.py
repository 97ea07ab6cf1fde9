"""Rolling up a day: from the read, vote, comment, library and follow records to the daily
rows writers' statistics are drawn from (models.py).

Rolling a day up again gives the same rows (every figure is recomputed from the records, and
the reader records only ever gain what they lack), so `catch_up` simply rolls up, in order,
every day from the last one it finished through today: after downtime it catches up, and
today is rolled up again on each run, which keeps the pages current within a few minutes.
"""

import datetime
import time
from collections import Counter, defaultdict

from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from storyhouse.engagement.models import (
    Comment,
    Follow,
    LibraryEntry,
    PartProgress,
    Read,
    Vote,
)
from storyhouse.stories.models import Authorship, Part

from .models import (
    PartDay,
    ReaderPart,
    ReaderStory,
    Rollup,
    SourceDay,
    StoryDay,
    WriterDay,
)

ONE_DAY = datetime.timedelta(days=1)
# The PostgreSQL advisory lock that keeps two roll-ups from writing the same day at once.
ROLLUP_LOCK = 0x5707_5A75
# Reads reach the database within a second or two of midnight: yesterday is rolled up
# once more with today, to take in the last of them.
SETTLING_DAYS = 1


def _bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, timezone.make_aware(datetime.datetime.combine(day + ONE_DAY, datetime.time.min))


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _execute(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _new_readers(day: datetime.date) -> None:
    """Reader records for everyone who read on this day and had none yet."""
    read, part = _table(Read), _table(Part)
    # In the order of each table's unique index: its pages are then filled one after the
    # other, not picked at random (three times faster on PostgreSQL at millions of rows).
    for model, columns, select, order in (
        (
            ReaderPart,
            "part_id, story_id, reader, first_day",
            "r.part_id, p.story_id",
            "r.part_id, r.reader",
        ),
        (ReaderStory, "story_id, reader, first_day", "DISTINCT p.story_id", "p.story_id, r.reader"),
    ):
        _execute(
            f"INSERT INTO {_table(model)} ({columns}) "  # noqa: S608 - names from the models
            f"SELECT {select}, r.reader, r.day FROM {read} r JOIN {part} p ON p.id = r.part_id "
            f"WHERE r.day = %s ORDER BY {order} ON CONFLICT DO NOTHING",
            [day],
        )


def _binges(day: datetime.date) -> None:
    """Readers who read three or more parts of a book on this day, for the first time."""
    read, part = _table(Read), _table(Part)
    bingers = (
        f"SELECT p.story_id, r.reader FROM {read} r JOIN {part} p ON p.id = r.part_id "  # noqa: S608
        "WHERE r.day = %s GROUP BY p.story_id, r.reader HAVING COUNT(*) >= 3"
    )
    with connection.cursor() as cursor:
        cursor.execute(bingers, [day])
        found = cursor.fetchall()
    by_story: dict[int, list[str]] = defaultdict(list)
    for story_id, reader in found:
        by_story[story_id].append(reader)
    for story_id, readers in by_story.items():
        for start in range(0, len(readers), 500):
            ReaderStory.objects.filter(
                story_id=story_id, reader__in=readers[start : start + 500], binge_day=None
            ).update(binge_day=day)


def _finishes(day: datetime.date) -> None:
    """Parts that signed-in readers finished (reached the last paragraph) by this day."""
    start, end = _bounds(day)
    finished = PartProgress.objects.filter(
        last_read_at__gte=start, last_read_at__lt=end, paragraphs_total__gt=0
    ).values_list("part_id", "user_id", "paragraph_position", "paragraphs_total")
    by_part: dict[int, list[str]] = defaultdict(list)
    for part_id, user_id, position, total in finished.iterator():
        if position + 1 >= total:
            by_part[part_id].append(f"u{user_id}")
    for part_id, readers in by_part.items():
        ReaderPart.objects.filter(part_id=part_id, reader__in=readers, finished_day=None).update(
            finished_day=day
        )


def _books_touched(day: datetime.date) -> dict[int, list[int]]:
    """The parts, in reading order, of every book with a reader record that changed today."""
    touched = set(
        ReaderPart.objects.filter(first_day=day).values_list("story_id", flat=True).distinct()
    )
    touched |= set(
        ReaderPart.objects.filter(finished_day=day).values_list("story_id", flat=True).distinct()
    )
    parts: dict[int, list[int]] = defaultdict(list)
    rows = Part.objects.filter(story_id__in=touched).order_by("story_id", "position", "id")
    for story_id, part_id in rows.values_list("story_id", "id").iterator():
        parts[story_id].append(part_id)
    return parts


def _from_start(day: datetime.date) -> tuple[Counter, Counter]:
    """Per part, the readers who on this day came to have opened both part 1 of its book and
    the part, and of those, who had finished the part by then (each reader and part counted
    on exactly one day, so totals are sums over days)."""
    reader_part, reader_story = _table(ReaderPart), _table(ReaderStory)
    parts_of = _books_touched(day)
    firsts = sorted((story_id, parts[0]) for story_id, parts in parts_of.items())
    columns = "r.part_id, r.reader, r.first_day, s.first_day, r.finished_day"
    found = {}
    late: list[tuple[int, str]] = []  # (book, reader): opened part 1 today, other parts before
    with connection.cursor() as cursor:
        for start in range(0, len(firsts), 400):
            some = firsts[start : start + 400]
            # Each book's part 1, joined to a reader's record of it by the unique index.
            mapping = ", ".join(["(CAST(%s AS BIGINT), CAST(%s AS BIGINT))"] * len(some))
            by_first = (
                f"SELECT {columns} FROM {reader_part} r "  # noqa: S608 - names from the models
                f"JOIN (VALUES {mapping}) f ON f.column1 = r.story_id "
                f"JOIN {reader_part} s ON s.part_id = f.column2 AND s.reader = r.reader WHERE "
            )
            pairs = [value for pair in some for value in pair]
            # Opened the part today, part 1 that day or before; or finished the part today.
            for where in ("r.first_day = %s AND s.first_day <= %s", "r.finished_day = %s"):
                cursor.execute(by_first + where, [*pairs, *[day] * where.count("%s")])
                for part_id, reader, opened_on, started_on, finished_on in cursor.fetchall():
                    found[(part_id, reader)] = (opened_on, started_on, finished_on)
            first_ids = ", ".join(["%s"] * len(some))
            cursor.execute(
                f"SELECT s.story_id, s.reader FROM {reader_part} s "  # noqa: S608
                f"JOIN {reader_story} b ON b.story_id = s.story_id AND b.reader = s.reader "
                f"WHERE s.first_day = %s AND s.part_id IN ({first_ids}) AND b.first_day < %s",
                [day, *[part_id for _story, part_id in some], day],
            )
            late += cursor.fetchall()
        # The parts those readers had opened before (rare: found by the unique index).
        by_book: dict[int, list[str]] = defaultdict(list)
        for story_id, reader in late:
            by_book[story_id].append(reader)
        for story_id, readers in by_book.items():
            part_ids = ", ".join(["%s"] * len(parts_of[story_id]))
            for start in range(0, len(readers), 400):
                some_readers = readers[start : start + 400]
                cursor.execute(
                    f"SELECT part_id, reader, first_day, finished_day FROM {reader_part} "  # noqa: S608
                    f"WHERE part_id IN ({part_ids}) "
                    f"AND reader IN ({', '.join(['%s'] * len(some_readers))}) AND first_day < %s",
                    [*parts_of[story_id], *some_readers, day],
                )
                for part_id, reader, opened_on, finished_on in cursor.fetchall():
                    found[(part_id, reader)] = (opened_on, day, finished_on)
    opened, finished = Counter(), Counter()
    for (part_id, _reader), (opened_on, started_on, finished_on) in found.items():
        both = max(_as_date(opened_on), _as_date(started_on))
        if both == day:
            opened[part_id] += 1
        if finished_on is not None and max(both, _as_date(finished_on)) == day:
            finished[part_id] += 1
    return opened, finished


def _as_date(value) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _count_by(queryset, field: str, start, end, *keys: str) -> Counter:
    rows = queryset.filter(**{f"{field}__gte": start, f"{field}__lt": end}).values(*keys)
    return Counter({tuple(row[k] for k in keys): row["n"] for row in rows.annotate(n=Count("id"))})


@transaction.atomic
def rollup_day(day: datetime.date) -> None:
    """Make this day's rows afresh from the records (and the reader records it adds to)."""
    if connection.vendor == "postgresql":
        # Several workers may roll up at once (one beside each server): one at a time, each
        # making the same rows. (SQLite takes one writer at a time anyway.)
        _execute("SELECT pg_advisory_xact_lock(%s)", [ROLLUP_LOCK])
        # Everything here can be made again from the records (catch_up rolls up again any
        # day not final): no need to wait for the disk at commit.
        _execute("SET LOCAL synchronous_commit TO OFF", [])
    _new_readers(day)
    _binges(day)
    _finishes(day)
    start, end = _bounds(day)
    reads = Counter(
        {
            (row["part_id"], row["part__story_id"]): row["n"]
            for row in Read.objects.filter(day=day)
            .values("part_id", "part__story_id")
            .annotate(n=Count("id"))
        }
    )
    votes = _count_by(Vote.objects, "created_at", start, end, "part_id", "part__story_id")
    comments = _count_by(
        Comment.objects.filter(held_at=None, deleted_at=None),
        "created_at",
        start,
        end,
        "part_id",
        "part__story_id",
    )
    new_readers = Counter(
        {
            (row["part_id"], row["story_id"]): row["n"]
            for row in ReaderPart.objects.filter(first_day=day)
            .values("part_id", "story_id")
            .annotate(n=Count("id"))
        }
    )
    completed = Counter(
        {
            (row["part_id"], row["story_id"]): row["n"]
            for row in ReaderPart.objects.filter(finished_day=day)
            .values("part_id", "story_id")
            .annotate(n=Count("id"))
        }
    )
    opened, finished = _from_start(day)
    keys = set(reads) | set(votes) | set(comments) | set(new_readers) | set(completed)
    story_of = dict(keys)
    missing = (set(opened) | set(finished)) - set(story_of)
    story_of.update(Part.objects.filter(id__in=missing).values_list("id", "story_id"))
    PartDay.objects.filter(day=day).delete()
    PartDay.objects.bulk_create(
        [
            PartDay(
                part_id=part_id,
                story_id=story_id,
                day=day,
                reads=reads[(part_id, story_id)],
                completed=completed[(part_id, story_id)],
                votes=votes[(part_id, story_id)],
                comments=comments[(part_id, story_id)],
                new_readers=new_readers[(part_id, story_id)],
                new_from_start=opened[part_id],
                new_finished_from_start=finished[part_id],
            )
            for part_id, story_id in story_of.items()
        ],
        batch_size=1000,
    )
    adds = _count_by(LibraryEntry.objects, "added_at", start, end, "story_id")
    story_readers = Counter(
        {
            row["story_id"]: row["n"]
            for row in ReaderStory.objects.filter(first_day=day)
            .values("story_id")
            .annotate(n=Count("id"))
        }
    )
    bingers = Counter(
        {
            row["story_id"]: row["n"]
            for row in ReaderStory.objects.filter(binge_day=day)
            .values("story_id")
            .annotate(n=Count("id"))
        }
    )
    stories = {key[0] for key in adds} | set(story_readers) | set(bingers)
    StoryDay.objects.filter(day=day).delete()
    StoryDay.objects.bulk_create(
        [
            StoryDay(
                story_id=story_id,
                day=day,
                library_adds=adds[(story_id,)],
                new_readers=story_readers[story_id],
                new_bingers=bingers[story_id],
            )
            for story_id in stories
        ],
        batch_size=1000,
    )
    by_source: Counter = Counter()
    for row in (
        Read.objects.filter(day=day).values("part__story_id", "source").annotate(n=Count("id"))
    ).order_by():
        by_source[(row["part__story_id"], row["source"] or "direct")] += row["n"]
    SourceDay.objects.filter(day=day).delete()
    SourceDay.objects.bulk_create(
        [
            SourceDay(story_id=story_id, day=day, kind=kind, reads=n)
            for (story_id, kind), n in by_source.items()
        ],
        batch_size=1000,
    )
    follows = _count_by(Follow.objects, "created_at", start, end, "writer_id")
    WriterDay.objects.filter(day=day).delete()
    WriterDay.objects.bulk_create(
        [WriterDay(writer_id=key[0], day=day, follows=n) for key, n in follows.items()],
        batch_size=1000,
    )


def _first_day() -> datetime.date | None:
    """The earliest day anything happened, for a first roll-up of an archive."""
    found = [
        Read.objects.order_by("day").values_list("day", flat=True).first(),
        *(
            _as_local(model.objects.order_by(field).values_list(field, flat=True).first())
            for model, field in (
                (Vote, "created_at"),
                (Comment, "created_at"),
                (LibraryEntry, "added_at"),
                (Follow, "created_at"),
                (Authorship, "story__created_at"),
            )
        ),
    ]
    days = [day for day in found if day is not None]
    return min(days) if days else None


def _as_local(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localdate(moment) if moment is not None else None


def catch_up(today: datetime.date | None = None) -> list[datetime.date]:
    """Roll up every day not final yet, through today. Returns the days rolled up."""
    today = today or timezone.localdate()
    state = Rollup.objects.order_by("id").first()
    start = (state.through - datetime.timedelta(days=SETTLING_DAYS)) if state else _first_day()
    if start is None:
        return []
    done = []
    day = start
    while day <= today:
        rollup_day(day)
        done.append(day)
        day += ONE_DAY
    if state is None:
        Rollup.objects.create(through=today)
    else:
        Rollup.objects.filter(pk=state.pk).update(through=today, updated_at=timezone.now())
    return done


def catch_up_timed() -> tuple[int, float]:
    started = time.perf_counter()
    days = catch_up()
    return len(days), time.perf_counter() - started
