"""Signed-in readers' part pages, answered at the WSGI entry from a shared shell.

Every reader who may post sees the same part page but for a few things of their own: their
name, unread count and CSRF token, whether they voted and keep the book, and their links on
comments. So the page is rendered once as a shell with slots for those (deps.personal_shell,
slots.py) and each request only fills the slots, from what this process keeps of the reader:
who a session cookie belongs to, and the reader's state. A request that finds all of it here
costs no query and no template.

What is kept is dropped the moment it may be wrong, by the same versions as the guest cache
(versions.py): a shell when a key of the page changes, a reader when an `account` change
names them (signing in or out, a new password, a vote, the library, notifications, reading
progress; accounts/receivers.py and engagement/services.py write those). Anything else goes
to Django: a book's authors, moderators, readers hiding one of the page's tags, accounts that
may not post, a reading-progress write that is due, and any failure here. A Mature or Explicit
book's shell is only ever the passed page (the gate is never kept as a shell): it serves readers
who switched the gate off or hold the Proceed cookie (stories/adult_gate.py); any other reader
gets Django's page, which is the gate.
"""

import gzip
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.core.signals import request_finished, request_started
from django.http.cookie import parse_cookie
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, _mask_cipher_secret
from django.utils.crypto import constant_time_compare
from django.utils.html import escape

from storyhouse.engagement import read_buffer
from storyhouse.engagement.readers import is_bot_agent
from storyhouse.engagement.services import PROGRESS_REOPEN_QUIET
from storyhouse.engagement.shared_threads import actions_html
from storyhouse.stats.sources import kind_of
from storyhouse.stories import adult_gate

from . import slots
from .deps import ENVIRON_SHELL, ENVIRON_SHELL_WANTED
from .deps import Shell as ShellPage
from .once import Once
from .versions import Versions

logger = logging.getLogger(__name__)

# The part page: /stories/<id>-<slug>/parts/<part id>-<slug>/ (storyhouse/urls.py), no query.
PART_PATH = re.compile(r"/stories/\d+-[^/]*/parts/\d+-[^/]*/")
# A page filled from a kept shell, and one Django just rendered as a shell.
PERSONAL, RENDERED = ("X-Cache", "personal"), ("X-Cache", "miss")
QUIET_SECONDS = PROGRESS_REOPEN_QUIET.total_seconds()
_CSRF_CHARS = frozenset(CSRF_ALLOWED_CHARS)
GZIP_MIN_BYTES = 1024


class _LRU:
    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key, item) -> None:
        with self._lock:
            self._items[key] = item
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)


