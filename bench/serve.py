"""The load benchmark: `make bench-serve` (`python -m bench.serve`), never part of the tests.

For each database (SQLite, then PostgreSQL + Redis) it sets up a site of its own under
var/bench-serve/<db>/ (migrate, the sample story, a demo corpus, a reader account), starts
`storyhouse serve --workers 2` with DEBUG off, signs the reader in over HTTP, and starts nginx
serving the guest part page's exact bytes as a static file, and the same bytes from a bare WSGI
callable under granian. Then `wrk` asks, each target after a short warm-up: nginx static, the
bare callable and the guest part page, one after the other in several rounds (this machine's
speed drifts by a fifth from one minute to the next: each round compares targets measured
side by side, and the median round is reported); then a book page, a search page and the part
page for the signed-in reader. Guests carry a browser User-Agent and one of 5,000 reader
cookies per run, so their reads are counted; after the guest part runs the reads the database
counted are compared with the distinct cookies wrk sent.

It prints req/s, p50, p99 and errors per target, then the goals with PASS or FAIL. The exit code
is 0 whatever the figures, unless --strict (then 1 when a goal fails); 2 when wrk or nginx is
missing.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from storyhouse.stories.management.commands.serve import default_threads

from .pages import BROWSER_AGENT

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench-serve"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/bench_serve"
REDIS_URL = "redis://127.0.0.1:6379/4"
WORKERS = 2  # one per core on the 2-core machine the goals are set for
WARM_UP_SECONDS = 2
READ_BUFFER_WAIT = 2  # seconds for buffered reads to reach the database
GUEST_COOKIES = 5_000
READER = "bench-reader"
GOALS = {
    "ratio": 0.5,  # guest part req/s over nginx static req/s, same run
    "p99_ms": 20.0,  # guest part page, at 32 connections
    "signed_in_rps": 1_600.0,
}

# Each wrk thread walks its own share of the guest cookies, so no two threads send the same
# one; `done` reports how many distinct cookies went out. Tokens are <prefix><6 digits>, which
# matches the reader cookie's pattern ([A-Za-z0-9_-]{16,64}).
GUEST_SCRIPT = """
threads = {}
counter = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  prefix = args[1]
  cookies = tonumber(args[2])
  nthreads = tonumber(args[3])
  agent = args[4]
  -- This thread's cookies: id, id + nthreads, id + 2 * nthreads, ... below `cookies`.
  share = math.ceil((cookies - id) / nthreads)
end

function request()
  local index = id + (counter % share) * nthreads
  counter = counter + 1
  return wrk.format(nil, nil, {
    ["User-Agent"] = agent,
    ["Cookie"] = string.format("storyhouse_reader=%s%06d", prefix, index),
  })
end

function done(summary, latency, requests)
  local distinct = 0
  for _, thread in ipairs(threads) do
    distinct = distinct + math.min(thread:get("counter"), thread:get("share"))
  end
  io.write(string.format("distinct cookies: %d\\n", distinct))
