"""Search: the search page's parameters (README "Searching"), answered as JSON."""

import re
from datetime import date
from typing import Annotated, Literal

from django.http import HttpRequest, QueryDict
from ninja import Field, Query, Router, Schema
from pydantic import BeforeValidator

from storyhouse.discovery import query as search_query
from storyhouse.discovery.search import search

from . import schemas
from .auth import OPTIONAL_TOKEN
from .errors import Invalid, responses
from .schemas import SearchOut

router = Router(tags=["search"])

Slugs = Annotated[
    list[Annotated[schemas.Text, Field(max_length=160)]],
    Field(max_length=search_query.MAX_TAGS),
]


def _date_text(value: object) -> object:
    # Written YYYY-MM-DD, as on the search page; not a number of seconds or any other form.
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("a date is written YYYY-MM-DD")
    if not isinstance(value, str | date):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_date_text)]

Sort = Literal["best", "updated", "published", "reads", "votes", "comments", "words", "title"]


class SearchParams(Schema):
    q: Annotated[schemas.Text, Field(max_length=200)] = Field(
        "", description="Words in titles, descriptions, tags and author names."
    )
    include: Slugs = Field([], description="Tag slugs a book must carry.")
    exclude: Slugs = Field([], description="Tag slugs a book must not carry.")
    rating: Slugs = Field([], description="Rating slugs; a book has one of them.")
    complete: bool | None = Field(None, description="true: complete books; false: ongoing.")
    words_min: Annotated[int, Field(ge=0, le=2**31)] | None = None
    words_max: Annotated[int, Field(ge=0, le=2**31)] | None = None
    language: Annotated[schemas.Text, Field(max_length=35)] = ""
    updated_since: IsoDate | None = Field(
        None, description="A part published on that day or later."
    )
    sort: Sort | None = None
    page: schemas.PageNumber = 1
    page_size: schemas.PageSize = search_query.PAGE_SIZE
    facets: bool = Field(True, description="Count the tags of the books found, by type.")


def _as_query_dict(params: SearchParams) -> QueryDict:
    """The parameters as the search page reads them, after the API checked their types."""
    query = QueryDict(mutable=True)
    for name in ("include", "exclude", "rating"):
        query.setlist(name, getattr(params, name))
    if params.q:
        query["q"] = params.q
    if params.complete is not None:
        query["complete"] = "1" if params.complete else "0"
    for name in ("words_min", "words_max"):
        if getattr(params, name) is not None:
            query[name] = str(getattr(params, name))
    if params.language:
        query["language"] = params.language
    if params.updated_since:
        query["updated_since"] = params.updated_since.isoformat()
    if params.sort:
        query["sort"] = params.sort
    query["page"] = str(params.page)
    return query


@router.get(
    "/", response=responses({200: SearchOut}), url_name="search", openapi_extra=OPTIONAL_TOKEN
)
def search_books(request: HttpRequest, params: Query[SearchParams]):
    """Books matching a search, as /search/ finds them (hidden tags left out), with the total
    and, with `facets`, the tags of the books found counted by type."""
    found = search_query.parse(_as_query_dict(params))
    if found.errors:
        raise Invalid(found.errors[0], {"search": list(found.errors)})
    page = search(found, request.user, facets=params.facets, page_size=params.page_size)
    return {
        "items": [schemas.book_summary(request, story) for story in page.stories],
        "total": page.result.total,
        "page": params.page,
        "page_size": params.page_size,
        "facets": [
            {
                "type": group.type,
                "tags": [
                    {"tag": schemas.tag_ref(request, tag), "books": count}
                    for tag, count in group.tags
                ],
            }
            for group in page.facets
        ],
        "unknown_tags": list(page.unknown),
    }
