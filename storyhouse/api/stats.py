"""Writers' statistics, the numbers of the /desk/stats/ pages, for the writer's token: their own
(all their books, followers over time) and a book's (for its writers and admins; for anyone
else it does not exist, a 404)."""

from typing import Literal

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from storyhouse.stats import figures
from storyhouse.stories import access
from storyhouse.stories.models import Story

from . import schemas
from .auth import OPTIONAL_TOKEN
from .errors import responses

router = Router(tags=["statistics"])


class PartFigures(Schema):
    number: int
    id: int
    title: str
    reads: int
    votes: int
    comments: int
    opened_from_start: int
    finished_from_start: int


class Step(Schema):
    when: str
    reads: int
    votes: int


class BookStats(Schema):
    book: int
    range: str
    totals: dict[str, int]
    imported: dict[str, int]
    binge_share: float | None
    parts: list[PartFigures]
    over_time: list[Step]
    sources: dict[str, int]  # reads in the range by where they came from (a kind, not an address)


class BookTotals(Schema):
    book: int
    title: str
    reads: int
    votes: int
    comments: int


class FollowerStep(Schema):
    when: str
    new_followers: int


class WriterStats(Schema):
    writer: str
    range: str
    totals: dict[str, int]
    followers: int
    books: list[BookTotals]
    over_time: list[Step]
    followers_over_time: list[FollowerStep]


class StatsQuery(Schema):
    range: Literal["30d", "12m", "all"] = "30d"


@router.get(
    "/",
    response=responses({200: WriterStats}),
    url_name="writer_stats",
    openapi_extra=OPTIONAL_TOKEN,
)
def writer_stats(request: HttpRequest, query: Query[StatsQuery]):
    """Your own statistics, as /desk/stats/ shows them: every book's totals, reads and votes
    over time, new followers over time (`range`: 30d, 12m, all)."""
    if not request.user.is_authenticated:
        raise HttpError(
            401,
            _(
                "Your statistics need your personal token: send it as "
                "“Authorization: Bearer <token>”. You can make one on your account page."
            ),
        )
    found = figures.writer_figures(request.user, query.range)
    series, followers = found.over_time, found.followers
    return {
        "writer": request.user.username,
        "range": query.range,
        "totals": found.totals,
        "followers": found.followers_total,
        "books": [
            {"book": story.pk, "title": story.title, **totals} for story, totals in found.books
        ],
        "over_time": _steps(series),
        "followers_over_time": [
            {"when": label, "new_followers": followers.values["follows"][i]}
            for i, label in enumerate(followers.labels)
        ],
    }


def _steps(series: figures.Series) -> list[dict]:
    return [
        {"when": label, "reads": series.values["reads"][i], "votes": series.values["votes"][i]}
        for i, label in enumerate(series.labels)
    ]


@router.get(
    "/books/{story_id}",
    response=responses({200: BookStats}),
    url_name="book_stats",
    openapi_extra=OPTIONAL_TOKEN,
)
def book_stats(request: HttpRequest, story_id: schemas.Id, query: Query[StatsQuery]):
    """A book's statistics, as its page at the desk shows them (`range`: 30d, 12m, all)."""
    story = get_object_or_404(Story, pk=story_id)
    if not access.can_view_stats(request.user, story):
        raise Http404
    found = figures.book_figures(story, query.range)
    return {
        "book": story.pk,
        "range": query.range,
        "totals": found.totals,
        "imported": found.imported,
        "binge_share": found.binge_share,
        "parts": [
            {
                "number": row.number,
                "id": row.part.pk,
                "title": row.part.title,
                "reads": row.reads,
                "votes": row.votes,
                "comments": row.comments,
                "opened_from_start": row.opened,
                "finished_from_start": row.finished,
            }
            for row in found.parts
        ],
        "sources": {code: reads for code, _label, reads in found.sources},
        "over_time": _steps(found.over_time),
    }
