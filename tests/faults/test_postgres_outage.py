"""PostgreSQL stops under load and starts again: meanwhile people get the friendly 503 page,
never a 500 and never a long wait; then the same Storyhouse process answers again, with no
restart.

It runs its own cluster (as the postgres user, on a port of its own), not the suite's
database, so it runs once: in the PostgreSQL pass. Outside CI it is skipped where it cannot
run (no root, no server binaries)."""

import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.helpers import ON_POSTGRES

from .cluster import Cluster, why_not_here
from .site import Browser, Site, set_up

REASON = why_not_here()
pytestmark = [
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="runs in the PostgreSQL pass (make test-postgres): it brings its own cluster, "
        "so a second run on the SQLite pass would test nothing new",
    ),
    pytest.mark.skipif(REASON is not None and os.environ.get("CI") != "true", reason=REASON or ""),
]

FRIENDLY = "Storyhouse is taking a short break"
# However long the database is away, no answer may take longer than this.
NO_HANG = 10
# Longer than a pooled request waits for a connection (DB_POOL_TIMEOUT, 2 s) before it gets
# the 503 page, so that requests sent while the database is down are answered while it is.
OUTAGE_SECONDS = 8


@dataclass
class PrivateStoryhouse:
    cluster: Cluster
    database_url: str
    var_dir: Path
    data: dict


@pytest.fixture(scope="module")
def private_postgres(tmp_path_factory) -> Iterator[PrivateStoryhouse]:
    """A cluster of its own holding a Storyhouse with Alice's book and a reader; stopped and
    removed at the end, whatever happens."""
    cluster = Cluster()
    try:
        cluster.create()
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as admin:
            admin.execute("CREATE DATABASE storyhouse")
        var_dir = tmp_path_factory.mktemp("postgres-outage")
        site = Site(var_dir, cluster.url("storyhouse"))
        site.command("migrate", "-v", "0")
        data = set_up(site, readers=1, parts=2)
        yield PrivateStoryhouse(cluster, cluster.url("storyhouse"), var_dir, data)
    finally:
        cluster.remove()


@dataclass
class Asked:
    path: str
    sent: float
    answered: float
    status: int  # 0: no answer at all
    body: str
    retry_after: str | None


def load(site_url: str, bob: Browser, book: str, asked: list[Asked], stop) -> None:
    """Pages no cache can answer: a search for a new word each time, and the book page as a
    signed-in reader, one after the other."""
    guest = Browser(site_url)
    n = 0
    while not stop.is_set():
        n += 1
        browser, path = (guest, f"/search/?q={uuid.uuid4().hex[:8]}") if n % 2 else (bob, book)
        sent = time.monotonic()
        try:
            answer = browser.get(path, timeout=NO_HANG)
            status, body, retry = answer.status, answer.body, answer.headers.get("Retry-After")
        except OSError as error:
            status, body, retry = 0, repr(error), None
        asked.append(Asked(path, sent, time.monotonic(), status, body, retry))
        time.sleep(0.05)


def sent_between(asked: list[Asked], start: float, end: float) -> list[Asked]:
    return [a for a in asked if a.sent >= start and a.answered <= end]


@pytest.mark.parametrize(
    "connections",
    [
        # A connection per request (the plain default).
        {"DB_CONN_MAX_AGE": "0", "DB_POOL": "false"},
        # Connections kept between requests: a dead one must be noticed and replaced.
        {"DB_CONN_MAX_AGE": "60", "DB_POOL": "false"},
        # Whatever the settings choose on their own (a connection pool, where it is on).
        {},
    ],
    ids=["per-request", "persistent", "default"],
)
def test_while_postgresql_is_down_people_get_the_friendly_page(
    private_postgres, make_site, connections
):
    setup = private_postgres
    site = make_site(setup.database_url, var_dir=setup.var_dir, **connections)
    site.start(workers=1)
    server_pid = site.server.pid
    bob = Browser(site.url)
    bob.sign_in("reader1", "reader1-password-1")
    book = setup.data["book"]
    assert bob.get(book).status == 200

    asked: list[Asked] = []
    stop = threading.Event()
    loader = threading.Thread(target=load, args=(site.url, bob, book, asked, stop))
    loader.start()
    try:
        time.sleep(1)
        setup.cluster.stop()
        down = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        coming_back = time.monotonic()
        setup.cluster.start()
        back = time.monotonic()
        # Keep asking until both pages have answered again a few times (or give up).
        deadline = back + 60
        while time.monotonic() < deadline:
            after = [a for a in asked if a.sent >= back]
            if sum(a.status == 200 for a in after[-6:]) == 6:
                break
            time.sleep(0.2)
    finally:
        stop.set()
        loader.join(30)

    statuses = sorted({a.status for a in asked})
    print(
        f"{connections or 'default settings'}: {len(asked)} requests, statuses {statuses}, "
        f"{sum(a.status == 503 for a in asked)} answered 503, "
        f"{sum(a.status == 503 for a in asked if a.sent >= back)} of them after the restart"
    )
    # Never a 500, never no answer (a hang past NO_HANG seconds, a dropped connection).
    assert set(statuses) <= {200, 503}, [(a.path, a.status, a.body[:300]) for a in asked]
    before = sent_between(asked, 0, down - 1)
    assert before and all(a.status == 200 for a in before)

    during = sent_between(asked, down, coming_back)
    assert len(during) >= 2, "no request was answered while the database was down"
    for answer in during:
        assert answer.status == 503, (answer.path, answer.status, answer.body[:1000])
        assert FRIENDLY in answer.body
        assert answer.retry_after == "30"
    assert {a.path == book for a in during} == {True, False}  # both pages, guest and signed in

    # The same process answers again, for both pages.
    assert site.server is not None and site.server.pid == server_pid
    assert site.server.poll() is None
    after = [a for a in asked if a.sent >= back]
    assert after[-6:] and all(a.status == 200 for a in after[-6:]), after[-6:]
    assert {a.path == book for a in after[-6:]} == {True, False}
    if connections:
        # Without a pool, Django opens (or checks) a connection per request: not one
        # request after the database came back fails.
        assert all(a.status == 200 for a in after), [(a.path, a.status) for a in after]

    # A quiet restart, with no request meanwhile: connections kept from before are dead
    # without having failed yet. The next requests still answer.
    setup.cluster.stop()
    setup.cluster.start()
    answers = [
        browser.get(path, timeout=NO_HANG).status
        for _ in range(3)
        for browser, path in ((bob, book), (Browser(site.url), f"/search/?q={uuid.uuid4().hex}"))
    ]
    print(f"after a quiet restart: {answers}")
    assert set(answers) <= {200, 503}
    assert answers[-2:] == [200, 200]
    if connections:
        assert set(answers) == {200}
