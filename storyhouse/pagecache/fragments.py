"""Pieces of pages that are the same for every reader (a part's text, its comment threads),
kept rendered in this process and shared by everyone's pages, signed-in readers' included.

A fragment is good while none of its version keys changed after the watermark taken before
it was rendered: the same rule, and the same versions, as the guest page cache
(versions.py). Until this process follows the change log (versions.start(), as
`storyhouse serve` does), nothing is kept and every fragment is rendered afresh.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.conf import settings
from django.utils.translation import get_language

from . import versions as page_versions

T = TypeVar("T")


class FragmentStore:
    """An LRU of rendered fragments: name -> (watermark, made at, keys, value)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[int, float, tuple[str, ...], object]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, name: str) -> tuple[int, float, tuple[str, ...], object] | None:
        with self._lock:
            entry = self._entries.get(name)
            if entry is not None:
                self._entries.move_to_end(name)
            return entry

    def put(self, name: str, entry: tuple[int, float, tuple[str, ...], object]) -> None:
        with self._lock:
            self._entries[name] = entry
            self._entries.move_to_end(name)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_store: FragmentStore | None = None


def store() -> FragmentStore:
    global _store
    if _store is None:
        _store = FragmentStore(settings.FRAGMENT_CACHE_ENTRIES)
    return _store


def fragment(name: str, render: Callable[[], tuple[T, Iterable[str]]]) -> tuple[T, tuple[str, ...]]:
    """What `render()` returns, from this process's store while it is still good.

    `render` returns the fragment and the version keys of everything it shows (`part:<id>`,
    `story:<id>`, `tag:<id>`): when one of them changes, the next request renders it
    afresh. `name` says what the fragment is and all it varies by, but for the language
    (added here). Times it shows ("5 minutes ago") are at most PAGE_CACHE_MAX_AGE old.
    Returns the fragment and its keys."""
    versions = page_versions.current
    if versions is None or versions.floor is None or settings.FRAGMENT_CACHE_ENTRIES <= 0:
        value, keys = render()
        return value, tuple(keys)
    # Taken before rendering: a change committed while rendering leaves the entry stale.
    watermark = versions.watermark
    name = f"{get_language()}:{name}"
    entries = store()
    found = entries.get(name)
    now = time.monotonic()
    if found is not None:
        made_at, keys = found[1], found[2]
        if now - made_at < settings.PAGE_CACHE_MAX_AGE and versions.fresh(found[0], keys):
            return found[3], keys
    value, keys = render()
    keys = tuple(keys)
    entries.put(name, (watermark, now, keys, value))
    return value, keys
