"""The search benchmark: `make bench-search` (`python -m bench.search`), never part of the tests.

It writes N one-part demo books (default 1,000,000; fixed seed) with the bulk loader into a
database of its own (SQLite under var/bench-search/, one file per N, or DATABASE_URL when it is
set), or reuses that database when it already holds N books. Then it builds the filter index
and asks 200 fixed-seed searches of one shape: include 2 tags (drawn from random books, so
with the corpus' skew), exclude 3, one rating, sorted by votes, top 20, with and without facet
counts, of the index and of the SQL oracle, and counts the searches on which the two disagree
(ids, totals, facets). Last, the whole /search/ page for the same searches, through Django's
test client.

One line per figure, each with its goal. The oracle is slow at a million books (about a second
a search with facets), so it answers a fixed subset when --oracle or --oracle-facets say so.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from statistics import quantiles

from rich.console import Console

GOALS = {
    "load": 600.0,  # seconds, for 1M books
    "build": 60.0,  # seconds
    "rss": 1.5 * 2**30,  # bytes
    "facets_p95": 10.0,  # ms, filter + top 20 + facets, in process
    "page_p95": 50.0,  # ms, the whole /search/ page
    "speedup": 20.0,  # index faster than SQL at p95, at least this many times
}
# The tag types a search draws its tags from: what readers filter by (not languages).
DRAWN_TYPES = {"fandom", "character", "relationship", "trope", "warning", "category"}
QUERY_SEED = 4242
BROWSER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)


@dataclass
class Spread:
    p50: float
    p95: float
    p99: float
    count: int

    @classmethod
    def of(cls, timings_ms: list[float]) -> Spread:
        if len(timings_ms) < 2:
            only = timings_ms[0] if timings_ms else float("nan")
            return cls(only, only, only, len(timings_ms))
        cuts = quantiles(timings_ms, n=100, method="inclusive")
        return cls(cuts[49], cuts[94], cuts[98], len(timings_ms))

    def __str__(self) -> str:
        return (
            f"p50 {self.p50:.2f} ms, p95 {self.p95:.2f} ms, p99 {self.p99:.2f} ms "
            f"({self.count} searches)"
        )


def verdict(met: bool) -> str:
    return "[green]met[/green]" if met else "[bold red]MISSED[/bold red]"


def memory() -> tuple[int, int]:
    """(resident now, peak resident) of this process, in bytes."""
    found = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) * 1024
    return found.get("VmRSS", 0), found.get("VmHWM", 0)


def reset_peak_memory() -> None:
    """Start the peak (VmHWM) afresh, so a load earlier in this process does not count."""
    try:
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")
    except OSError:
        pass  # not Linux, or not allowed: the peak then covers the whole run


def gib(size: int) -> str:
    return f"{size / 2**30:.2f} GiB"


def database_size() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        path = Path(connection.settings_dict["NAME"])
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
    return gib(size)


def prepare_environment(stories: int, seed: int | None = None) -> str:
    """Before Django reads its settings: a var dir, a database and a cache of the benchmark's own.
    Returns what the database is, for the report."""
    var = Path(__file__).resolve().parent.parent / "var" / "bench-search"
    var.mkdir(parents=True, exist_ok=True)
    os.environ["STORYHOUSE_VAR_DIR"] = str(var)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storyhouse.settings")
    os.environ.pop("REDIS_URL", None)
    # The index is built once, in plain sight, by build_index: no background build besides.
    os.environ["SEARCH_INDEX"] = "0"
    if os.environ.get("DATABASE_URL"):
        return "DATABASE_URL"
    path = var / (f"bench-{stories}.sqlite3" if seed is None else f"bench-{stories}-{seed}.sqlite3")
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    return str(path)


def load(stories: int, seed: int, batch: int, console: Console) -> None:
    """Make sure the database holds exactly `stories` bench books: reuse, load, or say why not."""
    from django.db import connection

    from storyhouse.demo.bulk import bulk_load, fast_bench_writes
    from storyhouse.stories.models import Story

    present = Story.objects.count()
    if present == stories:
        console.print(
            f"books: {stories:,} already in the database: reusing them, no load "
            f"(database {database_size()})"
        )
        return
    if present:
        if connection.vendor == "sqlite":
            path = Path(connection.settings_dict["NAME"])
            connection.close()
            for stale in path.parent.glob(path.name + "*"):
                stale.unlink()
            console.print(f"The database held {present:,} books, not {stories:,}: starting afresh.")
            migrate()
        else:
            sys.exit(
                f"The database at DATABASE_URL holds {present:,} books, not {stories:,}: "
                "give the benchmark an empty database (or one it loaded with this N)."
            )
    console.print(f"Writing {stories:,} books in bulk (seed {seed})…")
    restore = fast_bench_writes()
    try:
        loaded = bulk_load(stories, seed, console, batch_size=batch)
    finally:
        restore()
    if stories >= 1_000_000:
        goal = (
            f"goal: 1,000,000 in < {GOALS['load']:.0f} s: {verdict(loaded.seconds < GOALS['load'])}"
        )
    else:
        goal = f"goal: 1,000,000 in < {GOALS['load']:.0f} s"
    console.print(
        f"load: {loaded.seconds:.1f} s for {loaded.stories:,} books "
        f"({loaded.stories / loaded.seconds:,.0f} a second), {loaded.story_tags:,} book tags, "
        f"{loaded.part_tags:,} part tags; database {database_size()} ({goal})"
    )


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def draw_queries(count: int, seed: int, graph) -> list:
    """`count` searches: 2 tags to include from one random book, 3 to exclude from another,
    the first book's rating, sorted by votes. Books are drawn uniformly, so tags come with the
    corpus' own skew and most searches find something."""
    from django.db.models import Max, Min

    from storyhouse.discovery.query import SearchQuery
    from storyhouse.stories.models import Part, PartState, Story

    slug_of = {pk: slug for slug, pk in graph.slugs.items()}
    bounds = Story.objects.aggregate(low=Min("id"), high=Max("id"))
    rng = random.Random(seed)

    def book_tags() -> tuple[list[int], int | None]:
        story_id = rng.randint(bounds["low"], bounds["high"])
        tags = set(
            Story.tags.through.objects.filter(story_id=story_id).values_list("tag_id", flat=True)
        )
        tags |= set(
            Part.tags.through.objects.filter(
                part__story_id=story_id, part__state=PartState.PUBLISHED
            ).values_list("tag_id", flat=True)
        )
        rating = Story.objects.filter(pk=story_id).values_list("rating_id", flat=True).first()
        filter_tags = {graph.filter_of.get(pk, pk) for pk in tags}
        drawn = sorted(pk for pk in filter_tags if graph.type_of.get(pk) in DRAWN_TYPES)
        return drawn, rating

    # Readers also search by meta tags and type synonyms: now and then an included tag is
    # named by its meta tag or by a synonym, which the engines must resolve alike.
    meta_of = {kid: parent for parent, kids in graph.children.items() for kid in kids}
    synonym_of: dict[int, int] = {}
    for pk, filter_id in sorted(graph.filter_of.items()):
        if pk != filter_id:
            synonym_of.setdefault(filter_id, pk)

    def named(pk: int) -> str:
        if pk in meta_of and rng.random() < 0.5:
            return slug_of[meta_of[pk]]
        if pk in synonym_of and rng.random() < 0.5:
            return slug_of[synonym_of[pk]]
        return slug_of[pk]

    searches = []
    while len(searches) < count:
        tags, rating = book_tags()
        if len(tags) < 2 or rating is None:
            continue
        include = rng.sample(tags, 2)
        others, _rating = book_tags()
        others = [pk for pk in others if pk not in include]
        if len(others) < 3:
            continue
        exclude = rng.sample(others, 3)
        searches.append(
            SearchQuery(
                include=tuple(named(pk) for pk in include),
                exclude=tuple(slug_of[pk] for pk in exclude),
                rating=(slug_of[graph.filter_of.get(rating, rating)],),
                sort="votes",
            )
        )
    return searches


