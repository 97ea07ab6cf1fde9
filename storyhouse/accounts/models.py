"""People: readers and writers share one account model, with their public profile on it."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    bio = models.TextField(_("bio"), blank=True, help_text=_("Shown on your author page."))
    # Accounts that people make themselves start unverified; accounts made by staff, commands
    # and importers are trusted from the start, so only sign-up sets this to False.
    email_verified = models.BooleanField(
        _("email address verified"),
        default=True,
        help_text=_("Until the address is confirmed, the account can read but not post."),
    )
    pending_email = models.EmailField(
        _("new email address"),
        blank=True,
        help_text=_("An address waiting to be confirmed; the current one stays until then."),
    )
    # Moderation (storyhouse/moderation): a suspended account reads but cannot post until
    # then; a banned one cannot sign in at all (it is also made inactive).
    suspended_until = models.DateTimeField(_("suspended until"), null=True, blank=True)
    banned_at = models.DateTimeField(_("banned"), null=True, blank=True)
    hidden_tags = models.ManyToManyField(
        "stories.Tag",
        verbose_name=_("hidden tags"),
        blank=True,
        related_name="hidden_by",
        help_text=_("Books carrying these tags, or their synonyms, are left out of lists."),
    )
    shows_adult_content = models.BooleanField(
        _("show Mature and Explicit stories without asking"),
        default=False,
        help_text=_("When off, a book rated Mature or Explicit asks before it opens."),
    )

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                name="account_username_unique_ignoring_case",
                violation_error_message=_("That username is taken."),
            ),
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="account_email_unique_ignoring_case",
                violation_error_message=_("An account with this email address already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def is_suspended(self) -> bool:
        return self.suspended_until is not None and self.suspended_until > timezone.now()

    @property
    def name(self) -> str:
        """The name people see: the display name when set, else the username."""
        return self.display_name or self.username

    def get_absolute_url(self) -> str:
        return reverse("author", kwargs={"username": self.username})


class PersonalToken(models.Model):
    """A key a person gives an e-reader, a feed reader or a script to read and write as them.

    Only a digest of the key is kept: the key itself is shown once, when it is made. A revoked
    token stays listed (with when it was revoked) so its owner can tell what stopped working.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(_("name"), max_length=100, help_text=_("Where you use it, e.g. Kobo."))
    digest = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(
        max_length=12, editable=False, help_text=_("The key's first characters, to recognise it.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("personal token")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
