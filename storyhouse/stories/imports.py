"""Writing an imported book: create or update it and its parts, all or nothing.

A book is identified by its author and title, a part by its book and title, so
importing the same file twice changes nothing the second time.
"""

from dataclasses import dataclass
from typing import Literal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from storyhouse.accounts.models import User

from . import services
from .html import clean_body, clean_html
from .importers import BookData, PartData
from .models import Part, PartState, Story, Tag, TagType, Visibility

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
        part.description == clean_html(data.description_html)
        and part.notes_before == clean_html(data.notes_before_html)
        and part.notes_after == clean_html(data.notes_after_html)
        and part.body == clean_body(data.body_html, part.body)
        and part.imported_reads == data.imported_reads
        and part.imported_votes == data.imported_votes
        and part.imported_comments == data.imported_comments
        and part.state == PartState.PUBLISHED
        and {tag.pk for tag in part.tags.all()} == {tag.pk for tag in tags}
    )


@transaction.atomic
def book_import(data: BookData, *, author: User) -> list[PartResult]:
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
                visibility=Visibility.PUBLIC,
            ),
            authors=[author],
        )
    elif data.description_html and story.description != clean_html(data.description_html):
        story.description = data.description_html
        services.story_save(story)

    results = []
    for part_data in data.parts:
        tags = _part_tags(part_data)
        title = " ".join(part_data.title.split())
        part = story.parts.filter(title=title).order_by("id").first()
        if part is not None and _part_matches(part, part_data, tags):
            results.append(PartResult(part, "unchanged"))
            continue
        outcome: Outcome = "created" if part is None else "updated"
        part = part or Part(story=story, title=title)
        part.description = part_data.description_html
        part.notes_before = part_data.notes_before_html
        part.notes_after = part_data.notes_after_html
        part.body = part_data.body_html
        part.imported_reads = part_data.imported_reads
        part.imported_votes = part_data.imported_votes
        part.imported_comments = part_data.imported_comments
        part.state = PartState.PUBLISHED
        services.part_save(part, tags=tags, edited_by=author)
        results.append(PartResult(part, outcome))
    return results
