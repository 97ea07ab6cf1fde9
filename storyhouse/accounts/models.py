"""People: readers and writers share one account model, with their public profile on it."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    bio = models.TextField(_("bio"), blank=True, help_text=_("Shown on your author page."))

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.username

    @property
    def name(self) -> str:
        """The name people see: the display name when set, else the username."""
        return self.display_name or self.username

    def get_absolute_url(self) -> str:
        return reverse("author", kwargs={"username": self.username})
