"""Rate limits: reads per minute per token (or client address), writes per minute per token.

Counts are kept in the cache (Redis when several processes run) in one-minute windows: an
atomic increment per request, so processes never overwrite each other's counts. Limits come
from settings.API_READS_PER_MINUTE and API_WRITES_PER_MINUTE, read on each request.
"""

import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from ninja.throttling import BaseThrottle

from storyhouse.accounts.throttle import client_address

WINDOW = 60
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _count(key: str) -> int:
    cache.add(key, 0, timeout=WINDOW * 2)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this request is the first
        cache.set(key, 1, timeout=WINDOW * 2)
        return 1


class PerMinute(BaseThrottle):
    """Reads and writes counted apart, per token, else per client address."""

    def __init__(self) -> None:
        # One instance serves every thread: what `wait` reports is kept per thread.
        self._local = threading.local()

    def _who(self, request: HttpRequest) -> str:
        token = getattr(request, "token", None)
        if token is not None:
            return f"token:{token.pk}"
        # Addresses are hashed with the secret key, so none can be read back from the cache.
        address = client_address(request)
        return "address:" + salted_hmac("storyhouse.api.ratelimit", address).hexdigest()[:32]

    def allow_request(self, request: HttpRequest) -> bool:
        if request.method in SAFE_METHODS:
            kind, limit = "reads", settings.API_READS_PER_MINUTE
        else:
            kind, limit = "writes", settings.API_WRITES_PER_MINUTE
        now = time.time()
        window = int(now // WINDOW)
        count = _count(f"api-rate:{kind}:{self._who(request)}:{window}")
        self._local.wait = (window + 1) * WINDOW - now
        return count <= limit

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)
