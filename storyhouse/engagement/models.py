"""What readers do with stories. For now: reads, counted once per reader per part per day."""

from django.conf import settings
from django.db import models

from storyhouse.stories.models import Part


class Read(models.Model):
    """One reader opened one part on one day.

    `reader` is `u<id>` for an account and `g<cookie>` for a guest's random
    first-party cookie; no address is stored.
    """

    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="reads")
    reader = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["part", "reader", "day"], name="read_once_per_day")
        ]
        indexes = [models.Index(fields=["day", "part"], name="read_by_day")]

    def __str__(self) -> str:
        return f"{self.reader} read {self.part_id} on {self.day}"
