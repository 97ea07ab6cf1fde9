"""Books: read those you may see; create and change your own with a token."""

from typing import Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from storyhouse.stories import access, queries, services
from storyhouse.stories.models import Part, Story, Tag, TagType

from . import schemas
from .auth import OPTIONAL_TOKEN, TOKEN
from .errors import WRITES, Forbidden, Invalid, responses
from .parts import part_create
from .schemas import BookDetail, BookIn, BookPage, BookPatch, PartDetail, PartIn, PartSummary

router = Router(tags=["books"])


class BookFilters(Schema):
    page: schemas.PageNumber = 1
    page_size: schemas.PageSize = 20
    author: schemas.Text = Field("", description="Books by this username.")
    tag: schemas.Text = Field("", description="Books carrying this tag (slug), as search finds.")
    language: schemas.Text = Field("", description="A language code, such as en.")
    status: Literal["ongoing", "complete"] | None = None
    mine: bool = Field(False, description="Only the books you write, drafts included.")


def book_page(request: HttpRequest, stories, *, page: int, page_size: int) -> dict:
    """One page of books, newest first; a page past the end is empty."""
    total = stories.count()
    start = (page - 1) * page_size
    shown = queries.with_card_data(stories.order_by("-published_at", "-id"))[
        start : start + page_size
    ]
    return {
        "items": [schemas.book_summary(request, story) for story in shown],
        "total": total,
        "page": page,
        "page_size": page_size,
    }


@router.get(
    "/", response=responses({200: BookPage}), url_name="books", openapi_extra=OPTIONAL_TOKEN
)
def book_list(request: HttpRequest, filters: Query[BookFilters]):
    """Books you may read, newest first. `mine=true`: the books you write, drafts included."""
    if filters.mine:
        stories = access.authored_stories(request.user)
    else:
        stories = access.listed_stories(request.user)
    if filters.author:
        stories = stories.filter(
            authorship__user__username__iexact=filters.author, authorship__accepted=True
        )
    if filters.tag:
        tag = Tag.objects.filter(slug=filters.tag.strip().lower()).first()
        family = queries.tag_family_ids(tag) if tag else []
        stories = stories.filter(
            Q(id__in=queries.stories_with_tags(request.user, family).values("id"))
            if not filters.mine
            else Q(tags__in=family) | Q(rating_id__in=family)
        )
    if filters.language:
        stories = stories.filter(language__iexact=filters.language.strip())
    if filters.status:
        stories = stories.filter(status=filters.status)
    return book_page(request, stories.distinct(), page=filters.page, page_size=filters.page_size)


def visible_story(request: HttpRequest, story_id: int) -> Story:
    story = get_object_or_404(Story.objects.select_related("rating"), pk=story_id)
    if not access.can_view_story(request.user, story):
        raise Http404
    return story


def editable_story(request: HttpRequest, story_id: int) -> Story:
    """A book the token's owner writes: 404 if they cannot see it, 403 if they only read it."""
    story = visible_story(request, story_id)
    if not access.can_edit_story(request.user, story):
        raise Forbidden(_("Only the book's authors can change it."))
    may_write(request)
    return story


def may_write(request: HttpRequest) -> None:
    if not access.can_write(request.user):
        raise Forbidden(_("Your account cannot post yet: confirm your email address first."))


def book_detail_answer(request: HttpRequest, story: Story) -> dict:
    story = queries.with_card_data(Story.objects.filter(pk=story.pk)).get()
    parts = access.readable_parts(request.user, story)
    return {
        **schemas.book_summary(request, story),
        "parts": [schemas.part_summary(request, part, story) for part in parts],
        "series": schemas.series_refs(request, story),
        "downloads": schemas.downloads(request, story),
        "can_edit": access.can_edit_story(request.user, story),
    }


@router.get(
    "/{story_id}",
    response=responses({200: BookDetail}),
    url_name="book",
    openapi_extra=OPTIONAL_TOKEN,
)
def book_detail(request: HttpRequest, story_id: schemas.Id):
    """A book: its details, its parts (those you may read) and where to download it."""
    return book_detail_answer(request, visible_story(request, story_id))


