"""The WSGI layer in front of Django that answers guests from the page cache.

A hit costs a few dict lookups and string checks: no request object, no database query,
no Redis round trip when the page is in this process. Everything it cannot answer goes
to Django untouched; what Django renders for a guest is kept when the view said so
(deps.depends) and nothing personal went into it.

A Mature or Explicit book's pages show the adult gate until the guest proceeds
(stories/adult_gate.py): the Proceed link's query is part of the key, and a guest holding
the Proceed cookie asks for book pages under keys of their own, so the gate and the passed
page are kept apart and neither ever answers for the other. The passed page kept for the
Proceed link keeps its Set-Cookie (the same for every guest), so a hit sets it too.
Signed-in readers' part pages share one shell whatever their cookie: personal.py tells
who may have it.
"""

import logging
import time
from collections.abc import Callable, Iterable

from django.conf import settings

from storyhouse.engagement import read_buffer
from storyhouse.engagement.readers import (
    is_bot_agent,
    new_guest_token,
    reader_cookie_header,
    valid_guest_token,
)
from storyhouse.stats.sources import kind_of
from storyhouse.stories import adult_gate

from .deps import ENVIRON_PAGE, ENVIRON_WATERMARK, Page
from .once import Once
from .personal import PersonalPages
from .store import Entry, LocalStore, RedisStore
from .versions import Versions, process_versions

logger = logging.getLogger(__name__)

