"""`make bench-serve` reads wrk right and its guests look like distinct readers to Storyhouse.

The benchmark itself is never run here; these check the two pieces its figures rest on."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.serve import GUEST_SCRIPT, Load, Result, main, median_round, parse_wrk, round_ratios
from storyhouse.engagement.readers import BOT_AGENTS, valid_guest_token
from tests.helpers import needs_tool

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8000/stories/1-a/parts/1-b/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.29s   357.17ms   1.91s    69.44%
    Req/Sec    17.83     16.11    60.00     72.22%
  Latency Distribution
     50%  812.00us
     75%    1.58ms
     90%    1.82s\x20
     99%    1.91s\x20
  18210 requests in 10.01s, 1.25MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:   1819.21
Transfer/sec:    634.92KB
distinct cookies: 5000
"""


def test_wrk_figures_are_read_from_its_latency_distribution():
    result = parse_wrk(WRK_OUTPUT, Result("guest part page", "/"))
    assert result.rps == 1819.21
    assert result.p50_ms == 0.812
    assert result.p99_ms == 1910.0  # "1.91s " with wrk's trailing space
    assert result.requests == 18210
    assert result.errors == 12  # 7 non-2xx/3xx + 5 socket errors
    assert result.distinct_cookies == 5000
    assert not result.problem


def test_wrk_saying_nothing_useful_is_reported_not_hidden():
    result = parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n", Result("x", "/"))
    assert result.rps == 0
    assert "Connection refused" in result.problem


@needs_tool("wrk", "wrk")
def test_guests_send_a_browser_agent_and_distinct_reader_cookies(tmp_path: Path):
    seen: list[tuple[str, str]] = []

    class Recorder(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            seen.append((self.headers["Cookie"], self.headers["User-Agent"]))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    script = tmp_path / "guests.lua"
    script.write_text(GUEST_SCRIPT)
    try:
        # Fewer cookies than requests: every cookie goes out, none invented beyond them.
        load = Load(duration=1, connections=4, threads=2, script=script, cookies=7)
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        result = parse_wrk(load.wrk(url, 1, prefix="benchTestPrefix"), Result("guests", url))
    finally:
        server.shutdown()
        server.server_close()
    assert result.requests > 7, result.problem
    cookies = {cookie for cookie, _agent in seen}
    tokens = {cookie.removeprefix("storyhouse_reader=") for cookie in cookies}
    assert all(valid_guest_token(token) for token in tokens), tokens
    assert len(tokens) == 7 == result.distinct_cookies
    assert not any(BOT_AGENTS.search(agent) for _cookie, agent in seen)


def test_rounds_are_summed_up_by_the_median_round():
    rounds = [
        Result("guest part page", "/", rps=rps, p50_ms=p50, p99_ms=p99, requests=n, errors=e)
        for rps, p50, p99, n, e in [
            (900, 3, 30, 9_000, 1),
            (1_000, 1, 10, 10_000, 0),
            (800, 2, 20, 8_000, 0),
        ]
    ]
    for result in rounds:
        result.distinct_cookies = 5_000
    summed = median_round(rounds)
    # The median round's own figures, never a mix of rounds...
    assert (summed.rps, summed.p50_ms, summed.p99_ms) == (900, 3, 30)
    # ...and everything every round asked and counted.
    assert (summed.requests, summed.errors, summed.distinct_cookies) == (27_000, 1, 15_000)
    statics = [Result("nginx", "/", rps=rps) for rps in (1_800, 2_500, 1_600)]
    assert round_ratios(rounds, statics) == [0.5, 0.4, 0.5]


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--rounds", "0"], "--rounds: give at least 1"),
        (["--server-threads", "0"], "--server-threads: give at least 1"),
        (["--databases", "mysql"], "--databases: sqlite, postgres or both, not mysql"),
    ],
)
def test_the_benchmark_refuses_options_that_cannot_work(argv, said, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    assert said in capsys.readouterr().err
