"""The site's own pages (about, rules, privacy) and, when sign-ups are by invitation, the
queue of people waiting for one."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


class SitePage(models.Model):
    class Slug(models.TextChoices):
        ABOUT = "about", _("About")
        RULES = "rules", _("Rules")
        PRIVACY = "privacy", _("Privacy")

    slug = models.CharField(max_length=20, choices=Slug.choices, unique=True)
    title = models.CharField(max_length=200)
    # Cleaned with nh3 on every save (services.site_page_save).
    body = models.TextField(
        help_text=_(
            "HTML: paragraphs, headings, lists, links and emphasis. Anything else is removed."
        )
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"/{self.slug}/"


class SignupRequest(models.Model):
    """Someone who asked to join: waiting, then invited (a link that works once), then joined."""

    class State(models.TextChoices):
        WAITING = "waiting", _("Waiting")
        INVITED = "invited", _("Invited")
        JOINED = "joined", _("Joined")

    email = models.EmailField(max_length=254)
    state = models.CharField(max_length=10, choices=State.choices, default=State.WAITING)
    requested_at = models.DateTimeField(auto_now_add=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A SHA-256 of the link's secret: the database never holds a working link.
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    joined_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="signup_request_email_unique"),
        ]

    def __str__(self) -> str:
        return self.email
