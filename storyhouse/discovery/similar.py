"""Books like this one, for the bottom of a book page: by shared tags, and by shared readers.

Similar stories share filter tags, each weighted by its rarity (idf: log(N / books carrying
it)), so two books that both carry a rare relationship are closer than two that share a
common trope. Ratings and archive warnings say nothing about what a story is, so they do not
count. "Readers of this also liked" counts the people (accounts and guests alike, by their
reader key) who read both books.

Both rankings are global and cached per book for a few minutes; each reader then sees only
what `access.listed_stories` lists for them. Every query is bounded: at most `MAX_TAGS` tags,
the books of the rarest tags as candidates, and the `MAX_READERS` most recent readers.
"""

import datetime
import math
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Case, Count, FloatField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from storyhouse.engagement.models import Read
from storyhouse.stories import access, queries
from storyhouse.stories.access import AnyUser
from storyhouse.stories.models import Part, PartState, Story, Tag, TagType, Visibility

SHOWN = 6
MAX_TAGS = 20
CANDIDATES = 200
# Candidate books for similar stories: the rarest tags' books, up to about this many.
CANDIDATE_BOOKS = 5000
MAX_READERS = 300
MIN_SHARED_READERS = 2
# Readers are this book's readers of the last 90 days, and their reads of that time.
READ_WINDOW_DAYS = 90
CO_READ_ROWS = 5000
CACHE_SECONDS = 5 * 60
CACHE_VERSION = 1
# How many books carry each tag, and how many books there are: shared by every book page.
TOTAL_KEY = "discovery:shared-books:v1"
TAG_BOOKS_KEY = "discovery:tag-books:v1"
COUNTS_SECONDS = 10 * 60

StoryTag = Story.tags.through
PartTag = Part.tags.through


@dataclass(frozen=True)
class Related:
    """Book ids, best first: similar by tags, and read by this book's readers."""

    similar: list[int]
    co_read: list[int]


def _shared_books() -> QuerySet[Story]:
    return Story.objects.filter(
        visibility__in=(Visibility.PUBLIC, Visibility.MEMBERS), parts_count__gt=0
    )


def _filter_tags(story: Story) -> dict[int, set[int]]:
    """This book's filter tags that say what it is about -> every tag that filters as each
    (the filter tag and its synonyms). Tags on the book and on its published parts count."""
    own = Tag.objects.filter(
        Q(stories=story) | Q(parts__story=story, parts__state=PartState.PUBLISHED)
    ).exclude(type=TagType.RATING)
    # Archive warnings are the same few tags on every other book; free-text warnings are not.
    own = own.exclude(Q(type=TagType.WARNING, archive_defined=True))
    heads = (
        own.annotate(head=Coalesce("synonym_of_id", "id"))
        .values_list("head", flat=True)
        .distinct()
        .order_by("head")[:MAX_TAGS]
    )
    heads = list(heads)
    families: dict[int, set[int]] = {head: {head} for head in heads}
    for tag_id, head in Tag.objects.filter(synonym_of_id__in=heads).values_list(
        "id", "synonym_of_id"
    ):
        families[head].add(tag_id)
    return families


def _carrying(tag_ids: set[int]) -> Q:
    on_book = StoryTag.objects.filter(tag_id__in=tag_ids).values("story_id")
    on_part = PartTag.objects.filter(tag_id__in=tag_ids, part__state=PartState.PUBLISHED).values(
        "part__story_id"
    )
    return Q(id__in=on_book) | Q(id__in=on_part)


def tag_counts(families: dict[int, set[int]]) -> tuple[int, dict[int, int]]:
    """How many shared books there are, and how many carry each filter tag.

    Both change slowly and every book page asks for them, so they are kept in the cache for
    a few minutes, shared by all books; the tags not yet counted are counted in one query
    over the books that carry them (never the whole archive).
    """
    if not families:
        return 0, {}
    total = cache.get_or_set(TOTAL_KEY, lambda: _shared_books().count(), COUNTS_SECONDS)
    keys = {head: f"{TAG_BOOKS_KEY}:{head}" for head in families}
    cached = cache.get_many(list(keys.values()))
    counts = {head: cached[key] for head, key in keys.items() if key in cached}
    missing = {head: family for head, family in families.items() if head not in counts}
    if missing:
        carrying_any = _carrying({tag_id for family in missing.values() for tag_id in family})
        found = (
            _shared_books()
            .filter(carrying_any)
            .aggregate(
                **{
                    f"t{head}": Count("id", filter=_carrying(family))
                    for head, family in missing.items()
                }
            )
        )
        fresh = {head: found[f"t{head}"] for head in missing}
        cache.set_many({keys[head]: n for head, n in fresh.items()}, COUNTS_SECONDS)
        counts.update(fresh)
    return total, counts