def progress(console: Console, items: list, description: str) -> Iterator:
    """The items, with a progress bar while someone watches the terminal."""
    if not console.is_terminal:
        yield from items
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        yield from bar.track(items, description=description)


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, (time.perf_counter() - start) * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.search", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--stories", type=int, default=1_000_000, help="books in the database")
    parser.add_argument("--seed", type=int, default=None, help="corpus seed (default: the demo's)")
    parser.add_argument("--queries", type=int, default=200, help="searches to ask")
    parser.add_argument(
        "--oracle", type=int, default=200, help="of them, how many the SQL oracle answers"
    )
    parser.add_argument(
        "--oracle-facets",
        type=int,
        default=50,
        help="of them, how many the SQL oracle answers with facets",
    )
    parser.add_argument("--batch", type=int, default=10_000, help="books per load transaction")
    args = parser.parse_args(argv)
    console = Console(highlight=False, soft_wrap=True)

    where = prepare_environment(args.stories, args.seed)
    import django

    django.setup()
    from django.db import connection

    from storyhouse.demo.corpus import DEFAULT_SEED

    seed = DEFAULT_SEED if args.seed is None else args.seed
    migrate()
    console.print(f"Search benchmark: {args.stories:,} books, {connection.vendor} ({where})")
    if args.stories < 1_000_000:
        console.print("The goals are for 1,000,000 books; at fewer, read them as a rough guide.")
    load(args.stories, seed, args.batch, console)
    run_searches(args, console)


def build_index(console: Console):
    """The filter index, built from the database as a web process builds it at start, and made
    this process's index (so the /search/ page uses it); None when this tree has none yet."""
    from storyhouse.discovery import index

    if not hasattr(index, "FilterIndex"):
        console.print("index build: [bold red]not measured[/bold red]: there is no FilterIndex yet")
        return None
    gc.collect()
    reset_peak_memory()
    before, _peak = memory()
    built, ms = timed(index.FilterIndex.build)
    index.install(built)
    gc.collect()
    rss, peak = memory()
    seconds = ms / 1000
    console.print(
        f"index build: {seconds:.1f} s for {built.stats()['books']:,} books, "
        f"{built.stats()['filter_tags']:,} filter tags "
        f"(goal <= {GOALS['build']:.0f} s: {verdict(seconds <= GOALS['build'])})"
    )
    console.print(
        f"resident memory: {gib(rss)} after the build, {gib(rss - before)} of it the index; "
        f"peak {gib(peak)} (goal <= {gib(GOALS['rss'])}: {verdict(peak <= GOALS['rss'])})"
    )
    return built


