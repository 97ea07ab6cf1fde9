"""The numbers on writers' statistics pages, from the roll-ups (never from the raw reads, so
a page costs the same for a book read five million times as for one read five times)."""

import bisect
import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from storyhouse.engagement.models import Comment
from storyhouse.stories import access
from storyhouse.stories.models import Part, Story

from . import sources
from .models import PartDay, SourceDay, StoryDay, WriterDay

# The time ranges a page offers: last 30 days by day, last 12 months and all time by month.
RANGES = {
    "30d": _("Last 30 days"),
    "12m": _("Last 12 months"),
    "all": _("All time"),
}


@dataclass
class Series:
    """Figures over time: one label and one value per step, for a chart and its table."""

    labels: list[str]
    values: dict[str, list[int]]  # name -> one value per label


@dataclass
class PartRow:
    part: Part
    number: int
    reads: int = 0
    votes: int = 0
    comments: int = 0
    inline: int = 0  # of those, about one paragraph
    opened: int = 0  # of the readers who opened part 1, how many opened this part
    finished: int = 0  # ... and finished it


@dataclass
class BookFigures:
    story: Story
    totals: dict[str, int]
    imported: dict[str, int]
    over_time: Series
    parts: list[PartRow]
    binge_share: float | None  # of the book's readers, the share who read 3+ parts in a day
    paragraphs: list[dict] = field(default_factory=list)  # the most-commented paragraphs
    # Where readers came from in the range: (kind, what the page calls it, reads).
    sources: list[tuple[str, str, int]] = field(default_factory=list)


def _months_back(today: datetime.date, count: int) -> list[datetime.date]:
    months, year, month = [], today.year, today.month
    for _step in range(count):
        months.append(datetime.date(year, month, 1))
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(months))


def _steps(kind: str, first: datetime.date | None) -> tuple[list[datetime.date], str]:
    """The first day of each step of the range, and how steps are named (a date format)."""
    today = timezone.localdate()
    if kind == "30d":
        return [today - datetime.timedelta(days=n) for n in range(29, -1, -1)], "j M"
    if kind == "12m":
        return _months_back(today, 12), "M Y"
    first = first or today
    months = (today.year - first.year) * 12 + today.month - first.month + 1
    return _months_back(today, max(1, months)), "M Y"


def _over_time(rows, kind: str, names: list[str], first: datetime.date | None) -> Series:
    """Sum daily rows (dicts with `day` and the named figures) into the range's steps."""
    starts, fmt = _steps(kind, first)
    values = {name: [0] * len(starts) for name in names}
    for row in rows:
        day = row["day"]
        if day < starts[0]:
            continue
        step = _step_of(starts, day)
        for name in names:
            values[name][step] += row[name] or 0
    return Series(labels=[date_format(start, fmt) for start in starts], values=values)


def _step_of(starts: list[datetime.date], day: datetime.date) -> int:
    """The step a day falls in: the last one starting on or before it."""
    return bisect.bisect_right(starts, day) - 1


def _since(kind: str) -> datetime.date | None:
    today = timezone.localdate()
    if kind == "30d":
        return today - datetime.timedelta(days=29)
    if kind == "12m":
        return _months_back(today, 12)[0]
    return None


def _daily(model, kind: str, names: list[str], **where) -> list[dict]:
    rows = model.objects.filter(**where)
    since = _since(kind)
    if since is not None:
        rows = rows.filter(day__gte=since)
    return list(rows.values("day").annotate(**{name: Sum(name) for name in names}).order_by())


