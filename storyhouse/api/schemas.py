"""What the API sends and takes, and the functions that make the answers from models."""

from datetime import datetime
from typing import Annotated, Literal

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from ninja import Field, Schema
from pydantic import BaseModel, BeforeValidator

from storyhouse.accounts.models import User
from storyhouse.stories.models import Part, Series, Story, Tag, TagType


def _without_nul(value: object) -> object:
    # No text needs a NUL character, and PostgreSQL cannot store one.
    return value.replace("\x00", "") if isinstance(value, str) else value


Text = Annotated[str, BeforeValidator(_without_nul)]


def _written_time(value: object) -> object:
    # A time is written as ISO 8601 text (2030-01-31T18:00:00+00:00), never as a bare number.
    if not isinstance(value, str | datetime):
        raise ValueError("a time is written as ISO 8601 text, such as 2030-01-31T18:00:00Z")
    return value


WrittenTime = Annotated[datetime, BeforeValidator(_written_time)]
TagName = Annotated[Text, Field(max_length=100)]
TagNames = Annotated[list[TagName], Field(max_length=75)]
Markdown = Annotated[Text, Field(max_length=20_000)]

# Ids are database ids: positive, and within what the database keeps.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
PageNumber = Annotated[int, Field(ge=1, le=10_000)]
PageSize = Annotated[int, Field(ge=1, le=100)]

TAG_TYPE = Literal[
    "fandom", "character", "relationship", "trope", "warning", "rating", "category", "language"
]


# Out


class TagRef(Schema):
    name: str
    slug: str
    type: TAG_TYPE
    url: str
    api_url: str


class AuthorRef(Schema):
    username: str
    name: str
    url: str
    api_url: str


class Counts(Schema):
    reads: int
    votes: int
    comments: int


class TagsByType(Schema):
    warnings: list[TagRef]
    categories: list[TagRef]
    fandoms: list[TagRef]
    relationships: list[TagRef]
    characters: list[TagRef]
    tropes: list[TagRef]


class BookSummary(Schema):
    id: int
    title: str
    slug: str
    url: str
    api_url: str
    description: str = Field(description="HTML, cleaned.")
    authors: list[AuthorRef]
    rating: TagRef | None
    tags: TagsByType
    language: str
    status: Literal["ongoing", "complete"]
    visibility: Literal["draft", "public", "members", "hidden"]
    counts: Counts = Field(description="Counted here and imported from elsewhere, summed.")
    words: int
    parts_published: int
    cover: str | None = Field(description="Address of the cover image, if it has one.")
    published_at: datetime | None
    updated_at: datetime | None = Field(description="When its latest part came out.")


class PartSummary(Schema):
    id: int
    position: int
    title: str
    slug: str
    url: str
    api_url: str
    state: Literal["draft", "scheduled", "published"]
    words: int
    counts: Counts
    published_at: datetime | None
    publish_at: datetime | None = Field(description="When a scheduled part comes out.")


class SeriesRef(Schema):
    id: int
    title: str
    slug: str
    url: str | None
    position: int = Field(description="This book's place in the series, from 1.")


class Download(Schema):
    format: str
    url: str


class BookDetail(BookSummary):
    parts: list[PartSummary] = Field(description="The parts you may read, in reading order.")
    series: list[SeriesRef]
    downloads: list[Download]
    can_edit: bool


class BookRef(Schema):
    id: int
    title: str
    slug: str
    url: str
    api_url: str


class PartDetail(PartSummary):
    book: BookRef
    description: str = Field(description="HTML, cleaned.")
    notes_before: str = Field(description="The author's note before the text; HTML.")
    notes_after: str = Field(description="The author's note after the text; HTML.")
    body: str = Field(description="HTML; each paragraph has a stable id.")
    tags: list[TagRef]
    previous_part: int | None
    next_part: int | None


class BookPage(Schema):
    items: list[BookSummary]
    total: int
    page: int
    page_size: int


class TagOut(TagRef):
    canonical: bool
    synonym_of: TagRef | None


class TagPage(Schema):
    items: list[TagOut]
    total: int
    page: int
    page_size: int


class TagDetail(TagOut):
    synonyms: list[TagRef]
    parents: list[TagRef]
    children: list[TagRef]
    books: BookPage = Field(description="Books carrying it, its synonyms or its sub-tags.")


class AuthorDetail(AuthorRef):
    bio: str
    books: BookPage


