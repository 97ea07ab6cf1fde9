"""The read buffer in a real `storyhouse serve`: guests' reads reach the database within about a
second, and the ones still held when the server is stopped gracefully are written on the way out."""

import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from storyhouse.engagement.models import Read
from storyhouse.stories.models import Part
from tests.helpers import BROWSER_AGENT, OWN_SQLITE_SITE
from tests.test_serve import free_port, isolated_env, wait_for

ROOT = Path(__file__).resolve().parent.parent
GUESTS = 30

# Run in a process of its own against the test's database: a book to read.
MAKE_BOOK = """
import django
django.setup()
from storyhouse.accounts.models import User
from tests.helpers import write_book
alice = User.objects.create_user("alice", "alice@example.org", "alice-password-1")
print(write_book(alice, "The Lighthouse", 1).parts.get().get_absolute_url())
"""


def storyhouse_command() -> list[str]:
    script = Path(sys.executable).with_name("storyhouse")
    return [str(script)] if script.exists() else [sys.executable, "-m", "storyhouse.cli"]


def read_as(guest: str, url: str) -> int:
    """A guest with their reader cookie opens the page, in an ordinary browser."""
    request = urllib.request.Request(  # noqa: S310 - only the local server this test started
        url, headers={"User-Agent": BROWSER_AGENT, "Cookie": f"storyhouse_reader={guest}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        response.read()
        return response.status


def reads_in(database: Path) -> tuple[int, int]:
    """(Read rows, the part's count) as the server's database holds them."""
    with sqlite3.connect(database) as db:
        rows = db.execute(f"SELECT COUNT(*) FROM {Read._meta.db_table}").fetchone()[0]  # noqa: S608
        (count,) = db.execute(f"SELECT reads_count FROM {Part._meta.db_table}").fetchone()  # noqa: S608
    return rows, count


def serve(env: dict[str, str], port: int) -> subprocess.Popen:
    return subprocess.Popen(  # noqa: S603 (our own command)
        [*storyhouse_command(), "serve", "--port", str(port), "--workers", "1", "--no-worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(server: subprocess.Popen, how: signal.Signals) -> str:
    server.send_signal(how)
    output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, output
    return output


@OWN_SQLITE_SITE
def test_reads_are_written_soon_and_on_a_graceful_stop(tmp_path):
    env = isolated_env(tmp_path)
    database = tmp_path / "db.sqlite3"
    subprocess.run([*storyhouse_command(), "migrate", "-v", "0"], env=env, check=True, timeout=60)  # noqa: S603
    made = subprocess.run(  # noqa: S603
        [sys.executable, "-c", MAKE_BOOK],
        env={**env, "DJANGO_SETTINGS_MODULE": "storyhouse.settings"},
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    path = made.stdout.strip().splitlines()[-1]

    # Held for an hour: only the flush on the way out can write these.
    port = free_port()
    server = serve({**env, "READS_FLUSH_SECONDS": "3600"}, port)
    try:
        wait_for(f"http://127.0.0.1:{port}/", server, seconds=90)  # collectstatic first
        for n in range(GUESTS):
            assert read_as(f"guest-stopping-{n:04d}", f"http://127.0.0.1:{port}{path}") == 200
        assert reads_in(database) == (0, 0)
    finally:
        stop(server, signal.SIGTERM)
    assert reads_in(database) == (GUESTS, GUESTS)

    # As configured by default: the reads appear while the server goes on.
    port = free_port()
    server = serve(env, port)
    try:
        wait_for(f"http://127.0.0.1:{port}/", server, seconds=90)  # collectstatic first
        for n in range(GUESTS):
            assert read_as(f"guest-running-{n:04d}", f"http://127.0.0.1:{port}{path}") == 200
        deadline = time.monotonic() + 5
        while reads_in(database) != (2 * GUESTS, 2 * GUESTS) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert reads_in(database) == (2 * GUESTS, 2 * GUESTS)
    finally:
        stop(server, signal.SIGINT)
