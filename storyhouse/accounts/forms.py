"""The forms of the accounts pages: sign-up, login, profile, email, deletion, preferences."""

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from storyhouse.moderation.services import address_banned
from storyhouse.stories.models import Tag

from . import throttle
from .models import User

HONEYPOT = "website"


class HoneypotMixin:
    """A field people never see (hidden with CSS, labelled "leave this empty" for screen
    readers) that form-filling robots fill in. `caught` says whether it was filled."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[HONEYPOT] = forms.CharField(
            label=_("Leave this empty"),
            required=False,
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )

    @property
    def caught(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip()) if self.is_bound else False

    @property
    def honeypot(self) -> forms.BoundField:
        return self[HONEYPOT]

    def visible_fields(self) -> list[forms.BoundField]:
        return [field for field in super().visible_fields() if field.name != HONEYPOT]


class SignupForm(HoneypotMixin, UserCreationForm):
    """Username, email address and the password twice, checked by Django's validators."""

    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We send a link to confirm it. It is never shown to anyone."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email")

    def __init__(self, *args: Any, invited_email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].help_text = _(
            "Your name on the site and in your address (/authors/name/). Letters, digits and "
            "@ . + - _ only; 150 characters or fewer."
        )
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        # Someone invited (STORYHOUSE_SIGNUP=invite) finds the address the link went to.
        if invited_email:
            self.fields["email"].initial = invited_email

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"].strip())
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                _("An account with this email address already exists. Forgot your password?")
            )
        if address_banned(email):
            raise forms.ValidationError(_("This address cannot be used to sign up here."))
        return email


def throttled_name(login: str) -> str:
    """The username failures are counted under: an email address counts as the username of
    its account, so switching between the two gives a guesser no extra attempts."""
    login = login.strip()
    if "@" in login:
        account = User.objects.filter(email__iexact=login).values_list("username", flat=True)
        return next(iter(account), login)
    return login


class LoginForm(AuthenticationForm):
    """Django's login form, slowed down after repeated failures (see throttle.py)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "That username or email address and password do not match. Check them and try again."
        ),
    }

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Username or email address")
        self.throttled = False

    def clean(self) -> dict[str, Any]:
        username = throttled_name(self.cleaned_data.get("username") or "")
        address = throttle.client_address(self.request) if self.request else ""
        wait = throttle.login_wait(address, username)
        if wait:
            self.throttled = True
            raise forms.ValidationError(
                ngettext(
                    "Too many failed attempts. Please wait %(seconds)d second and try again.",
                    "Too many failed attempts. Please wait %(seconds)d seconds and try again.",
                    wait,
                )
                % {"seconds": wait},
                code="throttled",
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError as error:
            if error.code == "invalid_login":
                throttle.login_failed(address, username)
            raise
        throttle.login_succeeded(address, username)
        return cleaned


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("display_name", "bio")
        help_texts = {
            "display_name": _(
                "The name shown on your stories. Leave it empty to use your username."
            ),
            "bio": _("A few words about you, shown on your author page. Plain text."),
        }
        widgets = {"bio": forms.Textarea(attrs={"rows": 6})}


class PasswordCheckMixin:
    """Forms that change something that matters ask for the password first."""

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That is not your current password."))
        return password


class EmailChangeForm(PasswordCheckMixin, forms.Form):
    email = forms.EmailField(
        label=_("New email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("We send a link to it; your current address stays until you follow it."),
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_email(self) -> str:
        email = User.objects.normalize_email(self.cleaned_data["email"].strip())
        if User.objects.filter(email__iexact=email).exclude(pk=self.user.pk).exists():
            raise forms.ValidationError(_("An account with this email address already exists."))
        if address_banned(email):
            raise forms.ValidationError(_("This address cannot be used here."))
        return email


class DeleteAccountForm(PasswordCheckMixin, forms.Form):
    KEEP, REMOVE = "keep", "remove"

    stories = forms.ChoiceField(
        label=_("Your stories"),
        choices=[
            (
                KEEP,
                _(
                    "Keep them on the site for their readers, under the shared account "
                    "“orphan_account”, without my name"
                ),
            ),
            (REMOVE, _("Delete them with my account")),
        ],
        widget=forms.RadioSelect,
        help_text=_("Books you wrote with others stay with them either way, without your name."),
    )
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TagForm(forms.Form):
    """One tag, by id: the buttons of the preferences page."""

    tag = forms.ModelChoiceField(queryset=Tag.objects.all(), widget=forms.HiddenInput)


class AdultContentForm(forms.Form):
    """The preferences page's adult-content choice."""

    shows_adult_content = forms.BooleanField(
        label=_("Show Mature and Explicit stories without asking"),
        required=False,
        help_text=_(
            "When this is off, a book rated Mature or Explicit first names its rating and "
            "warnings and asks whether you want to go on."
        ),
    )


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Where you will use it, so you know which to revoke: “Kobo”, “Feed reader”."),
    )