class FacetCount(Schema):
    tag: TagRef
    books: int


class Facet(Schema):
    type: TAG_TYPE
    tags: list[FacetCount]


class SearchOut(Schema):
    items: list[BookSummary]
    total: int
    page: int
    page_size: int
    facets: list[Facet]
    unknown_tags: list[str] = Field(description="Slugs in the search that name no tag.")


# In: plain pydantic models, not ninja's Schema, which would read a body that is not a JSON
# object (a string, a list) by its attributes instead of refusing it.

WRITABLE_VISIBILITY = Literal["draft", "public", "members"]


class BookIn(BaseModel):
    title: Annotated[Text, Field(min_length=1, max_length=200)]
    description: Markdown = ""
    rating: Text = Field("Not Rated", description="A rating, by name or slug.")
    warnings: TagNames = Field(
        description=(
            "At least one archive warning by name (or “Creator Chose Not To Use Archive "
            "Warnings”), and any other warnings."
        ),
        min_length=1,
    )
    categories: TagNames = Field([], description="F/F, F/M, Gen, M/M, Multi or Other.")
    fandoms: TagNames = []
    relationships: TagNames = []
    characters: TagNames = []
    tropes: TagNames = []
    language: Annotated[Text, Field(min_length=1, max_length=35)] = "en"
    status: Literal["ongoing", "complete"] = "ongoing"
    visibility: WRITABLE_VISIBILITY = "draft"


class BookPatch(BaseModel):
    """Only the fields sent change; a tag list sent replaces that type's tags."""

    title: Annotated[Text, Field(min_length=1, max_length=200)] = None
    description: Markdown = None
    rating: Text = None
    warnings: TagNames = None
    categories: TagNames = None
    fandoms: TagNames = None
    relationships: TagNames = None
    characters: TagNames = None
    tropes: TagNames = None
    language: Annotated[Text, Field(min_length=1, max_length=35)] = None
    status: Literal["ongoing", "complete"] = None
    visibility: WRITABLE_VISIBILITY = None


BODY_FORMAT = Literal["markdown", "html"]
PART_STATE = Literal["draft", "published", "scheduled"]
Body = Annotated[Text, Field(max_length=2_000_000)]


class PartIn(BaseModel):
    title: Annotated[Text, Field(min_length=1, max_length=200)]
    body: Body = ""
    body_format: BODY_FORMAT = "markdown"
    description: Markdown = ""
    notes_before: Markdown = ""
    notes_after: Markdown = ""
    tropes: TagNames = []
    warnings: TagNames = []
    state: PART_STATE = "draft"
    publish_at: WrittenTime | None = Field(None, description="For a scheduled part: when.")


class PartPatch(BaseModel):
    """Only the fields sent change. A body sent without body_format keeps the part's format."""

    title: Annotated[Text, Field(min_length=1, max_length=200)] = None
    body: Body = None
    body_format: BODY_FORMAT = None
    description: Markdown = None
    notes_before: Markdown = None
    notes_after: Markdown = None
    tropes: TagNames = None
    warnings: TagNames = None
    state: PART_STATE = None
    publish_at: WrittenTime | None = None


# From models to answers


def _absolute(request: HttpRequest, path: str) -> str:
    return request.build_absolute_uri(path)


def tag_ref(request: HttpRequest, tag: Tag) -> dict:
    return {
        "name": tag.name,
        "slug": tag.slug,
        "type": tag.type,
        "url": _absolute(request, tag.get_absolute_url()),
        "api_url": _absolute(request, reverse("api:tag", kwargs={"slug": tag.slug})),
    }


def tag_out(request: HttpRequest, tag: Tag) -> dict:
    return {
        **tag_ref(request, tag),
        "canonical": tag.canonical,
        "synonym_of": tag_ref(request, tag.synonym_of) if tag.synonym_of else None,
    }


def author_ref(request: HttpRequest, user: User) -> dict:
    return {
        "username": user.username,
        "name": user.name,
        "url": _absolute(request, user.get_absolute_url()),
        "api_url": _absolute(request, reverse("api:author", kwargs={"username": user.username})),
    }


def _counts(item: Story | Part) -> dict:
    return {
        "reads": item.total_reads,
        "votes": item.total_votes,
        "comments": item.total_comments,
    }


