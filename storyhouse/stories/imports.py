"""Writing an imported book: create or update it and its parts, all or nothing.

A book is identified by its author and title, a part by its book and title, so
importing the same file twice changes nothing the second time.

A file that describes the book (EPUB, AO3 HTML, Markdown) also sets its rating, status,
language, tags by type and series. Archive warnings are AO3's: a file that names none gets
"Creator Chose Not To Use Archive Warnings", as AO3 itself does. A part page (wattpad-text)
says nothing of the book, whose tags are then left as they are.
"""

from dataclasses import dataclass
from typing import Literal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from storyhouse.accounts.models import User

from . import services
from .archive_tags import ARCHIVE_WARNINGS
from .html import clean_body, clean_html
from .importers import BookData, PartData
from .models import (
    BodyFormat,
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

IMPORTED_ACCOUNT = "imported"

Outcome = Literal["created", "updated", "unchanged"]


@dataclass
class PartResult:
    part: Part
    outcome: Outcome


def import_account(username: str | None = None) -> User:
    """The account imported parts belong to: the named one, or the shared `imported` account."""
    username = username or IMPORTED_ACCOUNT
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create(username=username, password=make_password(None))
    return user


def _part_tags(data: PartData) -> list[Tag]:
    tags = [services.tag_get_or_create(name, type=TagType.TROPE) for name in data.tropes]
    tags += [services.warning_tag(name) for name in data.warnings]
    return list(dict.fromkeys(tags))


def _part_matches(part: Part, data: PartData, tags: list[Tag]) -> bool:
    return (
        part.sources == data.sources
        and part.body_format == _body_format(data)
        and part.description == clean_html(data.description_html)
        and part.notes_before == clean_html(data.notes_before_html)
        and part.notes_after == clean_html(data.notes_after_html)
        and part.body == clean_body(data.body_html, part.body)
        and part.imported_reads == data.imported_reads
        and part.imported_votes == data.imported_votes
        and part.imported_comments == data.imported_comments
        and part.state == PartState.PUBLISHED
        and {tag.pk for tag in part.tags.all()} == {tag.pk for tag in tags}
    )


def _body_format(data: PartData) -> str:
    return BodyFormat.MARKDOWN if "body" in data.sources else BodyFormat.HTML


def _rating(data: BookData) -> Tag:
    if data.rating:
        found = Tag.objects.filter(name=data.rating, type=TagType.RATING).first()
        if found is not None:
            return found
    return services.default_rating()


def _book_tags(data: BookData) -> list[Tag]:
    """The book's tags by type, with its archive warnings (or the creator's choice not to)."""
    tags: list[Tag] = []
    for tag_type, names in data.tags.items():
        tags += services.tags_from_names(names, type=tag_type)
    names = data.archive_warnings or [ARCHIVE_WARNINGS[0]]
    tags += list(Tag.objects.filter(name__in=names, type=TagType.WARNING, archive_defined=True))
    tags = list(dict.fromkeys(tags))
    services.archive_warnings_check(tags)
    return tags


def _series_place(story: Story, data: BookData, author: User) -> None:
    """Put the book in the author's series of that title (made if need be) at its position."""
    title = " ".join(data.series_title.split())
    if not title:
        return
    series = Series.objects.filter(owner=author, title=title).order_by("id").first()
    if series is None:
        series = services.series_save(Series(title=title, owner=author))
    entry = SeriesEntry.objects.filter(series=series, story=story).first()
    if entry is None:
        last = series.seriesentry_set.order_by("-position").first()
        position = data.series_position or ((last.position + 1) if last else 1)
        SeriesEntry.objects.create(series=series, story=story, position=position)
    elif data.series_position and entry.position != data.series_position:
        entry.position = data.series_position
        entry.save(update_fields=["position"])


def _story_fields(data: BookData) -> dict:
    fields = {}
    if data.archive_warnings is not None:  # the file describes the book
        fields["rating"] = _rating(data)
        if data.status in (Status.COMPLETE, Status.ONGOING):
            fields["status"] = data.status
    return fields


@transaction.atomic
def book_import(
    data: BookData, *, author: User, visibility: str = Visibility.PUBLIC
) -> list[PartResult]:
    """Write a book read from a file; a new book gets `visibility` (the desk offers drafts),
    an existing one keeps its own."""
    fields = _story_fields(data)
    book_tags = _book_tags(data) if data.archive_warnings is not None else None
    story = (
        Story.objects.filter(
            authorship__user=author,
            authorship__accepted=True,  # never a book they are only invited to
            title=" ".join(data.title.split()),
        )
        .order_by("id")
        .first()
    )
    if story is None:
        story = services.story_save(
            Story(
                title=data.title,
                description=data.description_html,
                language=data.language,
                visibility=visibility,
                **fields,
            ),
            authors=[author],
            tags=book_tags,
        )
    else:
        changed = data.description_html and story.description != clean_html(data.description_html)
        if changed:
            story.description = data.description_html
        if book_tags is not None and story.language != data.language:
            story.language, changed = data.language, True
        for name, value in fields.items():
            if getattr(story, name) != value:
                setattr(story, name, value)
                changed = True
        tags_changed = book_tags is not None and {tag.pk for tag in story.tags.all()} != {
            tag.pk for tag in book_tags
        }
        if changed or tags_changed:
            services.story_save(story, tags=book_tags if tags_changed else None)
    _series_place(story, data, author)

    results = []
    taken: set[int] = set()  # parts of the same title are matched in order
    for part_data in data.parts:
        tags = _part_tags(part_data)
        title = " ".join(part_data.title.split())
        part = story.parts.filter(title=title).exclude(pk__in=taken).order_by("id").first()
        if part is not None:
            taken.add(part.pk)
        if part is not None and _part_matches(part, part_data, tags):
            results.append(PartResult(part, "unchanged"))
            continue
        outcome: Outcome = "created" if part is None else "updated"
        part = part or Part(story=story, title=title)
        part.description = part_data.description_html
        part.notes_before = part_data.notes_before_html
        part.notes_after = part_data.notes_after_html
        part.body = part_data.body_html
        part.body_format = _body_format(part_data)
        part.sources = part_data.sources
        part.imported_reads = part_data.imported_reads
        part.imported_votes = part_data.imported_votes
        part.imported_comments = part_data.imported_comments
        part.state = PartState.PUBLISHED
        services.part_save(part, tags=tags, edited_by=author)
        results.append(PartResult(part, outcome))
    return results
