"""Tags: find them by the start of their name, and read one with its family and books."""

from typing import Annotated

from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema

from storyhouse.stories import queries
from storyhouse.stories.models import Tag, TagSlug

from . import schemas
from .auth import OPTIONAL_TOKEN
from .books import book_page
from .errors import responses
from .schemas import TagDetail, TagPage

router = Router(tags=["tags"])


class TagFilters(Schema):
    q: Annotated[schemas.Text, schemas.Field(max_length=150)] = ""
    type: schemas.TAG_TYPE | None = None
    canonical: bool | None = None
    page: schemas.PageNumber = 1
    page_size: schemas.PageSize = 50


@router.get("/", response=responses({200: TagPage}), url_name="tags", openapi_extra=OPTIONAL_TOKEN)
def tag_list(request: HttpRequest, filters: Query[TagFilters]):
    """Tags whose name starts with `q` (any letter case), in name order."""
    tags = Tag.objects.select_related("synonym_of")
    prefix = " ".join(filters.q.split())
    if prefix:
        tags = tags.filter(name__istartswith=prefix)
    if filters.type:
        tags = tags.filter(type=filters.type)
    if filters.canonical is not None:
        tags = tags.filter(canonical=filters.canonical)
    total = tags.count()
    start = (filters.page - 1) * filters.page_size
    shown = tags.order_by("name", "id")[start : start + filters.page_size]
    return {
        "items": [schemas.tag_out(request, tag) for tag in shown],
        "total": total,
        "page": filters.page,
        "page_size": filters.page_size,
    }


class Paging(Schema):
    page: schemas.PageNumber = 1
    page_size: schemas.PageSize = 20


@router.get(
    "/{slug}", response=responses({200: TagDetail}), url_name="tag", openapi_extra=OPTIONAL_TOKEN
)
def tag_detail(request: HttpRequest, slug: schemas.Text, paging: Query[Paging]):
    """A tag, its synonyms, parents and sub-tags, and a page of the books carrying it (or its
    synonyms or sub-tags), newest first. A slug the tag had before finds it too."""
    tag = Tag.objects.select_related("synonym_of").filter(slug=slug).first()
    if tag is None:
        old = TagSlug.objects.select_related("tag__synonym_of").filter(slug=slug).first()
        if old is None or old.tag is None:
            raise Http404
        tag = old.tag
    relations = queries.tag_relations(tag)
    stories = queries.stories_with_tags(request.user, queries.tag_family_ids(tag))
    return {
        **schemas.tag_out(request, tag),
        "synonyms": [schemas.tag_ref(request, other) for other in relations["synonyms"]],
        "parents": [schemas.tag_ref(request, other) for other in relations["parents"]],
        "children": [schemas.tag_ref(request, other) for other in relations["children"]],
        "books": book_page(request, stories, page=paging.page, page_size=paging.page_size),
    }
