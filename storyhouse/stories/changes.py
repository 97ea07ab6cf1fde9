"""Following the change log (`Change`) in id order, for every in-process copy that must keep
up with the database: the search index and the page cache.

Ids come from a sequence, and on PostgreSQL transactions commit out of order: a row may
appear below ids already seen. So the cursor remembers the ids it skipped ("gaps") for a
while and asks for them again, and says up to which id it has seen everything (the
watermark).
"""

import datetime
import time

from django.db.models import Max, Q
from django.utils import timezone

from .models import Change

# How long a missing id is waited for: longer than any transaction that writes changes.
GAP_SECONDS = 30.0
# Only this many ids below the newest are looked at for gaps: a sequence that jumps far
# ahead leaves no open transactions.
GAP_SPAN = 1000

ChangeRow = tuple[int, str, int, int | None]  # id, kind, object_id, story_id


class ChangeCursor:
    def __init__(self, gap_seconds: float = GAP_SECONDS) -> None:
        self.gap_seconds = gap_seconds
        self.last = 0
        self.gaps: dict[int, float] = {}  # missing id -> when it was first missed

    @property
    def watermark(self) -> int:
        """Every change with an id up to this one has been read."""
        return min(self.gaps) - 1 if self.gaps else self.last

    def start_at_newest(self) -> int:
        """Skip the history: follow from the newest change on (with the recent ids still
        missing below it). Returns the watermark."""
        last = Change.objects.aggregate(last=Max("id"))["last"] or 0
        made = dict(
            Change.objects.filter(id__gt=max(0, last - GAP_SPAN), id__lte=last).values_list(
                "id", "created_at"
            )
        )
        # A missing id was taken before the next id that exists: when that one was made
        # longer ago than a gap is waited for, the missing one is a rolled-back change.
        long_ago = timezone.now() - datetime.timedelta(seconds=self.gap_seconds)
        now = time.monotonic()
        self.last = last
        self.gaps = {}
        next_made = None
        for pk in range(last, max(1, last - GAP_SPAN + 1) - 1, -1):
            if pk in made:
                next_made = made[pk]
            elif next_made is not None and next_made > long_ago:
                self.gaps[pk] = now
        return self.watermark

    def read(self, limit: int = 10_000) -> list[ChangeRow]:
        """The changes not read yet, in id order (at most `limit` new ones)."""
        query = Q(id__gt=self.last)
        if self.gaps:
            query |= Q(id__in=list(self.gaps))
        rows = list(
            Change.objects.filter(query)
            .order_by("id")
            .values_list("id", "kind", "object_id", "story_id")[:limit]
        )
        self._expire_gaps(rows)
        return rows

    def _expire_gaps(self, rows: list[ChangeRow]) -> None:
        now = time.monotonic()
        seen = {row[0] for row in rows}
        gaps = {pk: since for pk, since in self.gaps.items() if pk not in seen}
        newest = max((pk for pk in seen if pk > self.last), default=self.last)
        for pk in range(max(self.last + 1, newest - GAP_SPAN), newest):
            if pk not in seen:
                gaps[pk] = now
        self.gaps = {pk: since for pk, since in gaps.items() if now - since < self.gap_seconds}
        self.last = newest
