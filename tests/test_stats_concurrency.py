"""Two workers rolling up the same day at the same moment (one runs beside each server): both
finish, and the day's rows are what one roll-up makes. Threads against the real database
(SQLite here; PostgreSQL too when DATABASE_URL names one, as in CI)."""

import pytest
from django.utils import timezone

from storyhouse.engagement.models import Read
from storyhouse.stats import rollup
from storyhouse.stats.models import PartDay, ReaderPart
from tests.helpers import together, write_book

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_two_roll_ups_of_one_day_at_once_agree(alice):
    today = timezone.localdate()
    story = write_book(alice, "The Lighthouse", ["One", "Two"])
    for number in range(200):
        for part in story.parts.all():
            Read.objects.create(part=part, reader=f"g{number}", day=today)
    rollup.rollup_day(today)  # the day's rows exist: each roll-up now replaces them
    together([lambda: rollup.rollup_day(today), lambda: rollup.rollup_day(today)])
    assert sorted(PartDay.objects.values_list("reads", "new_readers", "new_from_start")) == [
        (200, 200, 200),
        (200, 200, 200),
    ]
    assert ReaderPart.objects.count() == 400
