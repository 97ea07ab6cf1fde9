"""`storyhouse serve`: the real server answers with pages and hashed, compressed static files,
and stops on Ctrl+C."""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.helpers import BROWSER_AGENT, OWN_SQLITE_SITE


def isolated_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a Storyhouse whose files and database live in tmp_path only."""
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env["STORYHOUSE_VAR_DIR"] = str(tmp_path)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/db.sqlite3"
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, str, str]:
    # Only ever the local server this test started.
    request = urllib.request.Request(url, headers={"User-Agent": BROWSER_AGENT})  # noqa: S310
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return response.status, response.headers["Content-Type"], response.read().decode()


def wait_for(url: str, server: subprocess.Popen, seconds: float = 90) -> tuple[int, str, str]:
    deadline = time.monotonic() + seconds
    while True:
        try:
            return get(url)
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def ctrl_c(server: subprocess.Popen, seconds: float = 30) -> str:
    """Press Ctrl+C as a terminal does (SIGINT to every process of the job); what the server
    said. Fails the test when anything is still running after `seconds`."""
    with contextlib.suppress(ProcessLookupError):  # it may have stopped by itself
        os.killpg(server.pid, signal.SIGINT)
    try:
        output, _ = server.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        pytest.fail(f"serve still running {seconds} s after Ctrl+C")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # the workers too, if any was left
        server.wait(timeout=10)
    return output


def cache_states(url: str, server: subprocess.Popen, seconds: float = 20) -> list[str]:
    """The X-Cache header of each request for `url` until one is a hit (or time is up)."""
    states: list[str] = []
    deadline = time.monotonic() + seconds
    while "hit" not in states and time.monotonic() < deadline and server.poll() is None:
        request = urllib.request.Request(url, headers={"User-Agent": BROWSER_AGENT})  # noqa: S310
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            states.append(response.headers.get("X-Cache", ""))
        time.sleep(0.05)
    return states


@OWN_SQLITE_SITE
def test_storyhouse_serve_answers_with_pages_and_static_files(tmp_path):
    env = isolated_env(tmp_path)
    script = Path(sys.executable).with_name("storyhouse")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "storyhouse.cli"]
    subprocess.run([*command, "migrate", "-v", "0"], env=env, check=True, timeout=60)  # noqa: S603
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603 (our own command)
        [*command, "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a process group of its own, as a terminal's job is
    )
    try:
        status, _type, home = wait_for(f"{site}/", server)
        assert status == 200
        assert "Storyhouse" in home
        # The page links the stylesheet by its hashed name: collectstatic ran before the workers.
        stylesheet = re.search(r'href="(/static/storyhouse/storyhouse\.[0-9a-f]{12}\.css)"', home)
        assert stylesheet, home[:2000]
        status, content_type, css = get(site + stylesheet[1])
        assert status == 200
        assert content_type.startswith("text/css")
        assert css.strip()
        # Guests' pages come from the page cache once its thread has read the change log.
        assert "hit" in cache_states(f"{site}/", server)
    finally:
        output = ctrl_c(server)
    assert server.returncode == 0, output
    assert f"Storyhouse is running at {site}/ (1 worker)." in output
    assert "Stopped worker-1" in output, output


@OWN_SQLITE_SITE
def test_ctrl_c_stops_serve_and_all_its_workers(tmp_path):
    """Ctrl+C reaches every process of the server, and granian then sends its workers SIGTERM
    too: each time, everything stops. Before storyhouse/stop_signals.py about half of the
    attempts left a worker, and serve, hanging (the test above is one more attempt)."""
    env = isolated_env(tmp_path)
    script = Path(sys.executable).with_name("storyhouse")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "storyhouse.cli"]
    subprocess.run([*command, "migrate", "-v", "0"], env=env, check=True, timeout=60)  # noqa: S603
    for _attempt in range(2):
        port = free_port()
        server = subprocess.Popen(  # noqa: S603 (our own command)
            [*command, "serve", "--port", str(port), "--workers", "2", "--threads", "2"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            wait_for(f"http://127.0.0.1:{port}/", server)
        finally:
            output = ctrl_c(server)
        assert server.returncode == 0, output
        assert "Stopped worker-2" in output, output


@pytest.mark.parametrize(
    ("option", "said"),
    [
        ({"workers": 0}, "--workers: give at least 1"),
        ({"threads": 0}, "--threads: give at least 1"),
        ({"port": 70000}, "--port: give a number from 1 to 65535"),
    ],
)
def test_serve_refuses_numbers_that_cannot_work(option, said):
    with pytest.raises(CommandError, match=said):
        call_command("serve", **option)
