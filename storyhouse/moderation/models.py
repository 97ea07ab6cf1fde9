from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


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
