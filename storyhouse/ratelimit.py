"""Rate limits: one mechanism for every action a person could repeat to flood the site.

Each limit has a name, a setting holding how many are allowed in its period, and whom it
counts: the account (a signed-in person, or the personal token an app sends), the client
address (accounts.throttle.client_address), or both. Several people may share an address
(a school, a library, a phone network), so an address may do `address_share` times what
one account may.

Counts live in the cache only (Redis when REDIS_URL is set, so every process shares them),
one key per period window, raised with an atomic increment so processes never overwrite
each other. Keys are made with salted_hmac: no address, email or account can be read back.

A view asks with `check(request, "comment")`, which raises RateLimited when over; the
middleware below turns that into a 429 with Retry-After: a friendly page, a short message
for htmx, JSON under /api/. Adding a limit (reports, when they come) is one entry in LIMITS,
one setting, and one `check` call.
"""

import contextlib
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from storyhouse.accounts.throttle import client_address

MINUTE = 60
HOUR = 60 * 60


@dataclass(frozen=True)
class Limit:
    setting: str  # the settings name holding how many are allowed per period
    period: int  # seconds
    per_account: bool = True
    per_address: bool = True
    # With per_account and per_address: count the address only when no account is known
    # (the API: per token, else per address).
    address_without_account: bool = False
    address_share: int = 1


LIMITS: dict[str, Limit] = {
    "signup": Limit("SIGNUPS_PER_HOUR", HOUR, per_account=False),
    "signin": Limit("SIGNINS_PER_MINUTE", MINUTE, per_account=False),
    # Per address asking (four times the limit) and per email address asked for (`also`).
    "password-reset": Limit("PASSWORD_RESETS_PER_HOUR", HOUR, per_account=False, address_share=4),
    "signup-request": Limit("SIGNUP_REQUESTS_PER_HOUR", HOUR, per_account=False),
    "comment": Limit("COMMENTS_PER_MINUTE", MINUTE, address_share=10),
    "vote": Limit("VOTES_PER_MINUTE", MINUTE, address_share=10),
    "report": Limit("REPORTS_PER_HOUR", HOUR, address_share=10),
    "api-read": Limit("API_READS_PER_MINUTE", MINUTE, address_without_account=True),
    "api-write": Limit("API_WRITES_PER_MINUTE", MINUTE, address_without_account=True),
}

# What a person is told when a limit stops them: what they were doing, in their words.
DOING = {
    "signup": gettext_lazy("making accounts"),
    "signin": gettext_lazy("signing in"),
    "password-reset": gettext_lazy("asking for password reset links"),
    "signup-request": gettext_lazy("asking for invitations"),
    "comment": gettext_lazy("posting comments"),
    "vote": gettext_lazy("voting"),
    "report": gettext_lazy("sending reports"),
    "api-read": gettext_lazy("reading through the API"),
    "api-write": gettext_lazy("changing things through the API"),
}


def now() -> float:
    return time.time()


class RateLimited(Exception):
    """Over a limit: `wait` is how many seconds until the count starts again."""

    def __init__(self, name: str, wait: int) -> None:
        super().__init__(f"{name}: wait {wait} s")
        self.name = name
        self.wait = wait


def allowance(name: str) -> int:
    return getattr(settings, LIMITS[name].setting)


def _window(name: str, who: str, period: int) -> tuple[str, int]:
    """The key counting `name` for `who` in this period's window, and when that window ends."""
    window = int(now() // period)
    digest = salted_hmac("storyhouse.ratelimit", f"{name}:{who}").hexdigest()[:40]
    return f"rate:{name}:{digest}:{window}", (window + 1) * period


def _add_one(key: str, period: int) -> int:
    # The key outlives its window a little, so a clock a few seconds apart between hosts
    # still finds it.
    cache.add(key, 0, timeout=period + 60)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this one is the first
        cache.set(key, 1, timeout=period + 60)
        return 1


def take(name: str, whom: list[tuple[str, int]], *, period: int) -> int:
    """Count one `name` for each (who, allowed) in `whom`; 0 while every count is within
    what is allowed, else the seconds until the window ends. A refused action did not
    happen: it is taken back from the counts it was not over, so someone refused because
    others share their address keeps their own allowance."""
    counted = []
    over_until = 0
    for who, allowed in whom:
        key, ends = _window(name, who, period)
        if _add_one(key, period) > allowed:
            over_until = ends
        else:
            counted.append(key)
    if not over_until:
        return 0
    for key in counted:
        with contextlib.suppress(ValueError):  # expired meanwhile: nothing to take back
            cache.decr(key)
    return max(1, math.ceil(over_until - now()))


def account_of(request: HttpRequest) -> str:
    """Who is asking: a personal token counts apart from its owner's browser session."""
    token = getattr(request, "token", None)
    if token is not None:
        return f"token:{token.pk}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return ""


def check(request: HttpRequest, name: str, *, also: Iterable[str] = ()) -> None:
    """Count one `name` for the person making `request`; raises RateLimited when over.

    `also` names more things to count it against with the account's allowance (the email
    address a reset link is asked for).
    """
    limit = LIMITS[name]
    allowed = allowance(name)
    whom: list[tuple[str, int]] = [(f"also:{value}", allowed) for value in also if value]
    account = account_of(request) if limit.per_account else ""
    if account:
        whom.append((account, allowed))
    if limit.per_address and not (account and limit.address_without_account):
        address = client_address(request)
        if address:
            whom.append((f"address:{address}", allowed * limit.address_share))
    wait = take(name, whom, period=limit.period)
    if wait:
        raise RateLimited(name, wait)


def message(error: RateLimited) -> str:
    doing = DOING.get(error.name, _("doing this"))
    minutes = math.ceil(error.wait / 60)
    if error.wait <= 90:
        when = ngettext("in %(n)d second", "in %(n)d seconds", error.wait) % {"n": error.wait}
    else:
        when = ngettext("in %(n)d minute", "in %(n)d minutes", minutes) % {"n": minutes}
    return _(
        "You have been %(doing)s faster than we allow, to keep the site free of spam. "
        "Please try again %(when)s."
    ) % {"doing": doing, "when": when}


def refused(request: HttpRequest, error: RateLimited) -> HttpResponse:
    """The 429: JSON under /api/, a short message for htmx, else a friendly page."""
    text = message(error)
    if request.path.startswith("/api/"):
        response = JsonResponse({"message": text}, status=429)
    elif request.headers.get("HX-Request") == "true":
        response = HttpResponse(text, status=429, content_type="text/plain; charset=utf-8")
    else:
        response = render(request, "429.html", {"message": text, "wait": error.wait}, status=429)
    response["Retry-After"] = str(error.wait)
    return response


class RateLimitMiddleware:
    """Answers a RateLimited raised anywhere in a view with the 429 above."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RateLimited):
            return refused(request, exception)
        return None