@router.get(
    "/{story_id}/parts/",
    response=responses({200: list[PartSummary]}),
    url_name="book_parts",
    openapi_extra=OPTIONAL_TOKEN,
)
def book_parts(request: HttpRequest, story_id: schemas.Id):
    """The parts of a book you may read, in reading order (drafts too, for its authors)."""
    story = visible_story(request, story_id)
    return [
        schemas.part_summary(request, part, story)
        for part in access.readable_parts(request.user, story)
    ]


# Writing


def _rating(name: str) -> Tag:
    name = " ".join(name.split())
    rating = Tag.objects.filter(
        Q(name__iexact=name) | Q(slug=name.lower()), type=TagType.RATING, archive_defined=True
    ).first()
    if rating is None:
        names = ", ".join(
            Tag.objects.filter(type=TagType.RATING, archive_defined=True)
            .order_by("id")
            .values_list("name", flat=True)
        )
        message = _("There is no rating “%(name)s”: choose one of %(names)s.") % {
            "name": name,
            "names": names,
        }
        raise Invalid(message, {"rating": [message]})
    return rating


def _categories(names: list[str]) -> list[Tag]:
    found = []
    for name in names:
        name = " ".join(name.split())
        if not name:
            continue
        category = Tag.objects.filter(
            Q(name__iexact=name) | Q(slug=name.lower()),
            type=TagType.CATEGORY,
            archive_defined=True,
        ).first()
        if category is None:
            message = _("There is no category “%(name)s”: F/F, F/M, Gen, M/M, Multi or Other.") % {
                "name": name
            }
            raise Invalid(message, {"categories": [message]})
        found.append(category)
    return found


TYPED_FIELDS = {
    "warnings": TagType.WARNING,
    "fandoms": TagType.FANDOM,
    "relationships": TagType.RELATIONSHIP,
    "characters": TagType.CHARACTER,
    "tropes": TagType.TROPE,
}


def _tags(data: dict) -> dict[str, list]:
    """The tag types sent, as story_edit takes them: names to find or make, categories as tags."""
    tags: dict[str, list] = {
        tag_type: list(data[field]) for field, tag_type in TYPED_FIELDS.items() if field in data
    }
    if "categories" in data:
        tags[TagType.CATEGORY] = _categories(data["categories"])
    return tags


def _book_write(request: HttpRequest, story: Story, data: dict, *, description: str) -> Story:
    for field in ("title", "language", "status", "visibility"):
        if field in data:
            setattr(story, field, data[field])
    if "rating" in data:
        story.rating = _rating(data["rating"])
    try:
        with transaction.atomic():
            return services.story_edit(
                story, editor=request.user, description_source=description, tags=_tags(data)
            )
    except ValidationError as error:
        raise Invalid.from_django(error) from error


@router.post("/", response=responses({201: BookDetail}, WRITES), auth=TOKEN, url_name="book_create")
def book_create(request: HttpRequest, book: BookIn):
    """Start a book. It is a draft unless `visibility` says otherwise; readers see it once it
    has a published part."""
    may_write(request)
    data = book.model_dump()
    story = _book_write(request, Story(), data, description=data["description"])
    return Status(201, book_detail_answer(request, story))


@router.patch(
    "/{story_id}", response=responses({200: BookDetail}, WRITES), auth=TOKEN, url_name="book_edit"
)
def book_edit(request: HttpRequest, story_id: schemas.Id, book: BookPatch):
    """Change a book you write: only the fields sent change."""
    story = editable_story(request, story_id)
    data = book.model_dump(exclude_unset=True)
    description = data.get("description", story.description_source or story.description)
    story = _book_write(request, story, data, description=description)
    return book_detail_answer(request, story)


@router.post(
    "/{story_id}/parts/",
    response=responses({201: PartDetail}, WRITES),
    auth=TOKEN,
    url_name="part_create",
)
def book_part_create(request: HttpRequest, story_id: schemas.Id, part: PartIn):
    """Add a part at the end of a book you write: a draft, published now, or scheduled."""
    story = editable_story(request, story_id)
    return Status(201, part_create(request, story, Part(story=story), part))
