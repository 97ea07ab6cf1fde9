"""What a web process does once before its first request (storyhouse/wsgi.py).

The first readers should not wait for what every process needs anyway (compiled templates),
and the heap a process keeps for its whole life should not be scanned again and again by the
garbage collector: a full collection over Django and everything it loaded took 100–250 ms on
a 2-core machine, every several seconds under load, and every request in the process waited
for it (the guest part page's p99 at 32 connections went from 25 ms to 8 ms without it).
"""

import gc
import logging
from pathlib import Path

from django.conf import settings
from django.template import TemplateSyntaxError, engines

log = logging.getLogger(__name__)

TEMPLATE_SUFFIXES = (".html", ".txt", ".xml")


def templates_compile() -> int:
    """Compile every template of Storyhouse's own into the template engine's cache; returns
    how many. One that does not compile is logged by name, and its page fails as it would
    have anyway."""
    engine = engines["django"]
    ours = Path(settings.BASE_DIR, "storyhouse").resolve()
    compiled = 0
    for folder in engine.template_dirs:
        folder = Path(folder).resolve()
        if not folder.is_relative_to(ours):
            continue  # Django's own (the admin's): few people open them
        for path in sorted(folder.rglob("*")):
            if path.suffix not in TEMPLATE_SUFFIXES or not path.is_file():
                continue
            name = path.relative_to(folder).as_posix()
            try:
                engine.get_template(name)
            except TemplateSyntaxError:
                log.exception("The template %s does not compile", name)
                continue
            compiled += 1
    return compiled


def heap_freeze() -> None:
    """Collect what is garbage now, then move everything left out of the collector's sight
    for good: later full collections scan only what the process made since."""
    gc.collect()
    gc.freeze()
