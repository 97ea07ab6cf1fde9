"""Rendered pages kept for guests: in this process (an LRU dict), and in Redis when
REDIS_URL is set, so that every process and host answers a page rendered by any of them."""

import gzip
import hashlib
import logging
import pickle
import threading
import time
from collections import OrderedDict

from django.utils.http import http_date

logger = logging.getLogger(__name__)

# Redis is asked at most this long; a Redis that fails is left alone for a while.
REDIS_TIMEOUT = 0.05
REDIS_PAUSE_SECONDS = 5.0
REDIS_PREFIX = "storyhouse:page:"
# Browsers keep a copy but ask again each time: a guest never reads a stale page.
CACHE_CONTROL = "no-cache"
GZIP_MIN_BYTES = 200


class Entry:
    """One rendered page and what it depends on, with its answers made up front: a hit
    only picks one. `headers` are the page's own (Vary included), without cookies but the
    adult gate's Proceed cookie, the same for every guest (app.py)."""

    __slots__ = (
        "status",
        "headers",
        "body",
        "gzip_body",
        "etag",
        "watermark",
        "keys",
        "created",
        "read",
        "plain",
        "gzipped",
        "not_modified",
        "not_modified_gzipped",
        "fresh_at",
    )

    def __init__(
        self,
        *,
        status: str,
        headers: list[tuple[str, str]],
        body: bytes,
        watermark: int,
        keys: tuple[str, ...],
        read: tuple[int, int] | None = None,
        created: float | None = None,
        gzip_body: bytes | None = None,
        etag: str | None = None,
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.watermark = watermark
        self.keys = keys
        self.read = read  # (part id, book id) of a part page: a hit counts a read
        self.created = time.time() if created is None else created
        # The versions' generation at which this page was last found fresh (app.py).
        self.fresh_at = -1
        if gzip_body is None and len(body) >= GZIP_MIN_BYTES:
            gzip_body = gzip.compress(body, compresslevel=6, mtime=0)
        self.gzip_body = gzip_body
        self.etag = etag or '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
        self._prepare()

    def _prepare(self) -> None:
        etag_gz = self.etag[:-1] + '-gz"'
        common = [
            *self.headers,
            ("Cache-Control", CACHE_CONTROL),
            ("Last-Modified", http_date(self.created)),
        ]
        self.not_modified = [*common, ("ETag", self.etag)]
        self.plain = [*self.not_modified, ("Content-Length", str(len(self.body)))]
        if self.gzip_body is None:
            self.gzipped = None
            self.not_modified_gzipped = None
            return
        self.not_modified_gzipped = [*common, ("ETag", etag_gz)]
        self.gzipped = [
            *self.not_modified_gzipped,
            ("Content-Encoding", "gzip"),
            ("Content-Length", str(len(self.gzip_body))),
        ]

    def dumps(self) -> bytes:
        return pickle.dumps(
            {
                "status": self.status,
                "headers": self.headers,
                "body": self.body,
                "gzip_body": self.gzip_body,
                "etag": self.etag,
                "watermark": self.watermark,
                "keys": self.keys,
                "created": self.created,
                "read": self.read,
            },
            protocol=pickle.HIGHEST_PROTOCOL,
        )

    @classmethod
    def loads(cls, data: bytes) -> "Entry":
        # Our own Redis, as Django's Redis cache (which pickles too) trusts it.
        return cls(**pickle.loads(data))  # noqa: S301


class LocalStore:
    """The most recently used pages of this process; safe for granian's threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        entry = self._entries.get(key)
        if entry is not None:
            # (try, not contextlib.suppress: this is the hit path, and a with block costs
            # a microsecond)
            try:  # noqa: SIM105
                self._entries.move_to_end(key)
            except KeyError:
                pass  # dropped meanwhile by another thread
        return entry

    def put(self, key: str, entry: Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def drop(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class RedisStore:
    """Pages shared by every process. A Redis that fails or is slow is never an error page:
    the page is rendered instead, and Redis left alone for a few seconds."""

    def __init__(self, url: str, max_age: int) -> None:
        import redis  # a dependency through Django's Redis cache

        self.max_age = max_age
        self._client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
        self._paused_until = 0.0

    def _key(self, key: str) -> str:
        return REDIS_PREFIX + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()

    def _failed(self, action: str) -> None:
        logger.warning("The page cache could not %s Redis; pausing it", action, exc_info=True)
        self._paused_until = time.monotonic() + REDIS_PAUSE_SECONDS

    def get(self, key: str) -> Entry | None:
        if time.monotonic() < self._paused_until:
            return None
        try:
            data = self._client.get(self._key(key))
            return Entry.loads(data) if data else None
        except Exception:
            self._failed("read from")
            return None

    def put(self, key: str, entry: Entry) -> None:
        if time.monotonic() < self._paused_until:
            return
        try:
            self._client.set(self._key(key), entry.dumps(), ex=self.max_age)
        except Exception:
            self._failed("write to")