end
"""


@dataclass
class Result:
    target: str
    url: str
    rps: float = 0.0
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    requests: int = 0
    errors: int = 0
    distinct_cookies: int | None = None
    problem: str = ""


def median_round(rounds: list[Result]) -> Result:
    """One target's rounds as one result: the median round's req/s and latencies (by req/s),
    with the requests, errors and cookies of all the rounds."""
    ranked = sorted(rounds, key=lambda result: result.rps)
    middle = ranked[(len(ranked) - 1) // 2]
    cookies = [result.distinct_cookies for result in rounds if result.distinct_cookies is not None]
    return Result(
        target=middle.target,
        url=middle.url,
        rps=middle.rps,
        p50_ms=middle.p50_ms,
        p99_ms=middle.p99_ms,
        requests=sum(result.requests for result in rounds),
        errors=sum(result.errors for result in rounds),
        distinct_cookies=sum(cookies) if cookies else None,
        problem="; ".join(result.problem for result in rounds if result.problem),
    )


def round_ratios(parts: list[Result], statics: list[Result]) -> list[float]:
    """Guest part req/s over nginx req/s, round by round."""
    return [
        part.rps / static.rps if static.rps else 0.0
        for part, static in zip(parts, statics, strict=True)
    ]


@dataclass
class Run:
    database: str
    results: dict[str, Result] = field(default_factory=dict)
    ratios: list[float] = field(default_factory=list)  # guest part over nginx, each round
    reads_counted: int | None = None
    skipped: str = ""


# -- processes -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def storyhouse_command() -> list[str]:
    script = Path(sys.executable).with_name("storyhouse")
    return [str(script)] if script.exists() else [sys.executable, "-m", "storyhouse.cli"]


def stop(process: subprocess.Popen, first: int = signal.SIGINT, seconds: float = 20) -> None:
    """Stop a process we started and its children: it leads a process group of its own. The
    signal goes to the leader, which stops its workers; whatever is left then is killed."""
    if process.poll() is None:
        process.send_signal(first)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=seconds)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@contextlib.contextmanager
def started(command: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    with log.open("w") as output:
        process = subprocess.Popen(  # noqa: S603 (our own commands: storyhouse, nginx)
            command,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        # nginx stops at once on SIGTERM (SIGINT too, but it is its "fast shutdown" anyway).
        stop(process, signal.SIGTERM if "nginx" in command[0] else signal.SIGINT)


def wait_until_up(url: str, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 (our local server)
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"{url} did not answer; the server said:\n{log.read_text()[-3000:]}"
                ) from None
            time.sleep(0.2)


# -- set-up ----------------------------------------------------------------------------------


def site_environment(database: str, var: Path) -> dict[str, str]:
    """The production-like environment of the benchmarked site (plain HTTP on loopback)."""
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(
        STORYHOUSE_VAR_DIR=str(var),
        DJANGO_SETTINGS_MODULE="storyhouse.settings",
        DEBUG="false",
        # Connections kept between requests, as a deployment keeps them.
        DB_CONN_MAX_AGE="600",
        PYTHONPATH=str(ROOT),
    )
    if database == "postgres":
        env["DATABASE_URL"] = POSTGRES_URL
        env["REDIS_URL"] = REDIS_URL
    else:
        env["DATABASE_URL"] = f"sqlite:///{var}/bench.sqlite3"
    return env


def postgres_reset() -> str:
    """Drop and create the benchmark's own database; the reason when PostgreSQL is not there."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        admin = psycopg.connect(POSTGRES_URL, dbname="postgres", connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as error:
        return f"no PostgreSQL at {POSTGRES_URL} ({str(error).strip().splitlines()[0]})"
    with admin:
        admin.execute("DROP DATABASE IF EXISTS bench_serve WITH (FORCE)")
        admin.execute("CREATE DATABASE bench_serve")
    return ""


def redis_flush() -> str:
    try:
        import redis
    except ImportError:
        return "the redis package is not installed"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).flushdb()
    except redis.RedisError as error:
        return f"no Redis at {REDIS_URL} ({error})"
    return ""