class Reader:
    """What this process keeps of a signed-in reader, good while `user:<id>` is unchanged."""

    def __init__(
        self, user, watermark: int, unread: int, hidden: frozenset[int], latest, *, blocks: bool
    ) -> None:
        from storyhouse.stories import access

        self.user = user
        self.id = user.pk
        self.watermark = watermark
        self.made = time.monotonic()
        self.session_hash = user.get_session_auth_hash()
        self.may_post = access.can_post(user)
        # Someone who blocked or was blocked sees threads and forms of their own: Django's.
        self.any_reader = self.may_post and not access.is_moderator(user) and not blocks
        self.name = escape(user.name).encode()
        self.unread = unread
        self.hidden = hidden
        self.skips_adult_gate = access.skips_adult_gate(user)
        self.latest = latest  # (part id, paragraphs counted, when as time.time()) or None
        # Asked the first time a page needs them, then kept with the rest.
        self.voted: dict[int, bool] = {}
        self.kept: dict[int, bool] = {}

    @classmethod
    def load(cls, user_id: int, watermark: int) -> "Reader | None":
        from django.db.models import Q

        from storyhouse.accounts.models import User
        from storyhouse.boundaries.models import Block
        from storyhouse.engagement import queries
        from storyhouse.engagement.models import PartProgress
        from storyhouse.stories import access

        user = User.objects.filter(pk=user_id, is_active=True).first()
        if user is None:
            return None
        latest = (
            PartProgress.objects.filter(user=user)
            .order_by("-last_read_at", "-id")
            .values_list("part_id", "paragraphs_total", "last_read_at")
            .first()
        )
        if latest is not None:
            latest = (latest[0], latest[1], latest[2].timestamp())
        hidden = frozenset(access.hidden_tags(user).values_list("id", flat=True))
        blocks = Block.objects.filter(Q(blocker=user) | Q(blocked=user)).exists()
        return cls(user, watermark, queries.unread_count(user), hidden, latest, blocks=blocks)

    def may_use(self, shell: "Shell", *, proceeded: bool = False) -> bool:
        """Whether the shell shows this reader their page. `proceeded`: the browser holds the
        adult gate's Proceed cookie."""
        return (
            self.any_reader
            and self.id not in shell.authors
            and not self.hidden & shell.tags
            and (not shell.adult or proceeded or self.skips_adult_gate)
        )

    def progress_due(self, shell: "Shell", now: float) -> bool:
        """Whether opening the part writes reading progress, as progress_opened decides:
        not when it is the part this reader read last, a moment ago."""
        latest = self.latest
        return not (
            latest is not None
            and latest[0] == shell.part_id
            and latest[1] == shell.paragraphs
            and now - latest[2] < QUIET_SECONDS
        )

    def has_voted(self, part_id: int) -> bool:
        found = self.voted.get(part_id)
        if found is None:
            from storyhouse.engagement.models import Vote

            found = self.voted[part_id] = _ask(
                lambda: Vote.objects.filter(user_id=self.id, part_id=part_id).exists()
            )
        return found

    def keeps(self, story_id: int) -> bool:
        found = self.kept.get(story_id)
        if found is None:
            from storyhouse.engagement.models import LibraryEntry

            found = self.kept[story_id] = _ask(
                lambda: LibraryEntry.objects.filter(user_id=self.id, story_id=story_id).exists()
            )
        return found


class Shell:
    """A part page rendered as a shell, cut into pieces, with what it depends on."""

    __slots__ = (
        "status",
        "headers",
        "pieces",
        "watermark",
        "keys",
        "made",
        "part_id",
        "story_id",
        "tags",
        "authors",
        "paragraphs",
        "adult",
    )

    def __init__(self, status: str, headers: list, pieces: tuple, page: ShellPage) -> None:
        self.status = status
        self.headers = headers
        self.pieces = pieces
        self.watermark = page.watermark
        self.keys = page.keys
        self.made = time.monotonic()
        self.part_id, self.story_id = page.read
        self.tags = page.tags
        self.authors = page.authors
        self.paragraphs = page.paragraphs
        self.adult = page.adult


def _ask(query: Callable):
    """A query outside Django's request cycle, with its connection handling around it (so a
    pooled connection goes back to the pool, as at the end of a request)."""
    request_started.send(sender=PersonalPages)
    try:
        return query()
    finally:
        request_finished.send(sender=PersonalPages)


def progress_opened(part_id: int, story_id: int, reader: Reader) -> None:
    """The reader opened the part: reading progress, written as the part view writes it."""
    from storyhouse.engagement.services import progress_record
    from storyhouse.stories.queries import part_for_page

    part = part_for_page(part_id, story_id)
    if part is None:
        raise LookupError("the part is gone")  # Django answers, with its 404
    # Its account change drops what is kept of the reader, so the next request sees it.
    progress_record(user=reader.user, part=part)


def _secret(value: str | None) -> str | None:
    """The CSRF cookie's secret when it is one Django would use as it is."""
    if value and len(value) == CSRF_SECRET_LENGTH and _CSRF_CHARS.issuperset(value):
        return value
    return None


