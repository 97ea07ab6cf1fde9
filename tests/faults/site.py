"""What the fault tests share: a Storyhouse of their own (`storyhouse serve` on a database of
its own, which the test may kill), people who sign in over HTTP, and the set-up and the
check-up of its data, run by `storyhouse shell` against the same database."""

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message
from http.cookiejar import Cookie, CookieJar
from pathlib import Path

from django.conf import settings

from tests.browsing import ShowRedirects
from tests.helpers import BROWSER_AGENT, ON_POSTGRES
from tests.test_serve import free_port, isolated_env, wait_for


@contextmanager
def fresh_database(tmp_path: Path) -> Iterator[str]:
    """The address of an empty database of the kind this pass of the suite runs on: a SQLite
    file in tmp_path, or on PostgreSQL a database `faults_<random>` on the suite's server,
    dropped afterwards."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'site.sqlite3'}"
        return
    import psycopg

    address = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    name = f"faults_{uuid.uuid4().hex[:12]}"
    admin_url = urllib.parse.urlunsplit(address._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urllib.parse.urlunsplit(address._replace(path=f"/{name}"))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Site:
    """One Storyhouse: its var dir, its database, and (once started) its server, in a
    process group of its own so that the test can kill every worker at once."""

    def __init__(self, tmp_path: Path, database_url: str, **env: str) -> None:
        self.env = isolated_env(tmp_path)
        self.env["DATABASE_URL"] = database_url
        self.env.update(env)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: subprocess.Popen | None = None
        self.log_path = tmp_path / f"serve-{self.port}.log"

    def command(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(  # noqa: S603 - our own command, with arguments we chose
            [sys.executable, "-m", "storyhouse.cli", *args],
            env=self.env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def shell(self, code: str) -> dict:
        """Run Python in `storyhouse shell` on this site's database; it prints one JSON line."""
        return json.loads(self.command("shell", "-c", code).strip().splitlines()[-1])

    def start(self, workers: int = 1, **env: str) -> None:
        log = self.log_path.open("a")
        self.server = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "storyhouse.cli", "serve"]
            + ["--port", str(self.port), "--workers", str(workers)],
            env={**self.env, **env},
            cwd=settings.BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        wait_for(f"{self.url}/", self.server, seconds=90)

    def kill(self) -> None:
        """kill -9 of the server and every worker it started: no clean-up of any kind."""
        if self.server is None:
            return
        os.killpg(self.server.pid, signal.SIGKILL)
        self.server.wait(timeout=20)
        self.server = None

    def stop(self) -> None:
        """Ctrl+C, as a person stops it; killed if it does not stop."""
        if self.server is None:
            return
        try:
            self.server.send_signal(signal.SIGINT)  # granian stops its workers itself
            self.server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.server.pid, signal.SIGKILL)
            self.server.wait(timeout=20)
        except ProcessLookupError:
            pass
        self.server = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


# Accounts and a book, made through the services as a writer and readers would.
SET_UP = """
import json
from storyhouse.accounts.models import User
from tests.helpers import write_book

alice = User.objects.create_user("alice", "alice@example.org", "alice-password-1",
                                 display_name="Alice Liddell", email_verified=True)
readers = [
    User.objects.create_user(f"reader{n}", f"reader{n}@example.org", f"reader{n}-password-1",
                             email_verified=True)
    for n in range(1, {readers} + 1)
]
book = write_book(alice, "The Lighthouse", {parts})
parts = list(book.parts.order_by("position"))
print(json.dumps({
    "book": book.get_absolute_url(),
    "parts": [{"id": part.pk, "url": part.get_absolute_url()} for part in parts],
    "readers": [reader.username for reader in readers],
}))
"""


def set_up(site: Site, *, readers: int, parts: int) -> dict:
    return site.shell(SET_UP.replace("{readers}", str(readers)).replace("{parts}", str(parts)))


@dataclass
class Answer:
    status: int
    headers: Message  # looked up without regard to case, as HTTP says
    body: str


class Browser:
    """A person's browser: its own cookies, a browser's user agent, redirects not followed."""

    def __init__(self, site_url: str) -> None:
        self.site_url = site_url
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), ShowRedirects()
        )

    def request(self, method: str, path: str, data: dict | None = None, timeout=30) -> Answer:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(  # noqa: S310 - our own local server
            self.site_url + path,
            data=body,
            method=method,
            headers={"User-Agent": BROWSER_AGENT, "Referer": self.site_url + "/"},
        )
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return Answer(response.status, response.headers, response.read().decode())
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.headers, error.read().decode())

    def get(self, path: str, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> Answer:
        """A form sent with the CSRF token the site gave this browser."""
        return self.request("POST", path, {**data, "csrfmiddlewaretoken": self.csrf()}, **kwargs)

    def csrf(self) -> str:
        return next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken")

    def sign_in(self, username: str, password: str) -> None:
        assert self.get("/accounts/login/").status == 200
        answer = self.post("/accounts/login/", {"username": username, "password": password})
        assert answer.status == 302, answer.body[:2000]

    def reader_cookie(self, token: str) -> None:
        """Come back as the guest whose reader cookie is `token`."""
        host = urllib.parse.urlsplit(self.site_url).hostname
        self.cookies.set_cookie(
            Cookie(0, "storyhouse_reader", token, None, False, host, False, False, "/", True,
                   False, None, False, None, None, {})
        )  # fmt: skip


def guest_token() -> str:
    return uuid.uuid4().hex  # 32 characters a reader cookie may hold
