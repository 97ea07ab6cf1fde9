"""What each page shows has a version: the id of the newest change to it in the change log.

Each process keeps the versions in memory, brought up to date by a background thread that
follows the log, so that checking whether a cached page is still good costs a few dict
lookups and no round trip. A cached page remembers the watermark (every change up to it
was seen) taken before it was rendered: it stays good while none of its keys has a newer
version.
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.db import connection, transaction

from storyhouse.stories.changes import ChangeCursor
from storyhouse.stories.models import Change

logger = logging.getLogger(__name__)

RETRY_SECONDS = 2.0
LISTING = "listing"  # every page that lists books: home, search, tags, discover, feeds


def change_keys(kind: str, object_id: int, story_id: int | None) -> tuple[str, ...]:
    """The version keys one change row touches."""
    if kind == Change.Kind.STORY:
        return (f"story:{object_id}", LISTING)
    if kind == Change.Kind.PART:
        return (f"part:{object_id}", f"story:{story_id}", LISTING)
    if kind == Change.Kind.TAG:
        return (f"tag:{object_id}", LISTING)
    if kind == Change.Kind.ENGAGEMENT:
        # Only the part's page shows its votes and comments; the book page depends on each
        # of its parts' keys, and cards in lists show no such counts. (Not `story:`, which
        # every part page of the book depends on: one vote would drop them all.)
        return (f"part:{object_id}",)
    if kind == Change.Kind.ACCOUNT:
        return (f"user:{object_id}",)
    return (LISTING,)


class Versions:
    def __init__(self, max_age: float | None = None) -> None:
        self.max_age = settings.PAGE_CACHE_MAX_AGE if max_age is None else max_age
        self.cursor = ChangeCursor()
        self._versions: dict[str, int] = {}
        self._lock = threading.Lock()
        # None until the first poll: nothing can be cached before the watermark is known.
        self.watermark: int | None = None
        # Entries made with a lower watermark are not trusted (made before this process
        # started following the log, or so long ago that their keys were forgotten).
        self.floor: int | None = None
        self._marks: deque[tuple[float, int]] = deque()
        # Counts the updates that could make a page stale (new versions, a higher floor),
        # each counted after it is made: a page found fresh at one generation is still
        # fresh while the generation stays, so a hit need not look at its keys again.
        self.generation = 0

    def fresh(self, watermark: int, keys: Iterable[str]) -> bool:
        """Whether a page rendered at `watermark` and showing `keys` is still good."""
        floor = self.floor
        if floor is None or watermark < floor:
            return False
        get = self._versions.get
        for key in keys:  # noqa: SIM110 (a loop, not all(): this is the hit path)
            if get(key, 0) > watermark:
                return False
        return True

    def version(self, key: str) -> int:
        return self._versions.get(key, 0)

    def poll(self) -> int:
        """Read the changes since the last poll; returns how many."""
        with self._lock:
            if self.floor is None:
                self.floor = self.watermark = self.cursor.start_at_newest()
                self.generation += 1
                return 0
            rows = self.cursor.read()
            versions = self._versions
            for pk, kind, object_id, story_id in rows:
                for key in change_keys(kind, object_id, story_id):
                    if versions.get(key, 0) < pk:
                        versions[key] = pk
            self.watermark = self.cursor.watermark
            self._forget_old()
            if rows:
                self.generation += 1
            return len(rows)

    def bump(self, rows: Iterable[tuple[int, str, int, int | None]]) -> None:
        """Changes this process just committed: its next request must not see the pages
        they change, without waiting for the next poll. A process that does not follow the
        log (a command, the worker) keeps no pages: nothing to do, and nothing to remember."""
        if self.floor is None:
            return
        with self._lock:
            versions = self._versions
            for pk, kind, object_id, story_id in rows:
                for key in change_keys(kind, object_id, story_id):
                    if versions.get(key, 0) < pk:
                        versions[key] = pk
            self.generation += 1

    def _forget_old(self) -> None:
        """Drop versions no live entry can be older than, so memory stays bounded: an entry
        rendered before a watermark seen two max ages ago is expired anyway."""
        now = time.monotonic()
        if not self._marks or now - self._marks[-1][0] >= self.max_age:
            self._marks.append((now, self.watermark))
        if now - self._marks[0][0] < 2 * self.max_age:
            return
        _at, cut = self._marks.popleft()
        self._versions = {key: pk for key, pk in self._versions.items() if pk > cut}
        self.floor = max(self.floor, cut)
        self.generation += 1


# This process's versions, followed by start()'s thread and bumped by change_record.
current: Versions | None = None


def process_versions() -> Versions:
    global current
    if current is None:
        current = Versions()
    return current


def bump_on_commit(changes: Iterable[Change]) -> None:
    """After the transaction writing these change rows commits, bump their keys here."""
    rows = [(c.pk, c.kind, c.object_id, c.story_id) for c in changes if c.pk is not None]
    if rows:
        transaction.on_commit(partial(process_versions().bump, rows))


_thread: threading.Thread | None = None
_start_lock = threading.Lock()


def start() -> None:
    """Follow the change log in a daemon thread, every PAGE_CACHE_POLL_SECONDS."""
    global _thread
    with _start_lock:
        if _thread is not None and _thread.is_alive():
            return
        _thread = threading.Thread(target=_follow, name="page-cache-versions", daemon=True)
        _thread.start()


def _follow() -> None:
    """Never ends and never raises. While the database cannot be reached, the watermark
    stays where it was: cached pages stay good up to their max age."""
    versions = process_versions()
    while True:
        pause = settings.PAGE_CACHE_POLL_SECONDS
        try:
            while versions.poll() >= 10_000:
                pass  # a long backlog: catch up before pausing
        except Exception:
            logger.exception("The page cache could not follow the change log; trying again")
            pause = RETRY_SECONDS
            connection.close()  # a broken connection is opened afresh next time
        time.sleep(pause)
