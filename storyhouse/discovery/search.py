"""Searching, as pages, feeds and the API ask for it: one function over the filter index
(or, until one is built in this process, the SQL oracle)."""

import math
from dataclasses import dataclass, field

from storyhouse.stories import access, queries
from storyhouse.stories.access import AnyUser
from storyhouse.stories.models import Story, Tag

from . import fulltext, oracle
from .filters import FACET_TYPES, SearchResult, TagGraph, resolve
from .query import PAGE_SIZE, SearchQuery


@dataclass
class FacetGroup:
    type: str
    tags: list[tuple[Tag, int]]  # (tag, books), most books first


@dataclass
class SearchPage:
    query: SearchQuery
    result: SearchResult
    stories: list[Story]
    facets: list[FacetGroup] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # slugs that name no tag
    page_size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.result.total / self.page_size))


def engine():
    """The filter index of this process when it is ready, else the SQL oracle."""
    from . import index  # the index imports this module's neighbours; import it late

    built = index.current()
    return built


def search(
    query: SearchQuery,
    viewer: AnyUser,
    *,
    facets: bool = True,
    page_size: int = PAGE_SIZE,
    use_index: bool = True,
) -> SearchPage:
    built = engine() if use_index else None
    graph = built.graph if built is not None else TagGraph.load()
    hidden = frozenset(access.hidden_tags(viewer).values_list("id", flat=True))
    muted = frozenset(access.muted_stories(viewer).values_list("id", flat=True))
    text = fulltext.scores(query.q) if query.q else None
    f, unknown = resolve(
        query, graph, members=viewer.is_authenticated, hidden=hidden, muted=muted, text=text
    )
    run = built.run if built is not None else oracle.run
    result = run(
        f,
        graph,
        order=query.order,
        offset=(query.page - 1) * page_size,
        limit=page_size,
        facets=facets,
    )
    by_id = queries.with_card_data(Story.objects.filter(pk__in=result.ids)).in_bulk()
    stories = [by_id[pk] for pk in result.ids if pk in by_id]
    groups = []
    if facets:
        tag_ids = [tag_id for pairs in result.facets.values() for tag_id, _count in pairs]
        tags = Tag.objects.in_bulk(tag_ids)
        for tag_type in FACET_TYPES:
            pairs = [
                (tags[tag_id], count)
                for tag_id, count in result.facets.get(tag_type, [])
                if tag_id in tags
            ]
            if pairs:
                groups.append(FacetGroup(type=tag_type, tags=pairs))
    return SearchPage(
        query=query,
        result=result,
        stories=stories,
        facets=groups,
        unknown=unknown,
        page_size=page_size,
    )