# Never cached nor answered from the cache: people's own pages, the API, files.
SKIPPED_PATHS = ("/admin/", "/desk/", "/accounts/", "/api/", "/static/", "/media/")
STORED_TYPES = (
    "text/html",
    "application/atom+xml",
    "application/rss+xml",
    "application/xml",
    "text/xml",
)
# Headers a stored page does not keep: the cache sets its own, and cookies are personal.
DROPPED_HEADERS = {
    "set-cookie",
    "content-length",
    "etag",
    "last-modified",
    "cache-control",
    "expires",
    "vary",
}
# Book and part pages, whose answer depends on the adult gate's cookie.
GATED_PATHS = "/stories/"
ADULT_COOKIE = adult_gate.COOKIE + "="
# Appended to the key of a book page asked for with the Proceed cookie.
PROCEEDED_KEY = " adult-gate-passed"
NOT_MODIFIED = "304 Not Modified"
HIT = ("X-Cache", "hit")
MISS = ("X-Cache", "miss")

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class PageCacheApp:
    def __init__(
        self,
        app: WSGIApp,
        *,
        versions: Versions | None = None,
        local: LocalStore | None = None,
        shared: RedisStore | None = None,
    ) -> None:
        self.app = app
        self.versions = versions or process_versions()
        self.local = local or LocalStore(settings.PAGE_CACHE_ENTRIES)
        if shared is None and settings.REDIS_URL:
            shared = RedisStore(settings.REDIS_URL, settings.PAGE_CACHE_MAX_AGE)
        self.shared = shared
        self.max_age = settings.PAGE_CACHE_MAX_AGE
        self.session_cookie = settings.SESSION_COOKIE_NAME + "="
        self.messages_cookie = getattr(settings, "MESSAGE_COOKIE_NAME", "messages") + "="
        self.reader_cookie = settings.READER_COOKIE_NAME
        proxy = settings.SECURE_PROXY_SSL_HEADER
        self.proxy_header, self.proxy_value = proxy if proxy else (None, None)
        self.once = Once()
        self.signed_in = PersonalPages(app, self.versions, self.once)

    # Which requests

    def key(self, environ: dict) -> str | None:
        """The cache key of a request a kept page may answer, else None. A signed-in
        reader's request has one only when personal.py may answer it (self.signed_in)."""
        method = environ["REQUEST_METHOD"]
        if method != "GET" and method != "HEAD":
            return None
        path = environ.get("PATH_INFO", "/")
        if path.startswith(SKIPPED_PATHS) or "HTTP_AUTHORIZATION" in environ:
            return None
        query = environ.get("QUERY_STRING", "")
        if "token=" in query:
            return None  # a personal token (accounts.middleware): that person's view
        cookie = environ.get("HTTP_COOKIE")
        if cookie and (
            self.messages_cookie in cookie
            or (self.session_cookie in cookie and not self.signed_in.wanted(environ))
        ):
            return None
        scheme = environ.get("wsgi.url_scheme", "http")
        if self.proxy_header is not None:
            forwarded = environ.get(self.proxy_header, "").split(",", 1)[0].strip()
            if forwarded == self.proxy_value:
                scheme = "https"
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        key = f"{scheme}://{host}{path}?{query}"
        if (
            cookie
            and ADULT_COOKIE in cookie
            and path.startswith(GATED_PATHS)
            and self.session_cookie not in cookie  # signed in: one shell, personal.py decides
            and cookie_value(cookie, adult_gate.COOKIE) == adult_gate.COOKIE_VALUE
        ):
            key += PROCEEDED_KEY
        return key

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        key = self.key(environ)
        if key is None:
            return self.app(environ, start_response)
        if self.session_cookie in environ.get("HTTP_COOKIE", ""):
            return self.signed_in(environ, start_response, key)
        entry = self._kept(key)
        if entry is None:
            with self.once.turn(key) as mine:
                if not mine:  # another request just rendered it
                    entry = self._kept(key)
                if entry is None:
                    return self._miss(key, environ, start_response)
        cookies = self._reader(entry, environ) if environ["REQUEST_METHOD"] == "GET" else []
        return self._answer(entry, environ, start_response, cookies, hit=True)

    def _kept(self, key: str) -> Entry | None:
        entry = self.local.get(key)
        if entry is None or not self.fresh(entry):
            entry = self._shared_get(key)
        return entry

    def fresh(self, entry: Entry) -> bool:
        if time.time() - entry.created >= self.max_age:
            return False
        versions = self.versions
        generation = versions.generation  # taken before the keys are: see Versions
        if entry.fresh_at == generation:
            return True  # nothing changed since this page was last found fresh
        if not versions.fresh(entry.watermark, entry.keys):
            return False
        entry.fresh_at = generation
        return True

    def _shared_get(self, key: str) -> Entry | None:
        if self.shared is None:
            return None
        entry = self.shared.get(key)
        if entry is None or not self.fresh(entry):
            return None
        self.local.put(key, entry)
        return entry

    # Answering

    def _answer(
        self,
        entry: Entry,
        environ: dict,
        start_response: Callable,
        cookies: list[tuple[str, str]],
        *,
        hit: bool,
    ) -> Iterable[bytes]:
        gzipped = entry.gzipped is not None and "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")
        asked = environ.get("HTTP_IF_NONE_MATCH")
        if asked and entry.etag[1:-1] in asked:
            status, body = NOT_MODIFIED, b""
            headers = entry.not_modified_gzipped if gzipped else entry.not_modified
        else:
            status = entry.status
            if gzipped:
                headers, body = entry.gzipped, entry.gzip_body
            else:
                headers, body = entry.plain, entry.body
        headers = [*headers, HIT if hit else MISS, *cookies]
        start_response(status, headers)
        return [b""] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def _reader(self, entry: Entry, environ: dict) -> list[tuple[str, str]]:
        """As ReaderCookieMiddleware and read_record do for a guest: a reader cookie for a
        first visit, and a read counted on a part page. Returns the cookie to set."""
        if is_bot_agent(environ.get("HTTP_USER_AGENT", "")):
            return []
        cookie = environ.get("HTTP_COOKIE")
        token = valid_guest_token(cookie_value(cookie, self.reader_cookie)) if cookie else None
        set_cookie = []
        if token is None:
            token = new_guest_token()
            set_cookie = [("Set-Cookie", reader_cookie_header(token))]
        if entry.read is not None:
            part_id, story_id = entry.read
            try:
                source = kind_of(environ.get("HTTP_REFERER", ""), environ.get("HTTP_HOST", ""))
                read_buffer.default.add(part_id, story_id, "g" + token, None, source)
            except Exception:
                logger.exception("A read on a cached page could not be counted")
        return set_cookie

    # Rendering and keeping

    def _miss(self, key: str, environ: dict, start_response: Callable) -> Iterable[bytes]:
        environ[ENVIRON_WATERMARK] = self.versions.watermark
        captured: list = []

        def capture(status: str, headers: list, exc_info=None) -> Callable:
            captured[:] = [status, headers, exc_info]
            return lambda data: None  # Django never writes

        result = self.app(environ, capture)
        status, headers, exc_info = captured
        page: Page | None = environ.pop(ENVIRON_PAGE, None)
        if (
            page is None
            or environ["REQUEST_METHOD"] != "GET"
            or not self._storable(page, status, headers, result, environ)
        ):
            start_response(status, [*headers, MISS], exc_info)
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        kept = [
            (name, value)
            for name, value in headers
            if name.lower() not in DROPPED_HEADERS or _adult_cookie(name, value)
        ]
        vary = [value for name, value in headers if name.lower() == "vary"]
        kept.append(("Vary", ", ".join([*vary, "Accept-Encoding"])))
        entry = Entry(
            status=status,
            headers=kept,
            body=body,
            watermark=page.watermark,
            keys=tuple(sorted(page.keys)),
            read=page.read,
        )
        self.local.put(key, entry)
        if self.shared is not None:
            self.shared.put(key, entry)
        cookies = [
            (name, value)
            for name, value in headers
            if name.lower() == "set-cookie" and not _adult_cookie(name, value)
        ]
        return self._answer(entry, environ, start_response, cookies, hit=False)

    def _storable(
        self, page: Page, status: str, headers: list, result: object, environ: dict
    ) -> bool:
        """Only a guest's 200 page with nothing personal in it: no CSRF token, no message,
        no session, no cookie but the reader cookie and the adult gate's Proceed cookie."""
        if page.watermark is None or not page.keys or not status.startswith("200 "):
            return False
        if getattr(result, "streaming", False) or environ.get("CSRF_COOKIE_NEEDS_UPDATE"):
            return False
        for name, value in headers:
            lower = name.lower()
            if lower == "content-type" and not value.startswith(STORED_TYPES):
                return False
            if (
                lower == "set-cookie"
                and not value.lstrip().startswith(self.reader_cookie + "=")
                and not _adult_cookie(name, value)
            ):
                return False
            if lower == "cache-control" and ("private" in value or "no-store" in value):
                return False
        request = page.request
        page.request = None
        messages = getattr(request, "_messages", None)
        if messages is not None and (messages.used or len(messages)):
            return False
        session = getattr(request, "session", None)
        return not (session is not None and session.modified)


def _adult_cookie(name: str, value: str) -> bool:
    """The Proceed cookie's Set-Cookie: the same for every guest, so a kept page may hold it."""
    return name.lower() == "set-cookie" and value.lstrip().startswith(ADULT_COOKIE)


def cookie_value(header: str, name: str) -> str | None:
    """The value of one cookie in a Cookie header, found without parsing all of them (a hit
    asks for one; Django's parse_cookie costs several times the rest of a hit)."""
    start = 0
    while (at := header.find(name, start)) >= 0:
        start = at + len(name)
        if (at == 0 or header[at - 1] in "; ") and header.startswith("=", start):
            end = header.find(";", start)
            return header[start + 1 : None if end < 0 else end].strip()
    return None


def wrap(app: WSGIApp) -> WSGIApp:
    """Django's WSGI handler, behind the page cache when PAGE_CACHE is on."""
    return PageCacheApp(app) if settings.PAGE_CACHE else app
