"""Two `storyhouse serve` processes on one PostgreSQL and one Redis are one site: what Mira
writes on A is read, searched and voted on through B, and a session made on one is good on the
other. Everything goes through HTTP, as people use the site.

Periodic work (among it, the words search finds) runs once for the site, in a `storyhouse
worker` of its own beside the two `serve --no-worker`, as several hosts would run it."""

import os
import re
import secrets
import signal
import subprocess
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
import redis

from tests.browsing import Browser, eventually, page_showing, publish_book, storyhouse_command
from tests.helpers import ON_POSTGRES
from tests.test_serve import free_port, isolated_env

# Redis database 3 is this test's own: it is emptied at the start.
REDIS_URL = "redis://127.0.0.1:6379/3"
PASSWORD = "a long walk by the sea"
TITLE = "The Clockmaker of Tidewater"


def postgres_url(dbname: str) -> str:
    """Another database on the server of DATABASE_URL."""
    return urllib.parse.urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{dbname}").geturl()


def unreachable() -> str:
    """Why the test cannot run here, or "" when PostgreSQL and Redis both answer."""
    try:
        psycopg.connect(postgres_url("postgres"), connect_timeout=3).close()
    except psycopg.Error:
        return f"needs PostgreSQL at {postgres_url('postgres')}: start it or set DATABASE_URL"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError:
        return "needs Redis at 127.0.0.1:6379: start it with `redis-server`"
    return ""


# It makes its own database, so it runs once, in the PostgreSQL pass. In CI both services
# must be there: the test runs, and fails without them.
MISSING = "" if os.environ.get("CI") == "true" or not ON_POSTGRES else unreachable()
pytestmark = [
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="runs in the PostgreSQL pass (make test-postgres), on a database of its own",
    ),
    pytest.mark.skipif(bool(MISSING), reason=MISSING),
]


@dataclass
class Sites:
    a: str
    b: str
    book: str  # paths, the same on both sites
    part: str
    writer: Browser  # Mira, signed in on A


@pytest.fixture
def sites(tmp_path_factory) -> Iterator[Sites]:
    dbname = f"prod_two_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{dbname}"')
    redis.Redis.from_url(REDIS_URL).flushdb()
    secret = secrets.token_urlsafe(50)

    def environment(name: str) -> dict[str, str]:
        env = isolated_env(tmp_path_factory.mktemp(name))
        env.update(DATABASE_URL=postgres_url(dbname), REDIS_URL=REDIS_URL, SECRET_KEY=secret)
        env.pop("DEBUG", None)
        return env

    def start(*args: str, env: dict[str, str]) -> subprocess.Popen:
        process = subprocess.Popen(  # noqa: S603 (our own command)
            [*storyhouse_command(), *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        processes.append(process)
        return process

    def answers(site: str, server: subprocess.Popen) -> bool:
        assert server.poll() is None, server.communicate()[0]
        try:
            return Browser().get(f"{site}/").status == 200
        except OSError:  # not listening yet
            return False

    processes: list[subprocess.Popen] = []
    try:
        env_a = environment("a")
        run = {"env": env_a, "check": True, "timeout": 300, "capture_output": True}
        subprocess.run([*storyhouse_command(), "migrate", "-v", "0"], **run)  # noqa: S603
        accounts = (
            "from storyhouse.accounts.models import User\n"
            f"User.objects.create_user('mira', 'mira@example.org', {PASSWORD!r})\n"
            f"User.objects.create_user('jon', 'jon@example.org', {PASSWORD!r})\n"
        )
        subprocess.run([*storyhouse_command(), "shell", "-c", accounts], **run)  # noqa: S603
        port_a, port_b = free_port(), free_port()
        a, b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
        serve = ("serve", "--workers", "1", "--no-worker", "--port")
        serving = {
            a: start(*serve, str(port_a), env=env_a),
            b: start(*serve, str(port_b), env=environment("b")),
        }
        start("worker", env=environment("worker"))
        for site, server in serving.items():
            assert eventually(lambda site=site, server=server: answers(site, server), seconds=60)

        writer = Browser()
        writer.sign_in(a, "mira", PASSWORD)
        book, part = publish_book(
            writer,
            a,
            title=TITLE,
            trope="Tidewater Clocks",
            part_title="Nine Bells",
            body="The clock struck *nine* and the tide turned.",
        )
        yield Sites(
            a, b, urllib.parse.urlsplit(book).path, urllib.parse.urlsplit(part).path, writer
        )
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
        with psycopg.connect(postgres_url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


def a_book_published_on_a_is_read_on_b_by_a_guest_and_by_a_signed_in_reader(sites: Sites) -> None:
    guest = Browser()
    assert page_showing(guest, sites.b + sites.book, TITLE)
    assert page_showing(guest, sites.b + sites.part, "The clock struck <em>nine</em>")

    jon = Browser()
    jon.sign_in(sites.b, "jon", PASSWORD)
    assert page_showing(jon, sites.b + sites.book, TITLE)
    part = page_showing(jon, sites.b + sites.part, "The clock struck <em>nine</em>")
    assert part and "Log in to vote" not in part.text


def search_on_b_finds_the_book_by_title_and_by_tag(sites: Sites) -> None:
    guest = Browser()
    assert page_showing(guest, f"{sites.b}/search/?q=clockmaker", TITLE)
    assert page_showing(guest, f"{sites.b}/search/?include=tidewater-clocks", TITLE)


def a_session_made_on_a_is_good_on_b(sites: Sites) -> None:
    # Cookies belong to the host, not the port: the same sessionid goes to both sites.
    assert [cookie.name for cookie in sites.writer.cookies].count("sessionid") == 1
    desk = sites.writer.get(f"{sites.b}/desk/")
    assert desk.status == 200  # not a redirect to the login page
    assert TITLE in desk.text
    assert Browser().get(f"{sites.b}/desk/").status == 302  # a stranger is asked to log in


def a_vote_on_b_is_shown_on_a(sites: Sites) -> None:
    jon = Browser()
    jon.sign_in(sites.b, "jon", PASSWORD)
    part = jon.get(sites.b + sites.part)
    part_id = re.search(r"/parts/(\d+)-", sites.part)[1]
    voted = jon.submit(part.form(f"/parts/{part_id}/vote/"))
    assert voted.status == 302, voted.text[:2000]

    assert page_showing(Browser(), sites.a + sites.part, '<span class="vote__count">1 vote</span>')
    on_a = page_showing(jon, sites.a + sites.part, 'aria-pressed="true"')
    assert on_a and "1 vote" in on_a.text


def sessions_outlive_an_emptied_redis(sites: Sites) -> None:
    jon = Browser()
    jon.sign_in(sites.a, "jon", PASSWORD)
    assert jon.get(f"{sites.b}/accounts/settings/").status == 200
    # What a restart of Redis leaves: it keeps nothing on disk here.
    redis.Redis.from_url(REDIS_URL).flushdb()
    assert jon.get(f"{sites.b}/accounts/settings/").status == 200
    assert jon.get(f"{sites.a}/accounts/settings/").status == 200
    assert Browser().get(f"{sites.b}/accounts/settings/").status == 302


def test_two_processes_on_one_postgresql_and_redis_are_one_site(sites):
    # One test, not several: tests in other processes (pytest-xdist) must not share Redis db 3.
    a_book_published_on_a_is_read_on_b_by_a_guest_and_by_a_signed_in_reader(sites)
    search_on_b_finds_the_book_by_title_and_by_tag(sites)
    a_session_made_on_a_is_good_on_b(sites)
    a_vote_on_b_is_shown_on_a(sites)
    sessions_outlive_an_emptied_redis(sites)
