"""Storyhouse benchmarks: run `make bench` or `.venv/bin/python -m bench`; figures, no verdicts.

What it measures, on a fresh SQLite database in a temporary directory (it never touches var/,
DATABASE_URL or REDIS_URL, which are replaced before Django loads):

- corpus generation: demo stories per second, metadata only (titles, tags, parts, counts,
  dates; no database, no bodies), over 100,000 stories;
- corpus load: seconds to write 500 demo stories through `load_corpus`, bodies, tags,
  revisions and change log included;
- page latency: p50 and p95 in milliseconds over 200 requests each to the home page, a book
  page, a part page and a tag page, through Django's test client with a browser User-Agent
  (after a few warm-up requests), and the number of queries each page makes.

Options: --generate N, --load N, --requests N, --seed N. Nothing passes or fails; compare the
figures between runs on the same machine.
"""

import argparse
import os
import platform
import tempfile

from rich.console import Console
from rich.table import Table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--generate", type=int, default=100_000, help="stories to generate")
    parser.add_argument("--load", type=int, default=500, help="stories to write to the database")
    parser.add_argument("--requests", type=int, default=200, help="requests per page")
    parser.add_argument("--seed", type=int, default=None, help="corpus seed (default: the demo's)")
    args = parser.parse_args(argv)
    console = Console()

    with tempfile.TemporaryDirectory(prefix="storyhouse-bench-") as var:
        # Before Django reads its settings: a database and files of the benchmark's own.
        os.environ["STORYHOUSE_VAR_DIR"] = var
        os.environ["DATABASE_URL"] = f"sqlite:///{var}/bench.sqlite3"
        os.environ["DJANGO_SETTINGS_MODULE"] = "storyhouse.settings"
        os.environ.pop("REDIS_URL", None)
        import django

        django.setup()
        from django.core.management import call_command

        from storyhouse.demo.corpus import DEFAULT_SEED

        from .corpus import measure_generation, measure_load
        from .pages import measure_page, pages_to_measure

        seed = DEFAULT_SEED if args.seed is None else args.seed
        call_command("migrate", interactive=False, verbosity=0)

        console.print(f"Generating {args.generate:,} stories' metadata…")
        generation = measure_generation(args.generate, seed)
        console.print(f"Writing {args.load:,} stories to a fresh SQLite database…")
        load = measure_load(args.load, seed, console)
        latencies = []
        for name, url in pages_to_measure():
            console.print(f"Requesting the {name} page {args.requests} times…")
            latencies.append(measure_page(name, url, args.requests))

        machine = f"Python {platform.python_version()}, SQLite, {os.cpu_count()} cores"
        table = Table(title=f"Storyhouse benchmarks ({machine})")
        table.add_column("measure")
        table.add_column("figure", justify="right")
        table.add_column("details")
        table.add_row(
            "corpus generation",
            f"{generation.rate:,.0f} stories/s",
            f"{generation.stories:,} stories, {generation.parts:,} parts, "
            f"{generation.seconds:.1f} s, metadata only",
        )
        table.add_row(
            "corpus load",
            f"{load.seconds:.1f} s",
            f"{load.stories:,} stories, {load.parts:,} parts, {load.words:,} words",
        )
        for latency in latencies:
            table.add_row(
                f"{latency.page} page",
                f"p50 {latency.p50_ms:.1f} ms · p95 {latency.p95_ms:.1f} ms",
                f"{latency.queries} queries per request, {args.requests} requests",
            )
        console.print(table)
        for latency in latencies:
            console.print(f"  {latency.page} page: {latency.url}", style="dim", soft_wrap=True)


if __name__ == "__main__":
    main()
