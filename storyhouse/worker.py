"""Periodic work: jobs the apps register in their `jobs.py`, run by `storyhouse worker`.

`storyhouse serve` runs the same loop in a thread unless told not to, so one machine
needs nothing more. Several workers may run at once (several hosts), so every job must
be safe to run twice at the same moment: claim rows with a conditional update.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import close_old_connections
from django.utils.module_loading import autodiscover_modules

log = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    every: float  # seconds
    function: Callable[[], object]
    last_run: float = field(default=float("-inf"))


JOBS: dict[str, Job] = {}


def job(every: float) -> Callable[[Callable[[], object]], Callable[[], object]]:
    """Register a function to run every `every` seconds."""

    def register(function: Callable[[], object]) -> Callable[[], object]:
        name = f"{function.__module__}.{function.__name__}"
        JOBS[name] = Job(name=name, every=every, function=function)
        return function

    return register


def discover() -> dict[str, Job]:
    autodiscover_modules("jobs")
    return JOBS


def run_due(now: float | None = None) -> list[str]:
    """Run every job whose time has come; a failing job is logged and the others go on."""
    now = time.monotonic() if now is None else now
    ran = []
    for current in discover().values():
        if now - current.last_run < current.every:
            continue
        current.last_run = now
        close_old_connections()
        try:
            current.function()
        except Exception:
            log.exception("job %s failed", current.name)
        finally:
            close_old_connections()
        ran.append(current.name)
    return ran


def run_forever(stop: threading.Event, tick: float = 1.0) -> None:
    while not stop.is_set():
        run_due()
        stop.wait(tick)


def start_in_thread() -> threading.Event:
    """Run the worker loop beside the web server; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(
        target=run_forever, args=(stop,), name="storyhouse-worker", daemon=True
    ).start()
    return stop
