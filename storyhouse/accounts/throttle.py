"""Slows down password guessing: failed logins are counted per client address and per username.

The counts live in the cache only (never in the database), under keys made with the secret
key, so neither an address nor a username can be read back from them. A few failures are
free; after them each attempt has to wait twice as long as the one before, up to
settings.LOGIN_MAX_WAIT. A successful login clears both counts. Limits on how often
anything may be done (sign-ups, sign-ins, reset emails, comments...) are storyhouse.ratelimit.
"""

import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

# Counts are forgotten after a day without failures.
FORGET_AFTER = 60 * 60 * 24


def now() -> float:
    return time.time()


def client_address(request: HttpRequest) -> str:
    """The address of the person, not of the proxy in front of us (settings.PROXY_COUNT)."""
    hops = settings.PROXY_COUNT
    if hops:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
        if len(addresses) >= hops:
            return addresses[-hops]
    return request.META.get("REMOTE_ADDR", "")


def _keys(address: str, username: str) -> list[str]:
    keys = []
    for kind, value in (("address", address), ("username", username.strip().lower())):
        if value:
            digest = salted_hmac("storyhouse.accounts.throttle", f"{kind}:{value}").hexdigest()
            keys.append(f"login-failures:{digest[:40]}")
    return keys


def _wait(record: dict | None, moment: float) -> int:
    if not record or record["count"] < settings.LOGIN_FREE_ATTEMPTS:
        return 0
    extra = record["count"] - settings.LOGIN_FREE_ATTEMPTS
    wait = min(2**extra, settings.LOGIN_MAX_WAIT)
    return max(0, math.ceil(record["last"] + wait - moment))


def login_wait(address: str, username: str) -> int:
    """Seconds to wait before this address may try this username again; 0 means go on."""
    moment = now()
    records = cache.get_many(_keys(address, username))
    return max((_wait(record, moment) for record in records.values()), default=0)


def login_failed(address: str, username: str) -> None:
    moment = now()
    keys = _keys(address, username)
    records = cache.get_many(keys)
    cache.set_many(
        {
            key: {"count": records.get(key, {"count": 0})["count"] + 1, "last": moment}
            for key in keys
        },
        timeout=FORGET_AFTER,
    )


def login_succeeded(address: str, username: str) -> None:
    cache.delete_many(_keys(address, username))
