"""Who is reading: an account, or a guest known only by a random first-party cookie."""

import re

from django.conf import settings
from django.http import HttpRequest

BOT_AGENTS = re.compile(
    r"bot|crawl|spider|slurp|scrap|fetch|curl|wget|python|httpx|aiohttp|okhttp|java/|go-http|"
    r"libwww|perl|ruby|headless|phantom|lighthouse|pingdom|monitor|preview|archiver|facebookexternalhit",
    re.IGNORECASE,
)
GUEST_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def is_bot(request: HttpRequest) -> bool:
    """Obvious robots: no user agent, or one naming a crawler, a tool or a headless browser."""
    agent = request.headers.get("User-Agent", "")
    return not agent.strip() or bool(BOT_AGENTS.search(agent))


def guest_token(request: HttpRequest) -> str | None:
    token = request.COOKIES.get(settings.READER_COOKIE_NAME, "")
    return token if GUEST_TOKEN.match(token) else None


def reader_key(request: HttpRequest) -> str | None:
    """`u<id>` for an account, `g<token>` for a guest, None when we cannot tell readers apart."""
    if request.user.is_authenticated:
        return f"u{request.user.pk}"
    token = getattr(request, "guest_token", None) or guest_token(request)
    return f"g{token}" if token else None