TAG_FIELDS = {
    TagType.WARNING: "warnings",
    TagType.CATEGORY: "categories",
    TagType.FANDOM: "fandoms",
    TagType.RELATIONSHIP: "relationships",
    TagType.CHARACTER: "characters",
    TagType.TROPE: "tropes",
}


def tags_by_type(request: HttpRequest, tags: list[Tag]) -> dict:
    grouped: dict[str, list] = {field: [] for field in TAG_FIELDS.values()}
    for tag in sorted(tags, key=lambda tag: tag.name.lower()):
        field = TAG_FIELDS.get(tag.type)
        if field:
            grouped[field].append(tag_ref(request, tag))
    return grouped


def book_ref(request: HttpRequest, story: Story) -> dict:
    return {
        "id": story.pk,
        "title": story.title,
        "slug": story.slug,
        "url": _absolute(request, story.get_absolute_url()),
        "api_url": _absolute(request, reverse("api:book", kwargs={"story_id": story.pk})),
    }


def book_summary(request: HttpRequest, story: Story) -> dict:
    """A book as lists show it; `story` comes with `queries.with_card_data`."""
    cover = story.cover_url("page")
    return {
        **book_ref(request, story),
        "description": story.description,
        "authors": [author_ref(request, user) for user in story.byline_authors],
        "rating": tag_ref(request, story.rating) if story.rating else None,
        "tags": tags_by_type(request, list(story.tags.all())),
        "language": story.language,
        "status": story.status,
        "visibility": story.visibility,
        "counts": _counts(story),
        "words": story.word_count,
        "parts_published": story.parts_count,
        "cover": _absolute(request, cover) if cover else None,
        "published_at": story.published_at,
        "updated_at": story.updated_at,
    }


def part_summary(request: HttpRequest, part: Part, story: Story) -> dict:
    path = reverse(
        "part",
        kwargs={
            "story_id": story.pk,
            "story_slug": story.slug,
            "part_id": part.pk,
            "slug": part.slug,
        },
    )
    return {
        "id": part.pk,
        "position": part.position,
        "title": part.title,
        "slug": part.slug,
        "url": _absolute(request, path),
        "api_url": _absolute(request, reverse("api:part", kwargs={"part_id": part.pk})),
        "state": part.state,
        "words": part.word_count,
        "counts": _counts(part),
        "published_at": part.published_at,
        "publish_at": part.publish_at,
    }


DOWNLOAD_FORMATS = ("epub", "html", "md")


def downloads(request: HttpRequest, story: Story) -> list[dict]:
    """Where the book can be downloaded, in each format the site writes."""
    found = []
    for format in DOWNLOAD_FORMATS:
        try:
            path = reverse(
                "story_download",
                kwargs={"story_id": story.pk, "slug": story.slug, "format": format},
            )
        except NoReverseMatch:  # downloads not wired in this install
            continue
        found.append({"format": format, "url": _absolute(request, path)})
    return found


def series_refs(request: HttpRequest, story: Story) -> list[dict]:
    refs = []
    entries = story.seriesentry_set.select_related("series").order_by("series_id")
    for entry in entries:
        series: Series = entry.series
        try:
            url = _absolute(
                request, reverse("series", kwargs={"series_id": series.pk, "slug": series.slug})
            )
        except NoReverseMatch:  # series pages not wired in this install
            url = None
        position = (
            series.seriesentry_set.filter(position__lt=entry.position).count()
            + series.seriesentry_set.filter(position=entry.position, id__lt=entry.pk).count()
        )
        refs.append(
            {
                "id": series.pk,
                "title": series.title,
                "slug": series.slug,
                "url": url,
                "position": position + 1,
            }
        )
    return refs


# Votes and comments


class VoteIn(BaseModel):
    voted: bool | None = Field(
        None, description="true votes, false takes the vote back; left out, it switches."
    )


class VoteOut(Schema):
    voted: bool
    votes: int


class CommentIn(BaseModel):
    body: Annotated[Text, Field(min_length=1, max_length=20_000)]
    parent: Id | None = Field(None, description="The comment this one replies to.")
    paragraph: Annotated[Text, Field(max_length=40)] = Field(
        "", description="The id of the paragraph this comment is about (not for replies)."
    )


class CommentOut(Schema):
    id: int
    part: int
    parent: int | None
    paragraph: str
    body: str
    created: datetime
    held: bool = Field(description="Waiting for the writer's approval: shown once approved.")
