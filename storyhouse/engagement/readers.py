"""Who is reading: an account, or a guest known only by a random first-party cookie."""

import functools
import re
import secrets
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

BOT_AGENTS = re.compile(
    r"bot|crawl|spider|slurp|scrap|fetch|curl|wget|python|httpx|aiohttp|okhttp|java/|go-http|"
    r"libwww|perl|ruby|headless|phantom|lighthouse|pingdom|monitor|preview|archiver|facebookexternalhit",
    re.IGNORECASE,
)
GUEST_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")  # the whole value (fullmatch)


@functools.lru_cache(maxsize=4096)
def is_bot_agent(agent: str) -> bool:
    """Obvious robots: no user agent, or one naming a crawler, a tool or a headless browser.
    (The page cache asks this without a request.) Answers are remembered: a few agents make
    most requests, and the pattern costs tens of microseconds on every page view."""
    return not agent.strip() or bool(BOT_AGENTS.search(agent))


def is_bot(request: HttpRequest) -> bool:
    return is_bot_agent(request.headers.get("User-Agent", ""))


def valid_guest_token(value: str | None) -> str | None:
    """The reader cookie's value when it is one we could have given, else None."""
    return value if value and GUEST_TOKEN.fullmatch(value) else None


def guest_token(request: HttpRequest) -> str | None:
    return valid_guest_token(request.COOKIES.get(settings.READER_COOKIE_NAME))


def new_guest_token() -> str:
    return secrets.token_urlsafe(18)


def reader_cookie_set(response: HttpResponseBase, token: str) -> None:
    """Give the guest their reader cookie (the middleware, and the page cache on a hit)."""
    response.set_cookie(
        settings.READER_COOKIE_NAME,
        token,
        max_age=settings.READER_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.HTTPS,
    )


def reader_cookie_header(token: str) -> str:
    """The Set-Cookie value reader_cookie_set gives, without a response: the page cache
    sets it on a first visit, where Django's cookie machinery would cost more than the
    rest of the answer. Made from Django's own, once a second (its expiry date moves)."""
    before, after = _reader_cookie_around(int(time.time()), settings.HTTPS)
    return before + token + after


@functools.lru_cache(maxsize=2)
def _reader_cookie_around(_second: int, _https: bool) -> tuple[str, str]:
    """What comes before and after the token in this second's reader cookie."""
    response = HttpResponse()
    reader_cookie_set(response, _PLACEHOLDER)
    text = response.cookies[settings.READER_COOKIE_NAME].OutputString()
    before, after = text.split(_PLACEHOLDER)
    return before, after


_PLACEHOLDER = "x" * 24  # a valid token, so the cookie is quoted as a real one would be


def reader_key(request: HttpRequest) -> str | None:
    """`u<id>` for an account, `g<token>` for a guest, None when we cannot tell readers apart."""
    if request.user.is_authenticated:
        return f"u{request.user.pk}"
    token = getattr(request, "guest_token", None) or guest_token(request)
    return f"g{token}" if token else None