class PersonalPages:
    """The part of the WSGI layer in front of Django (app.py) for signed-in readers."""

    def __init__(self, app: Callable, versions: Versions, once: Once | None = None) -> None:
        self.app = app
        self.versions = versions
        self.once = once or Once()
        self.max_age = settings.PAGE_CACHE_MAX_AGE
        self.shells = _LRU(settings.PAGE_CACHE_ENTRIES)
        self.sessions = _LRU(settings.PERSONAL_CACHE_READERS)  # session key -> (user id, hash, ...)
        self.readers = _LRU(settings.PERSONAL_CACHE_READERS)  # user id -> Reader
        self.session_cookie = settings.SESSION_COOKIE_NAME
        self.csrf_cookie = settings.CSRF_COOKIE_NAME
        self.session_store = import_module(settings.SESSION_ENGINE).SessionStore
        self.backends = set(settings.AUTHENTICATION_BACKENDS)

    def wanted(self, environ: dict) -> bool:
        """A signed-in reader's GET of a part page, with nothing that asks for Django."""
        return (
            environ["REQUEST_METHOD"] == "GET"
            and not environ.get("QUERY_STRING")
            and PART_PATH.fullmatch(environ.get("PATH_INFO", "")) is not None
        )

    def __call__(self, environ: dict, start_response: Callable, key: str) -> Iterable[bytes]:
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        session_key = cookies.get(self.session_cookie)
        secret = _secret(cookies.get(self.csrf_cookie))
        if not session_key or secret is None:
            return self.app(environ, start_response)
        try:
            reader = self.reader(session_key)
        except Exception:
            logger.exception("A signed-in reader could not be recognised; Django answers")
            reader = None
        if reader is None or not reader.any_reader:
            return self.app(environ, start_response)
        shell = self._kept(key)
        if shell is None:
            with self.once.turn("signed-in " + key) as mine:
                if not mine:  # another reader's request just rendered it
                    shell = self._kept(key)
                if shell is None:
                    return self.render(key, session_key, secret, environ, start_response)
        proceeded = cookies.get(adult_gate.COOKIE) == adult_gate.COOKIE_VALUE
        if reader.may_use(shell, proceeded=proceeded):
            try:
                if reader.progress_due(shell, time.time()):
                    _ask(lambda: progress_opened(shell.part_id, shell.story_id, reader))
                return self.answer(shell, reader, secret, environ, start_response, [])
            except Exception:
                logger.exception("A kept signed-in page could not be filled; Django answers")
        return self.render(key, session_key, secret, environ, start_response)

    def _kept(self, key: str) -> Shell | None:
        shell = self.shells.get(key)
        return shell if shell is not None and self.fresh(shell) else None

    def fresh(self, shell: Shell) -> bool:
        return time.monotonic() - shell.made < self.max_age and self.versions.fresh(
            shell.watermark, shell.keys
        )

    # Who is reading

    def reader(self, session_key: str) -> Reader | None:
        """The reader this session belongs to (None for none, or one Django must look at),
        from what this process keeps while it is still good."""
        versions = self.versions
        following = versions.floor is not None
        now = time.monotonic()
        found = self.sessions.get(session_key) if following else None
        if found is not None:
            user_id, session_hash, made, watermark = found
            if now - made >= self.max_age or not versions.fresh(watermark, (f"user:{user_id}",)):
                found = None
        if found is None:
            watermark = versions.watermark
            found = _ask(lambda: self._session(session_key))
            if found is None:
                return None
            user_id, session_hash = found
            found = (user_id, session_hash, now, watermark)
            if following:
                self.sessions.put(session_key, found)
        user_id, session_hash = found[0], found[1]
        reader = self.readers.get(user_id) if following else None
        if reader is not None and (
            now - reader.made >= self.max_age
            or not versions.fresh(reader.watermark, (f"user:{user_id}",))
        ):
            reader = None
        if reader is None:
            watermark = versions.watermark
            reader = _ask(lambda: Reader.load(user_id, watermark))
            if reader is None:
                return None
            if following:
                self.readers.put(user_id, reader)
        # As django.contrib.auth.get_user: a session made before a password change is over.
        if not constant_time_compare(session_hash, reader.session_hash):
            return None
        return reader

    def _session(self, session_key: str) -> tuple[int, str] | None:
        """(user id, auth hash) of a live session signed in as django.contrib.auth.login
        leaves it; the account itself is Reader.load's to check."""
        session = self.session_store(session_key)
        data = session.load()
        if session.session_key is None or data.get(BACKEND_SESSION_KEY) not in self.backends:
            return None
        user_id, session_hash = data.get(SESSION_KEY), data.get(HASH_SESSION_KEY)
        if not session_hash or not str(user_id).isdigit():
            return None
        return int(user_id), session_hash

    # Answering

    def answer(
        self,
        shell: Shell,
        reader: Reader,
        secret: str,
        environ: dict,
        start_response: Callable,
        cookies: list[tuple[str, str]],
        *,
        rendered: bool = False,
    ) -> Iterable[bytes]:
        body = slots.fill(
            shell.pieces,
            {
                "csrf": _mask_cipher_secret(secret).encode(),
                "name": reader.name,
                "unread": str(reader.unread).encode(),
            },
            {
                "voted": reader.has_voted(shell.part_id),
                "in_library": reader.keeps(shell.story_id),
                "has_unread": reader.unread > 0,
            },
            lambda actions: actions_html(
                reader.user,
                actions.author_id,
                actions.reply,
                actions.edit,
                actions.delete,
                can_post=reader.may_post,
                moderates=False,
            ).encode(),
            reader.id,  # moderators never come this way (Reader.any_reader)
        )
        headers = [*shell.headers, RENDERED if rendered else PERSONAL, *cookies]
        if len(body) >= GZIP_MIN_BYTES and "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""):
            body = gzip.compress(body, compresslevel=1, mtime=0)
            headers.append(("Content-Encoding", "gzip"))
        headers.append(("Content-Length", str(len(body))))
        if not rendered and not is_bot_agent(environ.get("HTTP_USER_AGENT", "")):
            try:
                read_buffer.add(
                    part_id=shell.part_id,
                    story_id=shell.story_id,
                    reader=f"u{reader.id}",
                    user_id=reader.id,
                    source=kind_of(environ.get("HTTP_REFERER", ""), environ.get("HTTP_HOST", "")),
                )
            except Exception:
                logger.exception("A read on a kept signed-in page could not be counted")
        start_response(shell.status, headers)
        return [body]

    def render(
        self, key: str, session_key: str, secret: str, environ: dict, start_response: Callable
    ) -> Iterable[bytes]:
        """Django renders the page, as a shell if the view says the page may be one; it is
        kept, and filled for this reader."""
        watermark = self.versions.watermark
        if watermark is None:
            return self.app(environ, start_response)
        environ[ENVIRON_SHELL_WANTED] = watermark
        captured: list = []

        def capture(status: str, headers: list, exc_info=None) -> Callable:
            captured[:] = [status, headers, exc_info]
            return lambda data: None  # Django never writes

        result = self.app(environ, capture)
        status, headers, exc_info = captured
        page: ShellPage | None = environ.pop(ENVIRON_SHELL, None)
        if page is None:
            start_response(status, headers, exc_info)
            return result
        try:
            html = b"".join(result).decode()
        finally:
            if hasattr(result, "close"):
                result.close()
        # From here on the page must be filled: it holds slots, never to be sent as they are.
        shell = Shell(
            status,
            [(n, v) for n, v in headers if n.lower() not in ("set-cookie", "content-length")],
            slots.parse(html),
            page,
        )
        request, page.request = page.request, None
        if status.startswith("200 ") and _kept_nothing_personal(request):
            self.shells.put(key, shell)
        cookies = [(n, v) for n, v in headers if n.lower() == "set-cookie"]
        try:
            reader = self.reader(session_key)
            if reader is not None and reader.id == request.user.pk:
                # The view counted the read already.
                return self.answer(
                    shell, reader, secret, environ, start_response, cookies, rendered=True
                )
        except Exception:
            logger.exception("A signed-in page could not be filled; Django answers")
        # The reader changed meanwhile, or cannot be looked at: Django renders the page
        # again the usual way (the read it counts again is the same read).
        del environ[ENVIRON_SHELL_WANTED]
        return self.app(environ, start_response)


def _kept_nothing_personal(request) -> bool:
    """No message shown, no session changed while rendering."""
    messages = getattr(request, "_messages", None)
    if messages is not None and (messages.used or len(messages)):
        return False
    session = getattr(request, "session", None)
    return not (session is not None and session.modified)