def in_django(env: dict[str, str], function: str, *args: str) -> dict:
    """Call one of the functions below in a Django process of the benchmarked site's own."""
    code = (
        "import json, sys, django; django.setup(); from bench import serve; "
        "print('RESULT ' + json.dumps(getattr(serve, sys.argv[1])(*sys.argv[2:])))"
    )
    done = subprocess.run(  # noqa: S603 (this Python, our own code)
        [sys.executable, "-c", code, function, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line.removeprefix("RESULT "))
    raise RuntimeError(f"{function} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")


def site_facts(part_url: str, password: str) -> dict:
    """(In the site's Django) the reader account, signed up and with a vote on the sample part,
    and the addresses to ask for: the sample part, its book, a search for the commonest trope."""
    from django.db.models import Count

    from storyhouse.accounts.models import User
    from storyhouse.discovery.query import SearchQuery
    from storyhouse.engagement.services import vote_toggle
    from storyhouse.stories.models import Part, Story, Tag, TagType
    from storyhouse.stories.services import stories_without_covers_draw

    # The worker would draw the demo books' covers ten every 20 s for minutes, each a change
    # that drops every listing page (and its CPU beside the server): a site in steady state
    # is measured, not one still settling after a bulk load.
    stories_without_covers_draw(limit=Story.objects.count())
    part_id = int(re.search(r"/parts/(\d+)-", part_url)[1])
    part = Part.objects.select_related("story").get(pk=part_id)
    reader = User.objects.filter(username=READER).first()
    if reader is None:
        reader = User.objects.create_user(READER, f"{READER}@example.org", password)
    else:
        reader.set_password(password)
        reader.save()
    vote_toggle(user=reader, part=part, voted=True)
    trope = (
        Tag.objects.filter(type=TagType.TROPE)
        .annotate(uses=Count("stories"))
        .order_by("-uses", "name")
        .first()
    )
    search = SearchQuery(include=(trope.slug,) if trope else (), sort="votes")
    return {
        "part_id": part_id,
        "part": part.get_absolute_url(),
        "book": part.story.get_absolute_url(),
        "search": f"/search/?{search.urlencode()}",
    }


def reads_counted(part_id: str, *prefixes: str) -> dict:
    """(In the site's Django) reads of the part by the guests whose cookies begin with one of
    the prefixes."""
    from storyhouse.engagement.models import Read

    reads = sum(
        Read.objects.filter(part_id=int(part_id), reader__startswith=f"g{prefix}").count()
        for prefix in prefixes
    )
    return {"reads": reads}


def set_up(database: str, stories: int, console: Console) -> tuple[dict[str, str], dict, str]:
    """A fresh site for one database: (environment, addresses, reader's password)."""
    var = VAR / database
    if var.exists():
        shutil.rmtree(var)
    var.mkdir(parents=True)
    env = site_environment(database, var)
    console.print(f"Setting up {database}: migrate, the sample story, {stories} demo books…")
    done = subprocess.run(  # noqa: S603 (our own command)
        [*storyhouse_command(), "demo", "--no-serve", "--stories", str(stories)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    found = re.search(r"Read the sample story at \S+?(/stories/\S+)", done.stdout)
    if done.returncode or not found:
        raise RuntimeError(f"storyhouse demo failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    password = secrets.token_urlsafe(16)
    facts = in_django(env, "site_facts", found[1], password)
    return env, facts, password


def sign_in(site: str, password: str) -> str:
    """Sign the reader in through the login form; the Cookie header of the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", BROWSER_AGENT)]
    login = f"{site}/accounts/login/"
    with opener.open(login, timeout=10) as response:
        form = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    if token is None:
        raise RuntimeError("the login page has no CSRF token")
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token[1], "username": READER, "password": password}
    ).encode()
    request = urllib.request.Request(login, data=data, headers={"Referer": login})  # noqa: S310
    with opener.open(request, timeout=30):
        pass
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise RuntimeError("signing in gave no session cookie")
    return "; ".join(
        f"{name}={cookies[name]}" for name in ("sessionid", "csrftoken") if name in cookies
    )


def fetch(url: str, cookie: str = "") -> bytes:
    headers = {"User-Agent": BROWSER_AGENT}
    if cookie:
        headers["Cookie"] = cookie
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (our local server)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.read()


NGINX_CONF = """
worker_processes auto;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    client_body_temp_path {root}/tmp;
    proxy_temp_path {root}/tmp;
    fastcgi_temp_path {root}/tmp;
    uwsgi_temp_path {root}/tmp;
    scgi_temp_path {root}/tmp;
    server {{
        listen 127.0.0.1:{port};
        location = /part.html {{
            root {root}/www;
            default_type "text/html; charset=utf-8";
        }}
    }}
}}
"""


def nginx_files(root: Path, port: int, page: bytes) -> Path:
    # nginx's workers run as nobody: they must be able to read the page.
    root.chmod(0o755)
    (root / "www").mkdir()
    (root / "tmp").mkdir()
    (root / "www" / "part.html").write_bytes(page)
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(root=root, port=port))
    return conf


# -- wrk -------------------------------------------------------------------------------------

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()
    return float(number) * UNITS_MS[unit]


def parse_wrk(output: str, result: Result) -> Result:
    """req/s, p50, p99 (from the --latency distribution), requests and errors."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rate is None:
        result.problem = output.strip()[-300:] or "wrk said nothing"
        return result
    result.rps = float(rate[1])
    for percent, value in re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE):
        setattr(result, f"p{percent}_ms", milliseconds(value))
    total = re.search(r"(\d+) requests in", output)
    result.requests = int(total[1]) if total else 0
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    result.errors = int(bad[1]) if bad else 0
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if sockets:
        result.errors += sum(int(n) for n in sockets.groups())
    distinct = re.search(r"distinct cookies: (\d+)", output)
    if distinct:
        result.distinct_cookies = int(distinct[1])
    return result


@dataclass
class Load:
    duration: int
    connections: int
    threads: int
    script: Path
    cookies: int = GUEST_COOKIES
    rounds: int = 3  # of nginx static, the bare callable and the guest part page

    def wrk(self, url: str, seconds: int, *, cookie: str = "", prefix: str = "") -> str:
        command = ["wrk", f"-t{self.threads}", f"-c{self.connections}", f"-d{seconds}s"]
        command += ["--latency", "--timeout", "5s"]
        if prefix:
            command += ["-s", str(self.script), url, "--"]
            command += [prefix, str(self.cookies), str(self.threads), BROWSER_AGENT]
        else:
            command += ["-H", f"User-Agent: {BROWSER_AGENT}", "-H", f"Cookie: {cookie}", url]
        done = subprocess.run(  # noqa: S603 (wrk, from the system)
            command, capture_output=True, text=True, timeout=seconds + 60
        )
        return done.stdout + done.stderr

    def measure(self, target: str, url: str, *, cookie: str = "", guests: str = "") -> Result:
        """A warm-up, then the measured run. Guests get a fresh cookie prefix for each, so the
        measured run's reads are new reads."""
        # Requests a slow earlier target left queued are answered before this one starts.
        with contextlib.suppress(OSError):
            fetch(url, cookie=cookie)
        warm = f"{guests}w" if guests else ""
        self.wrk(url, WARM_UP_SECONDS, cookie=cookie, prefix=warm)
        prefix = f"{guests}m" if guests else ""
        return parse_wrk(
            self.wrk(url, self.duration, cookie=cookie, prefix=prefix), Result(target, url)
        )


def guest_prefix(label: str) -> str:
    """A cookie prefix no earlier run used: 8 random letters, the target's letter."""
    return "".join(secrets.choice(string.ascii_letters) for _ in range(8)) + label


# -- one database ----------------------------------------------------------------------------


def bench_database(database: str, args, load: Load, console: Console) -> Run:
    run = Run(database)
    if database == "postgres":
        run.skipped = postgres_reset() or redis_flush()
        if run.skipped:
            console.print(
                f"[yellow]Skipping PostgreSQL: {run.skipped}. Start PostgreSQL and Redis "
                "(or leave postgres out of --databases).[/yellow]"
            )
            return run
    env, facts, password = set_up(database, args.stories, console)
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    var = Path(env["STORYHOUSE_VAR_DIR"])
    server_log = var / "serve.log"
    threads = args.server_threads or default_threads(os.cpu_count() or 1)
    serve = [*storyhouse_command(), "serve", "--port", str(port), "--workers", str(WORKERS)]
    serve += ["--threads", str(threads)]
    with (
        started(serve, env, server_log) as server,
        tempfile.TemporaryDirectory(prefix="storyhouse-nginx-") as nginx_root,
    ):
        wait_until_up(f"{site}/", server, server_log)
        cookie = sign_in(site, password)
        page = fetch(site + facts["part"], cookie=f"storyhouse_reader={guest_prefix('f')}000000")
        nginx_port = free_port()
        conf = nginx_files(Path(nginx_root), nginx_port, page)
        nginx_log = Path(nginx_root) / "nginx.out"
        nginx = ["nginx", "-p", nginx_root, "-c", str(conf), "-g", "daemon off;"]
        # The same bytes from a bare WSGI callable under granian, as `storyhouse serve` runs it.
        bare_port = free_port()
        (Path(nginx_root) / "bare.html").write_bytes(page)
        bare_env = {**env, "BENCH_BARE_PAGE": str(Path(nginx_root) / "bare.html")}
        bare_env["PYTHONPATH"] = str(ROOT)
        bare_log = Path(nginx_root) / "bare.out"
        bare = [
            str(Path(sys.executable).with_name("granian")),
            *("--interface", "wsgi", "--workers", str(WORKERS), "--port", str(bare_port)),
            *("--blocking-threads", str(threads)),
            "bench.bare_wsgi:application",
        ]
        with (
            started(nginx, env, nginx_log) as static,
            started(bare, bare_env, bare_log) as bare_server,
        ):
            static_url = f"http://127.0.0.1:{nginx_port}/part.html"
            bare_url = f"http://127.0.0.1:{bare_port}/"
            wait_until_up(static_url, static, nginx_log)
            wait_until_up(bare_url, bare_server, bare_log)
            console.print(
                f"{database}: {site}/ with {WORKERS} workers of {threads} threads; nginx static "
                f"at {static_url} "
                f"({len(page):,} bytes); wrk -t{load.threads} -c{load.connections} "
                f"-d{load.duration}s after a {WARM_UP_SECONDS} s warm-up each"
            )
            # Side by side, round after round: the machine's drift touches all three alike.
            rounds: dict[str, list[Result]] = {"static": [], "bare": [], "part": []}
            measured: list[str] = []  # the guest part runs' cookie prefixes
            for number in range(1, load.rounds + 1):
                console.print(
                    f"  round {number} of {load.rounds}: nginx static, bare WSGI callable, "
                    "guest part page…"
                )
                rounds["static"].append(
                    load.measure("nginx static", static_url, guests=guest_prefix("s"))
                )
                rounds["bare"].append(
                    load.measure("bare WSGI (granian)", bare_url, guests=guest_prefix("w"))
                )
                guests = guest_prefix("p")
                measured.append(guests + "m")
                rounds["part"].append(
                    load.measure("guest part page", site + facts["part"], guests=guests)
                )
                static_rps, bare_rps, part_rps = (rounds[t][-1].rps for t in rounds)
                console.print(
                    f"    nginx {static_rps:,.0f} req/s, bare {bare_rps:,.0f}, guest part "
                    f"{part_rps:,.0f}: {part_rps / static_rps if static_rps else 0:.1%} of nginx",
                    style="dim",
                )
        for target, results in rounds.items():
            run.results[target] = median_round(results)
        run.ratios = round_ratios(rounds["part"], rounds["static"])
        time.sleep(READ_BUFFER_WAIT)
        run.reads_counted = in_django(env, "reads_counted", str(facts["part_id"]), *measured)[
            "reads"
        ]
        console.print("  guest book page…")
        run.results["book"] = load.measure(
            "guest book page", site + facts["book"], guests=guest_prefix("b")
        )
        console.print("  guest search page…")
        run.results["search"] = load.measure(
            "guest search page", site + facts["search"], guests=guest_prefix("q")
        )
        console.print("  signed-in part page…")
        run.results["signed_in"] = load.measure(
            "signed-in part page", site + facts["part"], cookie=cookie
        )
    return run


# -- report ----------------------------------------------------------------------------------


def verdict(met: bool) -> str:
    return "[bold green]PASS[/bold green]" if met else "[bold red]FAIL[/bold red]"


def report(run: Run, load: Load, console: Console) -> list[bool]:
    """The table and the goal lines of one database; whether each goal was met."""
    if run.skipped:
        return []
    table = Table(
        title=f"{run.database}: wrk -t{load.threads} -c{load.connections} -d{load.duration}s "
        f"(the first three: the median of {load.rounds} rounds)"
    )
    for column in ("target", "req/s", "p50 ms", "p99 ms", "requests", "errors"):
        table.add_column(column, justify="left" if column == "target" else "right")
    for result in run.results.values():
        errors = f"[bold red]{result.errors:,}[/bold red]" if result.errors else "0"
        if result.problem:
            errors = f"[bold red]{result.problem}[/bold red]"
        table.add_row(
            result.target,
            f"{result.rps:,.0f}",
            f"{result.p50_ms:.2f}",
            f"{result.p99_ms:.2f}",
            f"{result.requests:,}",
            errors,
        )
    console.print(table)
    for result in run.results.values():
        console.print(f"  {result.target}: {result.url}", style="dim", soft_wrap=True)

    static, part, signed_in = run.results["static"], run.results["part"], run.results["signed_in"]
    ratio = sorted(run.ratios)[(len(run.ratios) - 1) // 2] if run.ratios else 0.0
    each = ", ".join(f"{one:.1%}" for one in run.ratios)
    cookies = part.distinct_cookies or 0
    counted = run.reads_counted or 0
    clean = not part.errors and not part.problem
    goals = [
        (
            ratio >= GOALS["ratio"] and clean,
            f"guest part page at {ratio:.1%} of nginx static, the median of {len(run.ratios)} "
            f"rounds ({each}){'' if clean else ', with errors'}; goal >= {GOALS['ratio']:.0%}",
        ),
        (
            # Requests still in flight when wrk stops may or may not have been answered: every
            # answered cookie must be counted, and no cookie twice.
            part.requests > 0 and min(part.requests, cookies) <= counted <= cookies,
            f"reads counted: {counted:,} in the database for {cookies:,} distinct guest cookies "
            f"sent, {part.requests:,} requests answered in {len(run.ratios)} runs (goal: one "
            f"read per cookie answered, none twice, {READ_BUFFER_WAIT} s after the last run)",
        ),
        (
            # No request answered in the run is no latency met.
            part.requests > 0 and part.p99_ms <= GOALS["p99_ms"],
            f"guest part page p99 {part.p99_ms:.2f} ms at {load.connections} connections, "
            "median round "
            f"(goal <= {GOALS['p99_ms']:.0f} ms)",
        ),
        (
            signed_in.rps >= GOALS["signed_in_rps"] and not signed_in.errors,
            f"signed-in part page {signed_in.rps:,.0f} req/s "
            f"(goal >= {GOALS['signed_in_rps']:,.0f})",
        ),
    ]
    for met, line in goals:
        console.print(f"{verdict(met)} {run.database}: {line}")
    bare = run.results.get("bare")
    if bare is not None and bare.rps and static.rps:
        # Not a goal: what any Python page could reach here, and how much of it the cache keeps.
        console.print(
            f"     {run.database}: a bare WSGI callable under granian answers at "
            f"{bare.rps / static.rps:.1%} of nginx static; the guest part page at "
            f"{part.rps / bare.rps:.1%} of that (median rounds)"
        )
    return [met for met, _line in goals]


def missing_tools() -> list[str]:
    return [tool for tool in ("wrk", "nginx") if shutil.which(tool) is None]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.serve", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per target (10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds of nginx static, bare callable and guest part page (3)",
    )
    parser.add_argument(
        "--databases", default="sqlite,postgres", help="sqlite, postgres or both (default)"
    )
    parser.add_argument("--stories", type=int, default=300, help="demo books to write (300)")
    parser.add_argument(
        "--server-threads",
        type=int,
        default=None,
        help="threads per worker, Storyhouse and bare callable alike (default: as serve)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal fails")
    args = parser.parse_args(argv)
    console = Console(highlight=False)

    if args.rounds < 1:
        parser.error("--rounds: give at least 1")
    if args.server_threads is not None and args.server_threads < 1:
        parser.error("--server-threads: give at least 1")
    databases = [name.strip() for name in args.databases.split(",") if name.strip()]
    unknown = sorted(set(databases) - {"sqlite", "postgres"})
    if unknown or not databases:
        parser.error(f"--databases: sqlite, postgres or both, not {', '.join(unknown) or 'none'}")
    missing = missing_tools()
    if missing:
        console.print(
            f"[bold red]{' and '.join(missing)} not found.[/bold red] "
            f"Install {'them' if len(missing) > 1 else 'it'} with: apt-get install wrk nginx-light"
        )
        sys.exit(2)

    # Ctrl+C and a polite kill alike unwind through the `finally`s that stop the servers.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with tempfile.TemporaryDirectory(prefix="storyhouse-wrk-") as scripts:
        script = Path(scripts) / "guests.lua"
        script.write_text(GUEST_SCRIPT)
        load = Load(args.duration, args.connections, args.threads, script, rounds=args.rounds)
        met: list[bool] = []
        try:
            for database in databases:
                try:
                    run = bench_database(database, args, load, console)
                except RuntimeError as error:
                    # A site that would not set up or start: said, counted as a failed goal.
                    console.print(f"[bold red]FAIL {database}:[/bold red] {error}")
                    met.append(False)
                    continue
                met += report(run, load, console)
        except KeyboardInterrupt:
            console.print("Stopped; the servers are stopped too.")
            sys.exit(130)
    if args.strict and not all(met):
        sys.exit(1)


if __name__ == "__main__":
    main()
