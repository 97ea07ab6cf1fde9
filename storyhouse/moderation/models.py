from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Report(models.Model):
    """A reader tells the moderators about a story, a part, a comment or a profile."""

    class Kind(models.TextChoices):
        STORY = "story", _("story")
        PART = "part", _("part")
        COMMENT = "comment", _("comment")
        PROFILE = "profile", _("profile")

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam")
        HARASSMENT = "harassment", _("Harassment")
        WARNING = "warning", _("A missing or wrong warning or rating")
        PLAGIARISM = "plagiarism", _("Plagiarism")
        RULES = "rules", _("Against the site's rules")
        OTHER = "other", _("Something else")

    class State(models.TextChoices):
        OPEN = "open", _("Waiting for a moderator")
        DISMISSED = "dismissed", _("Looked at: no action taken")
        ACTED = "acted", _("Looked at: action taken")

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    object_id = models.BigIntegerField()
    reason = models.CharField(max_length=12, choices=Reason.choices)
    note = models.TextField(blank=True, max_length=2000)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    answer = models.TextField(blank=True)  # what the moderator told the reporter

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One open report per reporter per thing: a second click changes nothing.
            models.UniqueConstraint(
                fields=["reporter", "kind", "object_id"],
                condition=Q(state="open"),
                name="one_open_report_per_reporter_and_thing",
            )
        ]
        indexes = [models.Index(fields=["state", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.kind} {self.object_id}"


class AuditEntry(models.Model):
    """One moderation action: who did what to what, when and why. Written once, never
    changed (the admin shows it read-only). Its Meta holds the moderation permissions that
    roles.py gives to roles."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150)  # kept when the account goes
    action = models.CharField(max_length=40)
    target = models.CharField(max_length=200)  # e.g. "comment 12", "account alice"
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log")
        default_permissions = ("view",)
        permissions = [
            ("work_queue", "Work the moderation queue"),
            ("dismiss_reports", "Dismiss reports"),
            ("hide_content", "Hide and show stories, parts and comments"),
            ("require_warnings", "Require a warning or rating on a story"),
            ("warn_accounts", "Warn accounts"),
            ("suspend_accounts", "Suspend accounts for a time"),
            ("ban_accounts", "Ban accounts"),
            ("read_audit_log", "Read the audit log"),
            ("wrangle_tags", "Wrangle tags"),
            ("grant_roles", "Give and take roles"),
            ("edit_site_pages", "Edit the site's pages"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.target}"


class BannedAddress(models.Model):
    """An email address of a banned account, kept as `address_key` makes it, so the person
    cannot sign up again with added dots or a +tag."""

    key = models.CharField(max_length=254, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


def address_key(email: str) -> str:
    """One spelling for the variants of an address that reach the same mailbox: lower case,
    no dots and no +tag before the @."""
    local, _at, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0].replace(".", "")
    return f"{local}@{domain}"
