"""One render of a page at a time in a process.

When a page many people are reading changes, every request for it misses at once; rendered
side by side, the renders share the interpreter and each takes as long as all of them
(seconds under load). So the first request renders and the others wait for it, then answer
from what it kept. A waiter still gets a page at least as new as its request: what was kept
is checked against the versions as any hit is, and rendered again if a change came after.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

# Longer than a render takes under load; past it, a waiter renders the page itself.
WAIT_SECONDS = 5.0


class Once:
    def __init__(self, wait_seconds: float = WAIT_SECONDS) -> None:
        self.wait_seconds = wait_seconds
        self._running: dict[str, threading.Event] = {}
        self._lock = threading.Lock()

    @contextmanager
    def turn(self, key: str) -> Iterator[bool]:
        """True: this thread renders `key`, and others wait until the block ends. False:
        another thread was rendering it, and this one waited for it to finish."""
        with self._lock:
            running = self._running.get(key)
            if running is None:
                running = self._running[key] = threading.Event()
                mine = True
            else:
                mine = False
        if not mine:
            running.wait(self.wait_seconds)
            yield False
            return
        try:
            yield True
        finally:
            with self._lock:
                del self._running[key]
            running.set()
