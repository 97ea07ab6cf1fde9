"""The statistics benchmark: `make bench-stats` (`python -m bench.stats`), never part of the
tests.

For SQLite, then PostgreSQL (when one answers at BENCH_POSTGRES_URL, by default the local
one), in a database of its own made afresh: one book of 50 parts, and 5,000,000 reads of it
over the two years before today by readers who start at part 1 and go on for a while (fewer
at each part, as real readers do), a few parts a day. It rolls all those days up, as the
worker would on a first run (timed, for information), then:

- renders the book's statistics page (30 days, 12 months, all time) 20 times each, signed in
  as its writer, and prints p50 and p95 (goal: p95 <= 200 ms);
- adds one more day of 100,000 reads (today) and times rolling that day up (goal: <= 5 s).
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from statistics import quantiles

GOALS = {"page_p95_ms": 200.0, "day_seconds": 5.0}
ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/storyhouse_bench_stats"
)


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def reads_for(days: int, total: int, parts: int, seed: int, today: datetime.date):
    """(part position, reader key, day) rows: readers who start at part 1 on some day and read
    on, one to four parts a day, each going on to the next part with a falling chance."""
    rng = random.Random(seed)
    first = today - datetime.timedelta(days=days)
    made = number = 0
    while made < total:
        number += 1
        reader = f"g{number:09d}"
        day = first + datetime.timedelta(days=rng.randrange(days))
        position, going = 1, True
        while going and made < total and day < today:
            for _ in range(rng.randint(1, 4)):  # parts read that day
                yield position, reader, day
                made += 1
                position += 1
                if position > parts or rng.random() > 0.93 or made >= total:
                    going = False
                    break
            day += datetime.timedelta(days=rng.randint(1, 6))


def _insert_reads(rows, part_ids: dict[int, int], batch: int = 50_000) -> int:
    from django.db import connection, transaction

    from storyhouse.engagement.models import Read

    table = connection.ops.quote_name(Read._meta.db_table)
    now = datetime.datetime.now(datetime.UTC)
    count = 0
    chunk = []

    def flush() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(
                    f"COPY {table} (part_id, reader, day, created_at) FROM STDIN"
                ) as copy:
                    for row in chunk:
                        copy.write_row(row)
            else:
                cursor.executemany(
                    f"INSERT INTO {table} (part_id, reader, day, created_at) "  # noqa: S608
                    "VALUES (%s, %s, %s, %s)",
                    chunk,
                )
        chunk.clear()

    for position, reader, day in rows:
        chunk.append((part_ids[position], reader, day, now))
        count += 1
        if len(chunk) >= batch:
            flush()
    if chunk:
        flush()
    return count


def run(reads: int, parts: int, days: int, day_reads: int, seed: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from storyhouse.accounts.models import User
    from storyhouse.stats import rollup
    from storyhouse.stats.models import ReaderPart
    from storyhouse.stories import services
    from storyhouse.stories.models import Part, PartState, Story

    call_command("migrate", interactive=False, verbosity=0)
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")
    writer = User.objects.create_user("writer", "writer@example.org", "writer-password-1")
    story = services.story_save(Story(title="The Long Book", visibility="public"), authors=[writer])
    for number in range(1, parts + 1):
        services.part_save(
            Part(
                story=story,
                title=f"Chapter {number}",
                body="".join(f"<p>Paragraph {n} of chapter {number}.</p>" for n in range(30)),
                state=PartState.PUBLISHED,
            )
        )
    part_ids = dict(story.parts.values_list("position", "id"))
    today = timezone.localdate()

    started = time.perf_counter()
    made = _insert_reads(reads_for(days, reads, parts, seed, today), part_ids)
    print(f"reads written: {made:,} over {days} days in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    rolled = rollup.catch_up(today - datetime.timedelta(days=1))
    seconds = time.perf_counter() - started
    print(
        f"first roll-up of {len(rolled)} days: {seconds:.1f} s "
        f"({1000 * seconds / max(1, len(rolled)):.0f} ms a day); "
        f"{ReaderPart.objects.count():,} reader records"
    )

    client = Client(HTTP_HOST="localhost")
    client.force_login(writer)
    url = f"/desk/stories/{story.pk}/stats/"
    timings = []
    for kind in ("30d", "12m", "all"):
        client.get(f"{url}?range={kind}")  # warm
        for _ in range(20):
            began = time.perf_counter()
            response = client.get(f"{url}?range={kind}")
            timings.append(1000 * (time.perf_counter() - began))
            assert response.status_code == 200, response.status_code
    cuts = quantiles(timings, n=100, method="inclusive")
    print(
        f"statistics page: p50 {cuts[49]:.0f} ms, p95 {cuts[94]:.0f} ms over {len(timings)} "
        f"renders (goal: p95 <= {GOALS['page_p95_ms']:.0f} ms: "
        f"{verdict(cuts[94] <= GOALS['page_p95_ms'])})"
    )

    # One more day: readers going on (from the last part they read) and new ones.
    rng = random.Random(seed + 1)
    day_rows = []
    for number in range(day_reads):
        reader = f"g{rng.randrange(1, reads // 20):09d}" if number % 2 else f"t{number:09d}"
        day_rows.append((rng.randint(1, parts) if number % 2 else 1, reader, today))
    seen = set()
    unique = [row for row in day_rows if (row[0], row[1]) not in seen and not seen.add(row[:2])]
    _insert_reads(unique, part_ids)
    started = time.perf_counter()
    rollup.rollup_day(today)
    seconds = time.perf_counter() - started
    print(
        f"rolling up one day of {len(unique):,} reads: {seconds:.2f} s "
        f"(goal: <= {GOALS['day_seconds']:.0f} s: {verdict(seconds <= GOALS['day_seconds'])})"
    )
    page = client.get(url).content.decode()
    assert "Where readers stop" in page


def fresh_postgres(url: str) -> bool:
    """Drop and create the benchmark's own PostgreSQL database; False when none answers."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        print(f"PostgreSQL skipped: {error}".strip())
        return False
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=5_000_000)
    parser.add_argument("--parts", type=int, default=50)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--day-reads", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.run:
        run(options.reads, options.parts, options.days, options.day_reads, options.seed)
        return
    var = ROOT / "var" / "bench-stats"
    var.mkdir(parents=True, exist_ok=True)
    backends = ["sqlite", "postgres"] if options.backend == "both" else [options.backend]
    for backend in backends:
        env = {
            **os.environ,
            "STORYHOUSE_VAR_DIR": str(var),
            "DJANGO_SETTINGS_MODULE": "storyhouse.settings",
            "SEARCH_INDEX": "0",
            "READS_BUFFERED": "0",
        }
        env.pop("REDIS_URL", None)
        if backend == "sqlite":
            path = var / "bench-stats.sqlite3"
            for stale in var.glob("bench-stats.sqlite3*"):
                stale.unlink()
            env["DATABASE_URL"] = f"sqlite:///{path}"
        else:
            if not fresh_postgres(POSTGRES_URL):
                continue
            env["DATABASE_URL"] = POSTGRES_URL
        print(f"== {backend}")
        args = [sys.executable, "-m", "bench.stats", "--run", *(argv or sys.argv[1:])]
        done = subprocess.run(args, env=env, cwd=ROOT, check=False)  # noqa: S603
        if done.returncode:
            sys.exit(done.returncode)


if __name__ == "__main__":
    main()
