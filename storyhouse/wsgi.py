"""The WSGI entry point granian serves."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "storyhouse.settings")

application = get_wsgi_application()

# Every web process builds its search index in the background from the start, so the first
# searches need not wait for it (until it is ready they ask the database).
from storyhouse.discovery import index  # noqa: E402 - needs the application set up first
from storyhouse.engagement import read_buffer  # noqa: E402

index.start()
# Reads are written in batches from the background, and once more when the process stops.
read_buffer.start()
