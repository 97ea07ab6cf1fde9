"""The Discover page's selectors: trending books, new and rising ones, completed favourites.

Ranking the read log is too slow to do on every request in a big archive, so a worker job
(`discovery.jobs`) ranks every shared book into the cache every few minutes; a page that
finds the cache empty ranks once itself (the last week's reads, grouped in SQL) and fills it.
The rankings are global; each reader's page keeps only what `access.listed_stories` lists
for them, so visibility and hidden tags apply as everywhere else.
"""

import datetime
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Case, F, FloatField, Q, QuerySet, Sum, Value, When
from django.db.models.expressions import CombinedExpression
from django.utils import timezone

from storyhouse.engagement.models import Read, Vote
from storyhouse.stories import access, queries
from storyhouse.stories.access import AnyUser
from storyhouse.stories.models import Status, Story, Visibility

# Trending looks at the last week; a day's reads and votes count half as much two days later.
TRENDING_DAYS = 7
HALF_LIFE_DAYS = 2.0
# A vote says more than opening a part.
VOTE_WEIGHT = 3.0
# "New" is first published within this many days.
NEW_DAYS = 30
# Each ranking keeps this many books, so a reader who hides many tags still sees a full row.
KEEP = 300
ROW_SIZE = 12

# Bump the version when the shape of what is cached changes: old entries are then ignored.
CACHE_KEY = "discovery:rankings:v1"
# The job refreshes every five minutes; the entry outlives a missed run or two.
CACHE_SECONDS = 20 * 60


@dataclass(frozen=True)
class Rankings:
    """Book ids, best first, for each section of the Discover page."""

    trending: list[int]
    rising: list[int]
    favourites: list[int]
    computed_at: datetime.datetime


def day_weight(age: int) -> float:
    """How much a day's activity counts, `age` days ago (0 is today)."""
    return 0.5 ** (age / HALF_LIFE_DAYS)


def _shared_books() -> QuerySet[Story]:
    """Books that might be listed for someone: public or members-only, with a published part."""
    return Story.objects.filter(
        visibility__in=(Visibility.PUBLIC, Visibility.MEMBERS), parts_count__gt=0
    )


def trending_scores(*, today: datetime.date | None = None) -> dict[int, float]:
    """Each book's recent activity: reads plus weighted votes, each day decaying.

    Two grouped queries over the last `TRENDING_DAYS` days of reads and votes; the rows
    that come back are one per active book, however long the read log.
    """
    today = today or timezone.localdate()
    days = [today - datetime.timedelta(days=age) for age in range(TRENDING_DAYS)]
    read_weight = Case(
        *(When(day=day, then=Value(day_weight(age))) for age, day in enumerate(days)),
        default=Value(0.0),
        output_field=FloatField(),
    )
    reads = (
        Read.objects.filter(day__gte=days[-1], day__lte=today)
        .values("part__story_id")
        .annotate(score=Sum(read_weight))
    )

    # Votes carry a time, not a day: the local day's bounds decide which day a vote falls on.
    def start(day: datetime.date) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    tomorrow = start(today + datetime.timedelta(days=1))
    vote_weight = Case(
        *(
            When(
                created_at__gte=start(day),
                created_at__lt=start(day + datetime.timedelta(days=1)),
                then=Value(VOTE_WEIGHT * day_weight(age)),
            )
            for age, day in enumerate(days)
        ),
        default=Value(0.0),
        output_field=FloatField(),
    )
    votes = (
        Vote.objects.filter(created_at__gte=start(days[-1]), created_at__lt=tomorrow)
        .values("part__story_id")
        .annotate(score=Sum(vote_weight))
    )
    scores: dict[int, float] = {}
    for row in [*reads, *votes]:
        story_id = row["part__story_id"]
        scores[story_id] = scores.get(story_id, 0.0) + float(row["score"] or 0.0)
    return {story_id: score for story_id, score in scores.items() if score > 0}


def _earned_activity() -> CombinedExpression:
    # Imported counts are left out: an imported book's old readers are not new ones.
    return F("reads_count") + F("votes_count") * VOTE_WEIGHT


def compute_rankings(*, now: datetime.datetime | None = None) -> Rankings:
    """Rank every shared book for the three sections (a handful of queries, all bounded)."""
    now = now or timezone.now()
    scores = trending_scores(today=timezone.localdate(now))
    shared = _shared_books()

    # Trending: activity this week; books no one touched this week are not trending.
    # Only the best few are checked against the database, so the query stays small however
    # many books were read this week (reads only count on published parts of shared books,
    # so hardly any of them drop out).
    best = sorted(scores, key=lambda pk: (-scores[pk], -pk))[: KEEP * 2]
    active = set(shared.filter(pk__in=best).values_list("id", flat=True))
    trending = [pk for pk in best if pk in active][:KEEP]

    # New and rising: new books, those with the most recent activity first, then those with
    # the most activity since they came out (all of a new book's earned counts are recent).
    new = shared.filter(published_at__gte=now - datetime.timedelta(days=NEW_DAYS))
    candidates = new.filter(
        Q(pk__in=trending) | Q(pk__in=new.order_by(_earned_activity().desc()).values("id")[:KEEP])
    ).annotate(activity=_earned_activity())
    rows = list(candidates.values_list("id", "activity", "published_at"))
    rows.sort(key=lambda row: (-scores.get(row[0], 0.0), -row[1], -row[2].timestamp(), -row[0]))
    rising = [row[0] for row in rows[:KEEP]]

    # Completed favourites: complete books with the most votes, imported votes included.
    favourites = list(
        shared.filter(status=Status.COMPLETE)
        .order_by((F("votes_count") + F("imported_votes")).desc(), "-updated_at", "-id")
        .values_list("id", flat=True)[:KEEP]
    )
    return Rankings(trending=trending, rising=rising, favourites=favourites, computed_at=now)


def rankings_refresh() -> Rankings:
    """Rank again and keep the result in the cache, for every process to read."""
    rankings = compute_rankings()
    cache.set(CACHE_KEY, rankings, CACHE_SECONDS)
    return rankings


def rankings() -> Rankings:
    """The cached rankings, or (when the worker has not filled the cache yet) fresh ones."""
    cached = cache.get(CACHE_KEY)
    if isinstance(cached, Rankings):
        return cached
    return rankings_refresh()


@dataclass(frozen=True)
class DiscoverRows:
    trending: list[Story]
    rising: list[Story]
    favourites: list[Story]


def discover_rows(viewer: AnyUser, *, size: int = ROW_SIZE) -> DiscoverRows:
    """The Discover page's rows for this reader: each ranking less what is not listed for them.

    A fixed number of queries: one to learn which ranked books this reader may see, then the
    card data of the books shown.
    """
    ranked = rankings()
    wanted = set(ranked.trending) | set(ranked.rising) | set(ranked.favourites)
    listed = set(access.listed_stories(viewer).filter(pk__in=wanted).values_list("id", flat=True))
    rows = [
        [pk for pk in ids if pk in listed][:size]
        for ids in (ranked.trending, ranked.rising, ranked.favourites)
    ]
    shown = {pk for row in rows for pk in row}
    stories = queries.with_card_data(Story.objects.filter(pk__in=shown)).in_bulk()
    trending, rising, favourites = ([stories[pk] for pk in row if pk in stories] for row in rows)
    return DiscoverRows(trending=trending, rising=rising, favourites=favourites)
