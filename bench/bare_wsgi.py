"""A WSGI callable that answers every request with the bytes of one file: what granian itself
costs, under any Python page. `bench.serve` measures it beside nginx and Storyhouse, so the
page cache's own cost is the distance between this and the guest part page."""

import os
from pathlib import Path

BODY = Path(os.environ["BENCH_BARE_PAGE"]).read_bytes()
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(BODY)))]


def application(environ: dict, start_response) -> list[bytes]:
    start_response("200 OK", HEADERS)
    return [BODY]