def run_searches(args, console: Console) -> None:
    from storyhouse.discovery import oracle
    from storyhouse.discovery.filters import TagGraph, resolve

    graph = TagGraph.load()
    searches = draw_queries(args.queries, QUERY_SEED, graph)
    filters = [resolve(query, graph, members=False)[0] for query in searches]
    built = build_index(console)
    if built is not None:
        graph = built.graph

    def ask(run, f, facets: bool):
        return timed(run, f, graph, order="votes", offset=0, limit=20, facets=facets)

    oracle_plain = min(args.oracle, len(filters))
    oracle_facets = min(args.oracle_facets, len(filters))
    console.print(
        f"Asking {len(filters)} searches (SQL oracle: {oracle_plain} without facets, "
        f"{oracle_facets} with)…"
    )
    timings: dict[str, list[float]] = {"index": [], "index+facets": [], "sql": [], "sql+facets": []}
    disagree = 0
    compared = 0
    totals = []
    for number, f in enumerate(progress(console, filters, "Searching")):
        mine = mine_facets = None
        if built is not None:
            mine, ms = ask(built.run, f, False)
            timings["index"].append(ms)
            mine_facets, ms = ask(built.run, f, True)
            timings["index+facets"].append(ms)
            totals.append(mine.total)
        wrong = False
        if number < oracle_plain:
            truth, ms = ask(oracle.run, f, False)
            timings["sql"].append(ms)
            if built is None:
                totals.append(truth.total)
            else:
                compared += 1
                wrong |= (mine.ids, mine.total) != (truth.ids, truth.total)
        if number < oracle_facets:
            truth, ms = ask(oracle.run, f, True)
            timings["sql+facets"].append(ms)
            if built is not None:
                wrong |= (mine_facets.ids, mine_facets.total, mine_facets.facets) != (
                    truth.ids,
                    truth.total,
                    truth.facets,
                )
        if wrong:
            disagree += 1
            if disagree <= 3:
                url = f"/search/?{searches[number].urlencode()}"
                console.print(f"  disagreement on {url}", style="yellow", soft_wrap=True)

    totals.sort()
    console.print(
        f"matches per search: median {totals[len(totals) // 2]:,}, "
        f"max {totals[-1]:,}, {sum(1 for t in totals if t == 0)} with none"
    )
    spreads = {name: Spread.of(values) for name, values in timings.items() if values}
    if built is not None:
        console.print(f"index filter+top20: {spreads['index']}")
        p95 = spreads["index+facets"].p95
        console.print(
            f"index filter+top20+facets: {spreads['index+facets']} "
            f"(goal p95 <= {GOALS['facets_p95']:.0f} ms: {verdict(p95 <= GOALS['facets_p95'])})"
        )
    if "sql" in spreads:
        console.print(f"SQL oracle filter+top20: {spreads['sql']}")
    if "sql+facets" in spreads:
        console.print(f"SQL oracle filter+top20+facets: {spreads['sql+facets']}")
    if built is None:
        console.print("index vs SQL: [bold red]not measured[/bold red] (no index)")
        return
    for plain, name in (("index", "sql"), ("index+facets", "sql+facets")):
        if name in spreads:
            ratio = spreads[name].p95 / spreads[plain].p95
            console.print(
                f"index faster than SQL at p95 ({plain.replace('index', 'filter+top20')}): "
                f"{ratio:.0f}x "
                f"(goal >= {GOALS['speedup']:.0f}x: {verdict(ratio >= GOALS['speedup'])})"
            )
    console.print(
        f"disagreements, index vs SQL oracle: {disagree} of {max(compared, oracle_facets)} "
        f"searches (ids and totals on {compared}, facets too on {oracle_facets}) "
        f"(goal 0: {verdict(disagree == 0)})"
    )
    measure_page(searches, console)


def measure_page(searches: list, console: Console) -> None:
    """The whole /search/ page, as a guest asks for it, through Django's test client."""
    from django.test import Client
    from django.urls import Resolver404, resolve

    try:
        resolve("/search/")
    except Resolver404:
        console.print("/search/ page: [bold red]not measured[/bold red]: no page at /search/ yet")
        return
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT, HTTP_HOST="localhost")
    urls = [f"/search/?{query.urlencode()}" for query in searches]
    for url in urls[:5]:  # warm-up: templates compiled, connections open
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    timings = []
    for url in progress(console, urls, "Requesting /search/"):
        response, ms = timed(client.get, url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        timings.append(ms)
    spread = Spread.of(timings)
    console.print(
        f"/search/ page: {spread} "
        f"(goal p95 <= {GOALS['page_p95']:.0f} ms: {verdict(spread.p95 <= GOALS['page_p95'])})"
    )


if __name__ == "__main__":
    main()
