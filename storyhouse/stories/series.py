"""Series: a writer's books in an order of their own, and what each reader sees of one.

A book may be in several series. Positions in a series are 1..n, in the order the writer
chose. What a reader sees of a series is the books that would appear in any list for them
(`access.listed_stories`: shared with them, with a published part, none of the tags they
hide), plus the books they write themselves, so a writer sees their own drafts in place.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from storyhouse.accounts.models import User

from . import access, services
from .access import AnyUser
from .html import markdown_to_html
from .models import Change, Series, SeriesEntry, Story


@dataclass
class SeriesPlace:
    """Where a book stands in one series, as one reader sees it."""

    series: Series
    number: int  # the book's place in the writer's order, counted from 1
    previous: Story | None
    next: Story | None


# Writing


@transaction.atomic
def series_edit(
    series: Series, *, title: str, description_source: str, owner: User | None = None
) -> Series:
    """Create (with `owner`) or change a series; its description is written in Markdown."""
    if owner is not None:
        series.owner = owner
    series.title = title
    series.description = markdown_to_html(description_source)
    series = services.series_save(series)
    _books_record(series)
    return series


def _books_record(series: Series, *also: Story) -> None:
    """Book pages show their place in a series (its title, the books before and after)."""
    story_ids = set(series.seriesentry_set.values_list("story_id", flat=True))
    story_ids.update(story.pk for story in also)
    for story_id in sorted(story_ids):
        services.change_record(kind=Change.Kind.STORY, object_id=story_id, story_id=story_id)


def _entries_locked(series: Series) -> list[SeriesEntry]:
    # Locking the series row serialises concurrent edits of the same series on PostgreSQL.
    Series.objects.select_for_update().filter(pk=series.pk).first()
    return list(series.seriesentry_set.order_by("position", "id"))


def _renumber(entries: list[SeriesEntry]) -> None:
    for position, entry in enumerate(entries, start=1):
        if entry.position != position:
            entry.position = position
            SeriesEntry.objects.filter(pk=entry.pk).update(position=position)


@transaction.atomic
def series_add(series: Series, story: Story) -> SeriesEntry:
    """Put a book at the end of a series."""
    entries = _entries_locked(series)
    if any(entry.story_id == story.pk for entry in entries):
        raise ValidationError(
            _("“%(title)s” is already in this series.") % {"title": story.title},
            code="already_in_series",
        )
    _renumber(entries)
    entry = SeriesEntry.objects.create(series=series, story=story, position=len(entries) + 1)
    _books_record(series)
    return entry


@transaction.atomic
def series_remove(series: Series, story: Story) -> None:
    """Take a book out of a series; the books after it move up."""
    entries = [entry for entry in _entries_locked(series) if entry.story_id != story.pk]
    SeriesEntry.objects.filter(series=series, story=story).delete()
    _renumber(entries)
    _books_record(series, story)


@transaction.atomic
def series_move(series: Series, story: Story, *, by: int) -> None:
    """Move a book up (by=-1) or down (by=1) in a series; at either end it stays put."""
    entries = _entries_locked(series)
    index = next((i for i, entry in enumerate(entries) if entry.story_id == story.pk), None)
    if index is None:
        raise ValidationError(_("This book is not in this series."), code="not_in_series")
    target = index + by
    if 0 <= target < len(entries):
        entries[index], entries[target] = entries[target], entries[index]
    _renumber(entries)
    _books_record(series)


@transaction.atomic
def series_delete(series: Series) -> None:
    """Delete a series; its books stay as they are."""
    _books_record(series)
    series.delete()


# Reading


def _visible_ids(user: AnyUser) -> QuerySet[Story]:
    listed = access.listed_stories(user).values("id")
    mine = access.authored_stories(user).values("id")
    return Story.objects.filter(Q(id__in=listed) | Q(id__in=mine)).values("id")


def series_visible_books(user: AnyUser, series: Series) -> QuerySet[Story]:
    """The books of a series this person sees, in the series' order."""
    return Story.objects.filter(seriesentry__series=series, id__in=_visible_ids(user)).order_by(
        "seriesentry__position", "seriesentry__id"
    )


def series_left_out(user: AnyUser, series: Series, shown: int) -> int:
    """How many books of a series this person may read but does not see listed, because they
    carry tags the person chose to hide (so the page can say so rather than look short)."""
    if not user.is_authenticated:
        return 0  # guests hide no tags
    books = Story.objects.filter(seriesentry__series=series, parts_count__gt=0)
    readable = sum(1 for story in books if access.can_view_story(user, story))
    return max(0, readable - shown)


def can_view_series(user: AnyUser, series: Series, shown: int) -> bool:
    """A series is a page for its owner, and for anyone who sees one of its books; a series
    made only of books someone may not read is a 404 for them, as those books are."""
    return access.can_edit_series(user, series) or shown > 0


def series_of_writer(user: AnyUser, writer: User) -> list[tuple[Series, int]]:
    """A writer's series as their author page lists them, each with how many of its books
    this person sees; series with nothing to see are left out. Two queries."""
    shown = dict(
        SeriesEntry.objects.filter(series__owner=writer, story_id__in=_visible_ids(user))
        .values_list("series_id")
        .annotate(books=Count("id"))
    )
    return [
        (series, shown.get(series.pk, 0))
        for series in writer.series.order_by("title", "id")
        if can_view_series(user, series, shown.get(series.pk, 0))
    ]


def neighbours(user: AnyUser, story: Story) -> list[SeriesPlace]:
    """For each series a book is in: its place, and the previous and next books this person
    sees (books they may not see are skipped)."""
    places = []
    entries = SeriesEntry.objects.filter(story=story).select_related("series")
    for entry in entries.order_by("series__title", "series_id"):
        series = entry.series
        order = list(
            series.seriesentry_set.order_by("position", "id").values_list("story_id", flat=True)
        )
        index = order.index(story.pk)
        visible = {book.pk: book for book in series_visible_books(user, series)}
        before = [visible[pk] for pk in order[:index] if pk in visible]
        after = [visible[pk] for pk in order[index + 1 :] if pk in visible]
        places.append(
            SeriesPlace(
                series=series,
                number=index + 1,
                previous=before[-1] if before else None,
                next=after[0] if after else None,
            )
        )
    return places
