"""Writes that readers cause. Reads: once per reader per part per day, bots never."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from storyhouse.stories import access
from storyhouse.stories.models import Part, Story

from .models import Read
from .readers import is_bot, reader_key


def read_record(*, part: Part, request: HttpRequest) -> bool:
    """Count a read of `part` if this reader has not read it today. Returns whether it counted."""
    if request.method != "GET" or is_bot(request):
        return False
    if not part.is_published:
        return False  # an author looking over a draft; books count published parts only
    reader = reader_key(request)
    if reader is None:
        return False
    if request.user.is_authenticated and access.is_author(request.user, part.story):
        return False  # writers rereading their own work are not readers of it
    day = timezone.localdate()
    if Read.objects.filter(part=part, reader=reader, day=day).exists():
        return False
    user = request.user if request.user.is_authenticated else None
    try:
        with transaction.atomic():
            Read.objects.create(part=part, reader=reader, user=user, day=day)
            Part.objects.filter(pk=part.pk).update(reads_count=F("reads_count") + 1)
            Story.objects.filter(pk=part.story_id).update(reads_count=F("reads_count") + 1)
    except IntegrityError:
        return False  # the same reader, a moment ago, in another request
    return True
