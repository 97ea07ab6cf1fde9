"""The WSGI entry point granian serves: Django behind the guest page cache."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storyhouse.settings")

django_application = get_wsgi_application()

# Every web process builds its search index in the background from the start, so the first
# searches need not wait for it (until it is ready they ask the database); and follows the
# change log for the page cache, which answers guests before Django runs.
from django.conf import settings  # noqa: E402 - needs the application set up first

from storyhouse.discovery import index  # noqa: E402
from storyhouse.pagecache import app as pagecache  # noqa: E402
from storyhouse.pagecache import versions  # noqa: E402

index.start()
if settings.PAGE_CACHE:
    versions.start()
application = pagecache.wrap(django_application)
