"""Page latency through Django's test client: p50 and p95 over repeated requests."""

import time
from dataclasses import dataclass
from statistics import quantiles

BROWSER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)
WARM_UP = 5


@dataclass
class Latency:
    page: str
    url: str
    p50_ms: float
    p95_ms: float
    queries: int


def pages_to_measure() -> list[tuple[str, str]]:
    """(name, url): home, a chaptered book, its first part, and the most used trope's tag page."""
    from django.db.models import Count

    from storyhouse.stories.models import PartState, Story, Tag, TagType

    book = Story.objects.filter(parts_count__gte=5).order_by("id").first() or Story.objects.first()
    part = book.parts.filter(state=PartState.PUBLISHED).order_by("position").first()
    tag = (
        Tag.objects.filter(type=TagType.TROPE)
        .annotate(uses=Count("stories"))
        .order_by("-uses", "name")
        .first()
    )
    return [
        ("home", "/"),
        ("book", book.get_absolute_url()),
        ("part", part.get_absolute_url()),
        ("tag", tag.get_absolute_url()),
    ]


def measure_page(name: str, url: str, requests: int) -> Latency:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # A browser-like reader, so reads are counted the way a person's would be.
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT, HTTP_HOST="localhost")
    for _ in range(WARM_UP):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    # Counted now: the captured list is a view of a log the next request clears.
    query_count = len(queries)
    timings = []
    for _ in range(requests):
        start = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
    cuts = quantiles(timings, n=100)
    return Latency(name, url, cuts[49], cuts[94], query_count)
