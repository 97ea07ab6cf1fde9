"""What readers do with stories: reads, votes, comments, libraries, reading lists, progress,
follows and notifications.

Models hold data and constraints only; every write goes through
`storyhouse.engagement.services`, which keeps the cached counts on parts and books exact.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from storyhouse.stories.models import Part, Story


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
    # Where the reader came from, by kind (storyhouse/stats/sources.py), not the address.
    source = models.CharField(max_length=10, blank=True, db_default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["part", "reader", "day"], name="read_once_per_day")
        ]
        indexes = [
            models.Index(fields=["day", "part"], name="read_by_day"),
            # What else a reader read ("readers of this also liked"), guests included.
            models.Index(fields=["reader", "day"], name="read_by_reader"),
        ]

    def __str__(self) -> str:
        return f"{self.reader} read {self.part_id} on {self.day}"


class Vote(models.Model):
    """A reader's vote for a part. When the account goes, the vote stays, anonymous, so the
    counts writers saw do not change."""

    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="votes",
    )
    created_at = models.DateTimeField(_("voted"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "part"],
                condition=Q(user__isnull=False),
                name="vote_once_per_user_per_part",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id or 'a former reader'} voted for {self.part_id}"


class Comment(models.Model):
    """A reader's comment on a part, or a reply to one; optionally about one paragraph.

    A deleted comment that has replies stays as a marker ("This comment was deleted") with its
    text gone, so the conversation under it still makes sense.
    """

    MAX_LENGTH = 5000

    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="comments",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    # The top of the thread, so a page of threads is fetched in one query however deep.
    root = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="thread"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    paragraph = models.CharField(
        _("paragraph"),
        max_length=20,
        blank=True,
        help_text=_("The anchor id of the paragraph this comment is about; replies share it."),
    )
    body = models.TextField(_("comment"), max_length=MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(_("posted"), auto_now_add=True)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted"), null=True, blank=True)
    # Hidden by a moderator: only its writer (marked, with the reason) and moderators see it.
    hidden_at = models.DateTimeField(_("hidden"), null=True, blank=True)
    hidden_reason = models.TextField(_("why it is hidden"), blank=True)
    # Waiting for the book's writer to approve it: seen by its writer, the book's authors and
    # moderators only, and counted nowhere until then.
    held_at = models.DateTimeField(_("held for approval"), null=True, blank=True)
    # A guest's comment carries the name they gave; `source` groups what one guest or one
    # account sent (a key from which no address can be read), for the Spam action.
    guest_name = models.CharField(_("name"), max_length=60, blank=True)
    source = models.CharField(max_length=64, blank=True, db_index=True)
    # On a thread's first comment: no more replies or edits anywhere in the thread.
    frozen_at = models.DateTimeField(_("frozen"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["part", "parent", "-created_at"], name="comment_threads"),
            models.Index(fields=["part", "paragraph"], name="comment_by_paragraph"),
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.part_id}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_held(self) -> bool:
        return self.held_at is not None


class LibraryEntry(models.Model):
    """A book a reader keeps in their library."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="library"
    )
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="library_entries")
    added_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name_plural = _("library entries")
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "story"], name="library_once_per_story")
        ]

    def __str__(self) -> str:
        return f"{self.story_id} in {self.user_id}'s library"


