"""Rate limits of the API: reads and writes per minute, per personal token (or signed-in
account), else per client address; counted by storyhouse.ratelimit, limits from
settings.API_READS_PER_MINUTE and API_WRITES_PER_MINUTE, read on each request."""

import threading

from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from storyhouse import ratelimit

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class PerMinute(BaseThrottle):
    """Reads and writes counted apart."""

    def __init__(self) -> None:
        # One instance serves every thread: what `wait` reports is kept per thread.
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        name = "api-read" if request.method in SAFE_METHODS else "api-write"
        self._local.wait = None
        try:
            ratelimit.check(request, name)
        except ratelimit.RateLimited as error:
            self._local.wait = error.wait
            return False
        return True

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
