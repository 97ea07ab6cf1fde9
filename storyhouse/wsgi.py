"""The WSGI entry point granian serves: Django behind the guest page cache."""

import os

from storyhouse import stop_signals

# First, before any thread starts (stop_signals.py says why).
if stop_signals.in_granian_worker():
    stop_signals.relay_start()

from django.core.wsgi import get_wsgi_application  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storyhouse.settings")

django_application = get_wsgi_application()

# Every web process builds its search index in the background from the start, so the first
# searches need not wait for it (until it is ready they ask the database); and follows the
# change log for the page cache, which answers guests before Django runs.
from django.conf import settings  # noqa: E402 - needs the application set up first
from django.urls import get_resolver  # noqa: E402

from storyhouse.discovery import index  # noqa: E402
from storyhouse.engagement import read_buffer  # noqa: E402
from storyhouse.pagecache import app as pagecache  # noqa: E402
from storyhouse.pagecache import versions  # noqa: E402
from storyhouse.warm_up import heap_freeze, templates_compile  # noqa: E402

# Every view and what it imports (the API's schemas take a while), and every template, is
# loaded now, not in the first requests, which would hold up the requests behind them.
get_resolver().url_patterns  # noqa: B018
templates_compile()
index.start()
if settings.PAGE_CACHE:
    versions.start()
# Reads are written in batches from the background, and once more when the process stops.
read_buffer.start()
application = pagecache.wrap(django_application)
# Last: what the process made so far stays for its life (storyhouse/warm_up.py).
heap_freeze()
