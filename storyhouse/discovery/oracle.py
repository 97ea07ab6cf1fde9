"""The search in plain SQL: the reference the filter index is tested against, and the
fallback while no index is built. Slow on big archives (every include is a subquery), but
obviously right."""

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower

from storyhouse.stories.models import Part, PartState, Story, Tag, Visibility

from .filters import Filter, SearchResult, TagGraph, top_facets

# The order of each sort; every one ends in the id, so pages never overlap.
ORDERS = {
    "updated": [F("updated_at").desc(nulls_last=True), "-id"],
    "published": [F("published_at").desc(nulls_last=True), "-id"],
    "reads": [(F("reads_count") + F("imported_reads")).desc(), "-id"],
    "votes": [(F("votes_count") + F("imported_votes")).desc(), "-id"],
    "comments": [(F("comments_count") + F("imported_comments")).desc(), "-id"],
    "words": ["-word_count", "-id"],
    "title": [Lower("title"), "id"],
}


def shared_stories(members: bool) -> QuerySet[Story]:
    """Books with something to read, shared with everyone (and with members, for them)."""
    shown = [Visibility.PUBLIC, Visibility.MEMBERS] if members else [Visibility.PUBLIC]
    return Story.objects.filter(visibility__in=shown, parts_count__gt=0)


def _tags_filtering_as(filter_ids: frozenset[int]) -> QuerySet[Tag]:
    return Tag.objects.filter(Q(id__in=filter_ids) | Q(synonym_of_id__in=filter_ids)).values("id")


def carrying(filter_ids: frozenset[int]) -> Q:
    """Books carrying one of these filter tags: as rating, on the book, or on a published part."""
    tags = _tags_filtering_as(filter_ids)
    on_book = Story.tags.through.objects.filter(tag_id__in=tags).values("story_id")
    on_part = Part.tags.through.objects.filter(
        tag_id__in=tags, part__state=PartState.PUBLISHED
    ).values("part__story_id")
    return Q(rating_id__in=tags) | Q(id__in=on_book) | Q(id__in=on_part)


def matching(f: Filter) -> QuerySet[Story]:
    stories = shared_stories(f.members)
    for filter_ids in f.include:
        stories = stories.filter(carrying(filter_ids))
    if f.exclude:
        stories = stories.exclude(carrying(f.exclude))
    if f.ratings is not None:
        stories = stories.filter(rating_id__in=_tags_filtering_as(f.ratings))
    if f.complete is not None:
        stories = stories.filter(status="complete" if f.complete else "ongoing")
    if f.words_min is not None:
        stories = stories.filter(word_count__gte=f.words_min)
    if f.words_max is not None:
        stories = stories.filter(word_count__lte=f.words_max)
    if f.language:
        stories = stories.filter(language__iexact=f.language)
    if f.updated_since is not None:
        stories = stories.filter(updated_at__gte=f.updated_since)
    if f.text is not None:
        stories = stories.filter(id__in=list(f.text))
    if f.leave_out:
        stories = stories.exclude(id__in=sorted(f.leave_out))
    return stories


def facet_counts(stories: QuerySet[Story], graph: TagGraph) -> dict[str, dict[int, int]]:
    """For the matching books: how many carry each filter tag, by tag type."""
    matched, params = stories.values("id").query.sql_with_params()
    story_tags = Story.tags.through._meta.db_table
    part_tags = Part.tags.through._meta.db_table
    sql = f"""
        SELECT filter_id, COUNT(*) FROM (
            SELECT st.story_id AS story_id, COALESCE(t.synonym_of_id, t.id) AS filter_id
            FROM {story_tags} st JOIN {Tag._meta.db_table} t ON t.id = st.tag_id
            WHERE st.story_id IN ({matched})
            UNION
            SELECT p.story_id, COALESCE(t.synonym_of_id, t.id)
            FROM {part_tags} pt
            JOIN {Part._meta.db_table} p ON p.id = pt.part_id
            JOIN {Tag._meta.db_table} t ON t.id = pt.tag_id
            WHERE p.state = %s AND p.story_id IN ({matched})
            UNION
            SELECT s.id, COALESCE(t.synonym_of_id, t.id)
            FROM {Story._meta.db_table} s JOIN {Tag._meta.db_table} t ON t.id = s.rating_id
            WHERE s.id IN ({matched})
        ) pairs GROUP BY filter_id
    """  # noqa: S608 - table names from the models; values are parameters
    counts: dict[str, dict[int, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, PartState.PUBLISHED, *params, *params])
        for filter_id, count in cursor.fetchall():
            tag_type = graph.type_of.get(filter_id)
            if tag_type is not None:
                counts.setdefault(tag_type, {})[filter_id] = count
    return counts


def run(
    f: Filter,
    graph: TagGraph,
    *,
    order: str,
    offset: int = 0,
    limit: int = 20,
    facets: bool = True,
) -> SearchResult:
    if f.impossible:
        return SearchResult(ids=[], total=0, facets=top_facets({}) if facets else {})
    stories = matching(f)
    if order == "best" and f.text is not None:
        scores = f.text
        ids = sorted(stories.values_list("id", flat=True), key=lambda pk: (-scores[pk], -pk))
        total, page = len(ids), ids[offset : offset + limit]
    else:
        total = stories.count()
        ordered = stories.order_by(*ORDERS.get(order, ORDERS["updated"]))
        page = list(ordered.values_list("id", flat=True)[offset : offset + limit])
    return SearchResult(
        ids=page,
        total=total,
        facets=top_facets(facet_counts(stories, graph)) if facets else {},
    )