class ReadingList(models.Model):
    """An ordered list of books a reader makes: private, or public on their profile."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reading_lists"
    )
    title = models.CharField(_("title"), max_length=100)
    public = models.BooleanField(
        _("public"), default=False, help_text=_("Anyone can see a public list on your profile.")
    )
    stories = models.ManyToManyField(Story, through="ReadingListEntry", related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class ReadingListEntry(models.Model):
    reading_list = models.ForeignKey(ReadingList, on_delete=models.CASCADE, related_name="entries")
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="reading_list_entries")
    position = models.PositiveIntegerField(default=0)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = _("reading list entries")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["reading_list", "story"], name="reading_list_once")
        ]

    def __str__(self) -> str:
        return f"{self.story_id} in list {self.reading_list_id}"


class PartProgress(models.Model):
    """How far a reader got in one part: when they first opened it, when last, and the
    furthest paragraph they reached (its anchor id and its place among the part's paragraphs).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="progress"
    )
    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="progress")
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="+")
    paragraph = models.CharField(max_length=20, blank=True)
    paragraph_position = models.PositiveIntegerField(default=0)
    paragraphs_total = models.PositiveIntegerField(default=0)
    first_read_at = models.DateTimeField(auto_now_add=True)
    last_read_at = models.DateTimeField()

    class Meta:
        verbose_name_plural = _("reading progress")
        constraints = [
            models.UniqueConstraint(fields=["user", "part"], name="progress_once_per_part")
        ]
        indexes = [
            models.Index(fields=["user", "-last_read_at"], name="progress_history"),
            models.Index(fields=["user", "story", "-last_read_at"], name="progress_in_story"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} at {self.paragraph or 'the start'} of {self.part_id}"

    @property
    def finished(self) -> bool:
        return bool(self.paragraphs_total) and self.paragraph_position + 1 >= self.paragraphs_total


class Follow(models.Model):
    """A reader follows a writer, to hear of their new parts."""

    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="following"
    )
    writer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followers"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["follower", "writer"], name="follow_once"),
            models.CheckConstraint(
                condition=~Q(follower=models.F("writer")), name="follow_not_yourself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.follower_id} follows {self.writer_id}"


class NotificationKind(models.TextChoices):
    NEW_PART = "new_part", _("New parts of books in your library or by writers you follow")
    REPLY = "reply", _("Replies to your comments")
    COMMENT = "comment", _("Comments on your stories")
    VOTE = "vote", _("Votes for your stories")
    MODERATION = "moderation", _("What the moderators did about your reports and your writing")


class EmailChoice(models.TextChoices):
    NOW = "now", _("At once")
    DAILY = "daily", _("In a daily digest")
    NEVER = "never", _("Never")


class EmailState(models.TextChoices):
    NONE = "none", _("No email")
    NOW = "now", _("Waiting to be sent at once")
    DIGEST = "digest", _("Waiting for the daily digest")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")


class Notification(models.Model):
    """Something a person should hear about. Votes for one part on one day share one
    notification (its `count` grows), so a writer is not flooded."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=10, choices=NotificationKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="+")
    part = models.ForeignKey(Part, on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    count = models.PositiveIntegerField(default=1)
    note = models.TextField(blank=True)  # what the moderators said (moderation notices)
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(
        max_length=10, choices=EmailState.choices, default=EmailState.NONE
    )
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "part"],
                condition=Q(kind="new_part"),
                name="notify_new_part_once",
            ),
            models.UniqueConstraint(
                fields=["recipient", "part", "day"],
                condition=Q(kind="vote"),
                name="notify_votes_once_a_day",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["recipient", "-updated_at"], name="notification_list"),
            models.Index(fields=["email_state", "recipient"], name="notification_email"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class NotificationSettings(models.Model):
    """How a person wants to hear of each kind of notification by email, and when their last
    daily digest went out."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings"
    )
    new_part = models.CharField(
        NotificationKind.NEW_PART.label,
        max_length=10,
        choices=EmailChoice.choices,
        default=EmailChoice.NOW,
    )
    reply = models.CharField(
        NotificationKind.REPLY.label,
        max_length=10,
        choices=EmailChoice.choices,
        default=EmailChoice.NOW,
    )
    comment = models.CharField(
        NotificationKind.COMMENT.label,
        max_length=10,
        choices=EmailChoice.choices,
        default=EmailChoice.DAILY,
    )
    vote = models.CharField(
        NotificationKind.VOTE.label,
        max_length=10,
        choices=EmailChoice.choices,
        default=EmailChoice.DAILY,
    )
    moderation = models.CharField(
        NotificationKind.MODERATION.label,
        max_length=10,
        choices=EmailChoice.choices,
        default=EmailChoice.NOW,
    )
    digest_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return f"email settings of {self.user_id}"

    def choice(self, kind: str) -> str:
        return getattr(self, kind)
