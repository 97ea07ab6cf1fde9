"""Forms of the community pages: asking to join, releasing invitations."""

from django import forms
from django.utils.translation import gettext_lazy as _

from storyhouse.accounts.forms import HoneypotMixin


class SignupRequestForm(HoneypotMixin, forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We write to it when a moderator sends you a sign-up link. Nothing else."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ReleaseForm(forms.Form):
    requests = forms.TypedMultipleChoiceField(
        label=_("Addresses to invite"),
        coerce=int,
        error_messages={
            "required": _("Choose at least one address to invite."),
            "invalid_choice": _(
                "Another moderator has just sent some of these invitations: here is the list "
                "as it is now."
            ),
        },
    )

    def __init__(self, *args, choices: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["requests"].choices = choices
