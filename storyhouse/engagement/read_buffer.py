"""Counting reads from outside a Django view (the page cache answers part pages itself).

A minimal stand-in with the buffer's signature: it writes at once, as `read_record` does.
The read buffer (issue 6, item 2) replaces it with batched writes.
"""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from storyhouse.stories.models import Part, Story

from .models import Read


def add(*, part_id: int, story_id: int, reader: str, user_id: int | None) -> bool:
    """Count a read of a published part by `reader` (`g<token>` or `u<id>`), once a day.
    Returns whether it was taken for counting."""
    day = timezone.localdate()
    if Read.objects.filter(part_id=part_id, reader=reader, day=day).exists():
        return False
    try:
        with transaction.atomic():
            Read.objects.create(part_id=part_id, reader=reader, user_id=user_id, day=day)
            Part.objects.filter(pk=part_id).update(reads_count=F("reads_count") + 1)
            Story.objects.filter(pk=story_id).update(reads_count=F("reads_count") + 1)
    except IntegrityError:
        return False  # the same reader, a moment ago, in another request
    return True
