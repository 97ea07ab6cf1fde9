"""Muting and blocking: the lines a reader draws for themselves.

A mute hides a writer's books, or a single book, from the muting reader wherever books are
listed or searched. A block keeps one person away from another: the blocked person can no
longer comment on or vote for the blocker's books, reply to the blocker's comments or follow
them, and the blocker no longer sees their comments. Both are private: the other person is
never told.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from storyhouse.stories.models import Story


class Mute(models.Model):
    """A reader mutes a writer (all their books) or a single book: exactly one of the two."""

    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mutes"
    )
    writer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    story = models.ForeignKey(
        Story, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mute")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(writer__isnull=True, story__isnull=False)
                | Q(writer__isnull=False, story__isnull=True),
                name="mute_writer_or_story",
            ),
            models.UniqueConstraint(
                fields=["reader", "writer"],
                condition=Q(writer__isnull=False),
                name="mute_writer_once",
            ),
            models.UniqueConstraint(
                fields=["reader", "story"],
                condition=Q(story__isnull=False),
                name="mute_story_once",
            ),
            models.CheckConstraint(condition=~Q(reader=F("writer")), name="mute_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.reader} mutes {self.writer or self.story}"


class Block(models.Model):
    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocked_by"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("block")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="block_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker} blocks {self.blocked}"
