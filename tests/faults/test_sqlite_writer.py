"""A long SQLite writer does not block readers: while another process holds the write lock
for seconds, guests still get book, part and search pages (WAL: readers go on), and a vote
waits its turn (busy timeout) and then counts, or, past the busy timeout, gets the friendly
503 page: never a 500."""

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import ON_POSTGRES

from .site import Answer, Browser, Site, fresh_database, set_up

pytestmark = pytest.mark.skipif(
    ON_POSTGRES, reason="SQLite's write lock: the SQLite pass runs this (DATABASE_URL unset)"
)

# The longest the test holds the lock while it waits for answers: below the default busy
# timeout (20 s), so a vote sent meanwhile waits and then counts.
MAX_HOLD = 15


@pytest.fixture(scope="module")
def lighthouse(tmp_path_factory) -> Iterator[tuple[Path, str, dict]]:
    """A Storyhouse database with Alice's book and a reader, shared by this module's tests."""
    folder = tmp_path_factory.mktemp("sqlite-writer")
    with fresh_database(folder) as database_url:
        site = Site(folder, database_url)
        site.command("migrate", "-v", "0")
        yield folder, database_url, set_up(site, readers=1, parts=2)


class LongWriter:
    """Another process's long transaction: BEGIN IMMEDIATE, a write, then the lock held until
    `release()` (or MAX_HOLD seconds), then COMMIT."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.holding = threading.Event()
        self.released = threading.Event()
        self.committed = threading.Event()
        self.thread = threading.Thread(target=self.write)

    def write(self) -> None:
        connection = sqlite3.connect(self.database, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            connection.execute(
                "UPDATE accounts_user SET display_name = 'Alice, still writing' "
                "WHERE username = 'alice'"
            )
            self.holding.set()
            self.released.wait(MAX_HOLD)
            connection.execute("COMMIT")
        finally:
            self.committed.set()
            connection.close()

    def __enter__(self) -> "LongWriter":
        self.thread.start()
        assert self.holding.wait(10)
        return self

    def release(self) -> None:
        self.released.set()

    def __exit__(self, *exc) -> None:
        self.release()
        self.thread.join(30)


def answered_in_background(ask: Callable[[], Answer], writer: LongWriter) -> dict:
    """Ask in a thread; the result says what came back and whether the lock was still held."""
    result: dict = {}

    def run() -> None:
        result["answer"] = ask()
        result["while_held"] = not writer.committed.is_set()

    result["thread"] = threading.Thread(target=run)
    result["thread"].start()
    return result


def database_path(database_url: str) -> str:
    return database_url.removeprefix("sqlite:///")


def test_readers_go_on_and_a_vote_waits_its_turn(lighthouse, make_site):
    folder, database_url, data = lighthouse
    site = make_site(database_url, var_dir=folder)
    site.start(workers=1)
    part = data["parts"][0]
    bob = Browser(site.url)
    bob.sign_in("reader1", "reader1-password-1")
    # A returning guest: her read of the part today is counted already.
    guest = Browser(site.url)
    assert guest.get(part["url"]).status == 200
    newcomer = Browser(site.url)

    with LongWriter(database_path(database_url)) as writer:
        vote = answered_in_background(
            lambda: bob.post(f"/parts/{part['id']}/vote/", {"voted": "true"}), writer
        )
        first_read = answered_in_background(lambda: newcomer.get(part["url"]), writer)
        pages = {}
        for path in (data["book"], part["url"], "/search/?q=lighthouse", "/"):
            pages[path] = (guest.get(path), not writer.committed.is_set())
        writer.release()
        vote["thread"].join(30)
        first_read["thread"].join(30)

    for path, (answer, while_held) in pages.items():
        assert answer.status == 200, (path, answer.status)
        assert while_held, f"{path} waited for the writer"
    assert "The Lighthouse" in pages[data["book"]][0].body
    # The vote waited for the lock, then counted.
    assert vote["answer"].status == 302, vote["answer"].body[:2000]
    assert not vote["while_held"]
    database = sqlite3.connect(database_path(database_url))
    try:
        votes = database.execute("SELECT votes_count FROM stories_part WHERE id = ?", [part["id"]])
        assert votes.fetchone() == (1,)
    finally:
        database.close()
    # A guest's first read of a part counts a read (a write): it is answered too.
    assert first_read["answer"].status == 200
    print(
        "a newcomer's first read of a part was answered "
        + ("while the writer held the lock" if first_read["while_held"] else "after it")
    )


def test_past_the_busy_timeout_a_vote_gets_the_friendly_503(lighthouse, make_site):
    folder, database_url, data = lighthouse
    site = make_site(database_url, var_dir=folder, SQLITE_BUSY_TIMEOUT="1")
    site.start(workers=1)
    part = data["parts"][1]
    bob = Browser(site.url)
    bob.sign_in("reader1", "reader1-password-1")

    with LongWriter(database_path(database_url)) as writer:
        answer = bob.post(f"/parts/{part['id']}/vote/", {"voted": "true"})
        still_held = not writer.committed.is_set()
        book = Browser(site.url).get(data["book"])
    assert still_held
    assert answer.status == 503, answer.body[:2000]
    assert answer.headers["Retry-After"] == "30"
    assert "Storyhouse is taking a short break" in answer.body
    assert "What you just sent did not reach us" in answer.body
    assert book.status == 200
    # Once the writer is done, the same vote goes through.
    assert bob.post(f"/parts/{part['id']}/vote/", {"voted": "true"}).status == 302