def book_figures(story: Story, kind: str = "30d") -> BookFigures:
    parts = list(story.parts.order_by("position", "id"))
    per_part = {
        row["part_id"]: row
        for row in PartDay.objects.filter(story=story)
        .values("part_id")
        .annotate(
            reads=Sum("reads"),
            votes=Sum("votes"),
            comments=Sum("comments"),
            opened=Sum("new_from_start"),
            finished=Sum("new_finished_from_start"),
            completed=Sum("completed"),
        )
        .order_by()
    }
    # Comments standing now, about one paragraph: few beside reads, so counted as they are.
    inline = dict(
        Comment.objects.filter(part__story=story, held_at=None, deleted_at=None, hidden_at=None)
        .exclude(paragraph="")
        .values("part_id")
        .annotate(n=Count("id"))
        .values_list("part_id", "n")
    )
    rows = []
    for number, part in enumerate(parts, start=1):
        found = per_part.get(part.pk, {})
        rows.append(
            PartRow(
                part=part,
                number=number,
                reads=found.get("reads") or 0,
                votes=found.get("votes") or 0,
                comments=found.get("comments") or 0,
                inline=inline.get(part.pk, 0),
                opened=found.get("opened") or 0,
                finished=found.get("finished") or 0,
            )
        )
    book = StoryDay.objects.filter(story=story).aggregate(
        readers=Sum("new_readers"), bingers=Sum("new_bingers"), library=Sum("library_adds")
    )
    readers = book["readers"] or 0
    totals = {
        "reads": sum(row.reads for row in rows),
        "readers": readers,
        "completed": sum((found.get("completed") or 0) for found in per_part.values()),
        "votes": sum(row.votes for row in rows),
        "comments": sum(row.comments for row in rows),
        "library": book["library"] or 0,
    }
    first = PartDay.objects.filter(story=story).order_by("day").values_list("day", flat=True)
    over_time = _over_time(
        _daily(PartDay, kind, ["reads", "votes"], story=story),
        kind,
        ["reads", "votes"],
        first.first(),
    )
    return BookFigures(
        story=story,
        totals=totals,
        imported={
            "reads": story.imported_reads,
            "votes": story.imported_votes,
            "comments": story.imported_comments,
        },
        over_time=over_time,
        parts=rows,
        binge_share=(book["bingers"] or 0) / readers if readers else None,
        paragraphs=most_commented_paragraphs(story),
        sources=reads_by_source(story, kind),
    )


def reads_by_source(story: Story, kind: str) -> list[tuple[str, str, int]]:
    rows = SourceDay.objects.filter(story=story)
    since = _since(kind)
    if since is not None:
        rows = rows.filter(day__gte=since)
    found = dict(rows.values("kind").annotate(n=Sum("reads")).values_list("kind", "n"))
    return [
        (code, str(label), found.get(code, 0)) for code, label in sources.KINDS.items()
        if found.get(code)
    ]  # fmt: skip


def most_commented_paragraphs(story: Story, limit: int = 5) -> list[dict]:
    """The paragraphs with the most standing comments about them, with where they are."""
    from storyhouse.engagement import paragraphs

    top = list(
        Comment.objects.filter(
            part__story=story, held_at=None, deleted_at=None, hidden_at=None, parent=None
        )
        .exclude(paragraph="")
        .values("part_id", "paragraph")
        .annotate(comments=Count("id"))
        .order_by("-comments", "part_id", "paragraph")[:limit]
    )
    parts = Part.objects.in_bulk([row["part_id"] for row in top])
    found = []
    for row in top:
        part = parts[row["part_id"]]
        paragraph = paragraphs.paragraph(part.body, row["paragraph"])
        found.append(
            {
                "part": part,
                "comments": row["comments"],
                "quote": paragraph.quote if paragraph else "",
                "url": f"{part.get_absolute_url()}?paragraph={row['paragraph']}#comments",
            }
        )
    return found


@dataclass
class WriterFigures:
    books: list[tuple[Story, dict[str, int]]]
    totals: dict[str, int]
    over_time: Series
    followers: Series
    followers_total: int


def writer_figures(writer, kind: str = "30d") -> WriterFigures:
    stories = list(access.authored_stories(writer).order_by("-updated_at", "-id"))
    per_book = {
        row["story_id"]: row
        for row in PartDay.objects.filter(story__in=stories)
        .values("story_id")
        .annotate(reads=Sum("reads"), votes=Sum("votes"), comments=Sum("comments"))
        .order_by()
    }
    books = []
    for story in stories:
        found = per_book.get(story.pk, {})
        books.append(
            (story, {name: found.get(name) or 0 for name in ("reads", "votes", "comments")})
        )
    totals = {
        name: sum(figures[name] for _s, figures in books) for name in ("reads", "votes", "comments")
    }
    first = PartDay.objects.filter(story__in=stories).order_by("day").values_list("day", flat=True)
    over_time = _over_time(
        _daily(PartDay, kind, ["reads", "votes"], story__in=stories),
        kind,
        ["reads", "votes"],
        first.first(),
    )
    follows_first = (
        WriterDay.objects.filter(writer=writer).order_by("day").values_list("day", flat=True)
    )
    followers = _over_time(
        _daily(WriterDay, kind, ["follows"], writer=writer),
        kind,
        ["follows"],
        follows_first.first(),
    )
    return WriterFigures(
        books=books,
        totals=totals,
        over_time=over_time,
        followers=followers,
        followers_total=writer.followers.count(),
    )
