"""What writers' statistics are computed from: daily roll-ups of the read, vote, comment,
library and follow records (rollup.py makes them, idempotently, day by day), and one record
per reader and part, from which retention and binge figures come.

Readers are their read keys (`u<id>` or a guest's random cookie `g<...>`): no address, and
nothing a writer is ever shown one by one.
"""

from django.conf import settings
from django.db import models

from storyhouse.stories.models import Part, Story


class PartDay(models.Model):
    """One part on one day. `readers` is also its reads: a reader counts once a day.

    The `new_*` fields count reader records (ReaderPart) that began on this day, so the
    part's totals are sums over its days, and rolling a day up again changes nothing."""

    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="+")
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    reads = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)  # reached the last paragraph
    votes = models.PositiveIntegerField(default=0)
    comments = models.PositiveIntegerField(default=0)
    new_readers = models.PositiveIntegerField(default=0)
    # Readers who, by this day, had opened part 1 and this part (for the first time now)...
    new_from_start = models.PositiveIntegerField(default=0)
    # ...and, of those, who had finished this part.
    new_finished_from_start = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["part", "day"], name="stats_part_day")]
        indexes = [
            models.Index(fields=["story", "day"], name="stats_part_day_story"),
            models.Index(fields=["day"], name="stats_part_day_day"),
        ]

    def __str__(self) -> str:
        return f"part {self.part_id} on {self.day}"


class StoryDay(models.Model):
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    library_adds = models.PositiveIntegerField(default=0)
    new_readers = models.PositiveIntegerField(default=0)
    new_bingers = models.PositiveIntegerField(default=0)  # read 3+ parts that day, first time

    class Meta:
        constraints = [models.UniqueConstraint(fields=["story", "day"], name="stats_story_day")]
        indexes = [models.Index(fields=["day"], name="stats_story_day_day")]

    def __str__(self) -> str:
        return f"book {self.story_id} on {self.day}"


class SourceDay(models.Model):
    """A book's reads on one day from one kind of page (sources.KINDS)."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    kind = models.CharField(max_length=10)
    reads = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["story", "day", "kind"], name="stats_source_day")
        ]
        indexes = [models.Index(fields=["day"], name="stats_source_day_day")]

    def __str__(self) -> str:
        return f"book {self.story_id} from {self.kind} on {self.day}"


class WriterDay(models.Model):
    writer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    follows = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["writer", "day"], name="stats_writer_day")]

    def __str__(self) -> str:
        return f"writer {self.writer_id} on {self.day}"


class ReaderPart(models.Model):
    """A reader and a part: when they first opened it, and when they finished it."""

    # Made from reads of existing parts, a hundred thousand a day: no foreign key for the
    # database to check on each (deleting a part or book still deletes these, in Django).
    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    story = models.ForeignKey(
        Story, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    reader = models.CharField(max_length=64)
    first_day = models.DateField()
    finished_day = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["part", "reader"], name="stats_reader_part")]
        indexes = [
            # As few indexes as the roll-up needs: each one is paid for on every new reader.
            models.Index(fields=["first_day"], name="stats_reader_part_opened"),
            models.Index(
                fields=["finished_day"],
                name="stats_reader_part_finished",
                condition=models.Q(finished_day__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reader} and part {self.part_id}"


class ReaderStory(models.Model):
    """A reader and a book: when they first opened it, and the first day they read three or
    more of its parts (a binge)."""

    story = models.ForeignKey(
        Story, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    reader = models.CharField(max_length=64)
    first_day = models.DateField()
    binge_day = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["story", "reader"], name="stats_reader_story")
        ]
        indexes = [
            models.Index(fields=["first_day"], name="stats_reader_story_opened"),
            models.Index(
                fields=["binge_day"],
                name="stats_reader_story_binged",
                condition=models.Q(binge_day__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reader} and book {self.story_id}"


class Rollup(models.Model):
    """How far the roll-up has come: every day before `through` is final."""

    through = models.DateField()
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"rolled up through {self.through}"
