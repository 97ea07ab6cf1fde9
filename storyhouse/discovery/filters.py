"""What a search asks, resolved to tag ids, and what it answers: shared by the filter index
and the SQL oracle, which must give the same answer to the same filter.

Tags are compared as *filter tags*: a synonym counts as its canonical tag. A book's filter
tags are those of its own tags, of its published parts' tags, and of its rating.
"""

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from storyhouse.stories.models import Tag, TagType

from .query import SearchQuery

# The sidebar's groups, in page order, and how many tags each shows.
FACET_TYPES = [
    TagType.RATING,
    TagType.WARNING,
    TagType.CATEGORY,
    TagType.FANDOM,
    TagType.RELATIONSHIP,
    TagType.CHARACTER,
    TagType.TROPE,
]
FACET_SIZE = 10


@dataclass(frozen=True)
class Filter:
    """A search in ids. A book matches when, for every set in `include`, it carries one of
    that set's filter tags; it carries none of `exclude`; and so on down the fields."""

    include: tuple[frozenset[int], ...] = ()
    exclude: frozenset[int] = frozenset()
    ratings: frozenset[int] | None = None  # None: any rating
    members: bool = False  # members-only books are shown too (a signed-in reader)
    complete: bool | None = None
    words_min: int | None = None
    words_max: int | None = None
    language: str = ""  # lower case
    updated_since: datetime.datetime | None = None
    # Books the reader muted (storyhouse/boundaries): never matched, never counted.
    leave_out: frozenset[int] = frozenset()
    # Books the text query found, with their scores (higher is better); None: no text query.
    text: dict[int, float] | None = field(default=None, compare=False, hash=False)

    @property
    def impossible(self) -> bool:
        """Nothing can match (an included tag that does not exist, no rating left, or words
        that found no book)."""
        return (
            any(not ids for ids in self.include)
            or self.ratings == frozenset()
            or (self.text is not None and not self.text)
        )


@dataclass
class SearchResult:
    ids: list[int]  # the page asked for, in order
    total: int  # how many books match in all
    # Per tag type (FACET_TYPES): up to FACET_SIZE (filter tag id, books) pairs, most books
    # first, then lower id first.
    facets: dict[str, list[tuple[int, int]]] = field(default_factory=dict)


def top_facets(counts: dict[str, dict[int, int]]) -> dict[str, list[tuple[int, int]]]:
    """The sidebar's order, the same for every engine: most books first, then lower id."""
    return {
        tag_type: sorted(counts.get(tag_type, {}).items(), key=lambda pair: (-pair[1], pair[0]))[
            :FACET_SIZE
        ]
        for tag_type in FACET_TYPES
    }


@dataclass(frozen=True)
class TagGraph:
    """Tags as filters see them: each tag's filter tag, and each filter tag's sub-tags."""

    filter_of: dict[int, int]  # every tag id -> its filter tag id
    type_of: dict[int, str]  # filter tag id -> type
    children: dict[int, frozenset[int]]  # filter tag id -> filter tag ids of its sub-tags
    slugs: dict[str, int]  # slug -> tag id (any tag)

    @classmethod
    def load(cls) -> "TagGraph":
        filter_of, type_of, slugs = {}, {}, {}
        for pk, synonym_of, tag_type, slug in Tag.objects.values_list(
            "id", "synonym_of_id", "type", "slug"
        ):
            filter_of[pk] = synonym_of or pk
            slugs[slug] = pk
            if synonym_of is None:
                type_of[pk] = tag_type
        children: dict[int, set[int]] = {}
        links = Tag.parents.through.objects.values_list("from_tag_id", "to_tag_id")
        for child, parent in links:
            child, parent = filter_of.get(child, child), filter_of.get(parent, parent)
            # Sub-tags are of the parent's type (a meta fandom over its fandoms); a
            # character's fandom is a parent too, but searching a fandom is not searching
            # each of its characters.
            if child != parent and type_of.get(child) == type_of.get(parent):
                children.setdefault(parent, set()).add(child)
        return cls(
            filter_of=filter_of,
            type_of=type_of,
            children={parent: frozenset(kids) for parent, kids in children.items()},
            slugs=slugs,
        )

    def family(self, tag_id: int) -> frozenset[int]:
        """The filter tags that count as carrying this tag: itself and its sub-tags."""
        start = self.filter_of.get(tag_id, tag_id)
        found, waiting = {start}, [start]
        while waiting:
            for child in self.children.get(waiting.pop(), ()):
                if child not in found:
                    found.add(child)
                    waiting.append(child)
        return frozenset(found)

    def by_slug(self, slug: str) -> int | None:
        return self.slugs.get(slug)


def resolve(
    query: SearchQuery,
    graph: TagGraph,
    *,
    members: bool,
    hidden: frozenset[int] = frozenset(),
    muted: frozenset[int] = frozenset(),
    text: dict[int, float] | None = None,
) -> tuple[Filter, list[str]]:
    """The filter for this search; `hidden` are tag ids the reader hides (left out like
    excluded tags), `muted` the ids of books they muted. Returns the filter and the slugs
    that name no tag."""
    unknown: list[str] = []
    include = []
    for slug in query.include:
        tag_id = graph.by_slug(slug)
        if tag_id is None:
            unknown.append(slug)
            include.append(frozenset())  # a tag nobody has: nothing matches
        else:
            include.append(graph.family(tag_id))
    exclude: set[int] = set()
    for tag_id in [*(graph.by_slug(slug) for slug in query.exclude), *hidden]:
        if tag_id is not None:
            exclude |= graph.family(tag_id)
    unknown += [slug for slug in query.exclude if graph.by_slug(slug) is None]
    ratings = None
    if query.rating:
        ratings = set()
        for slug in query.rating:
            tag_id = graph.by_slug(slug)
            if tag_id is None:
                unknown.append(slug)
            else:
                ratings |= graph.family(tag_id)
        ratings = frozenset(ratings)
    since = None
    if query.updated_since:
        since = datetime.datetime.combine(
            query.updated_since, datetime.time.min, tzinfo=timezone.get_current_timezone()
        )
    return (
        Filter(
            include=tuple(include),
            exclude=frozenset(exclude),
            ratings=ratings,
            members=members,
            complete=query.complete,
            words_min=query.words_min,
            words_max=query.words_max,
            language=query.language.lower(),
            updated_since=since,
            leave_out=muted,
            text=text,
        ),
        unknown,
    )