def similar_ids(story: Story) -> list[int]:
    """Books sharing this one's tags, scored by the rarity of what they share; best first."""
    families = _filter_tags(story)
    total, counts = tag_counts(families)
    weights = {head: math.log(total / n) for head, n in counts.items() if 0 < n < total}
    if not weights:
        return []
    # Candidates carry one of the rarest tags, as many as keep the candidates few: a tag half
    # the archive carries would make every book a candidate, and it adds little to a score.
    rarest = sorted(weights, key=lambda head: (counts[head], head))
    chosen, books = [], 0
    for head in rarest:
        if chosen and books + counts[head] > CANDIDATE_BOOKS:
            break
        chosen.append(head)
        books += counts[head]
    candidate_tags = {tag_id for head in chosen for tag_id in families[head]}
    # Each candidate's exact score, summed in SQL over every weighted tag it carries.
    score = sum(
        (
            Case(
                When(_carrying(families[head]), then=Value(weight)),
                default=Value(0.0),
                output_field=FloatField(),
            )
            for head, weight in weights.items()
        ),
        Value(0.0, output_field=FloatField()),
    )
    ranked = (
        _shared_books()
        .filter(_carrying(candidate_tags))
        .exclude(pk=story.pk)
        .annotate(score=score)
        .order_by("-score", "-id")
        .values_list("id", flat=True)[:CANDIDATES]
    )
    return list(ranked)


def co_read_ids(story: Story, *, today: datetime.date | None = None) -> list[int]:
    """Books read by at least `MIN_SHARED_READERS` of this book's most recent readers, the
    most shared readers first.

    Reads are looked at over a window of days; a reader's other reads are found through
    the reader key (an account's or a guest's), which the read log indexes.
    """
    today = today or timezone.localdate()
    since = today - datetime.timedelta(days=READ_WINDOW_DAYS)
    readers = list(
        Read.objects.filter(day__gte=since, part__story_id=story.pk)
        .values("reader")
        .annotate(last=Max("day"))
        .order_by("-last", "reader")
        .values_list("reader", flat=True)[:MAX_READERS]
    )
    if len(readers) < MIN_SHARED_READERS:
        return []
    rows = (
        Read.objects.filter(reader__in=readers, day__gte=since)
        .exclude(part__story_id=story.pk)
        .values("part__story_id")
        .annotate(readers=Count("reader", distinct=True))
        .order_by("-readers", "-part__story_id")
        .values_list("part__story_id", "readers")[:CO_READ_ROWS]
    )
    shared = dict(rows)
    found = [pk for pk, count in shared.items() if count >= MIN_SHARED_READERS]
    return sorted(found, key=lambda pk: (-shared[pk], -pk))[:CANDIDATES]


def related(story: Story) -> Related:
    """Both rankings for a book, from the cache when they were made in the last few minutes."""
    key = f"discovery:related:v{CACHE_VERSION}:{story.pk}"
    cached = cache.get(key)
    if isinstance(cached, Related):
        return cached
    found = Related(similar=similar_ids(story), co_read=co_read_ids(story))
    cache.set(key, found, CACHE_SECONDS)
    return found


@dataclass(frozen=True)
class RelatedStories:
    similar: list[Story]
    co_read: list[Story]


def related_stories(story: Story, viewer: AnyUser, *, size: int = SHOWN) -> RelatedStories:
    """What the book page shows: up to `size` of each, listed for this reader, with card data."""
    ranked = related(story)
    wanted = {*ranked.similar, *ranked.co_read} - {story.pk}
    if not wanted:
        return RelatedStories(similar=[], co_read=[])
    listed = set(access.listed_stories(viewer).filter(pk__in=wanted).values_list("id", flat=True))
    similar = [pk for pk in ranked.similar if pk in listed][:size]
    co_read = [pk for pk in ranked.co_read if pk in listed][:size]
    stories = queries.with_card_data(Story.objects.filter(pk__in={*similar, *co_read})).in_bulk()
    return RelatedStories(
        similar=[stories[pk] for pk in similar if pk in stories],
        co_read=[stories[pk] for pk in co_read if pk in stories],
    )
