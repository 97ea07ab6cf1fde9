from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Report


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("What is wrong?"), choices=Report.Reason.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Anything the moderators should know (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class DismissForm(forms.Form):
    answer = forms.CharField(
        label=_("Why no action is needed (the reporter reads this)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class HideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it is hidden (its writer and the reporter read this)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AccountActionForm(forms.Form):
    """Warn, suspend or ban an account, with the reason its owner reads."""

    do = forms.ChoiceField(
        label=_("What to do"),
        choices=[
            ("warn", _("Warn")),
            ("suspend", _("Suspend: reads, but cannot post, vote or comment")),
            ("ban", _("Ban: cannot sign in, and the address cannot sign up again")),
        ],
        widget=forms.RadioSelect,
    )
    days = forms.TypedChoiceField(
        label=_("Suspend for"),
        coerce=int,
        required=False,
        choices=[(1, _("a day")), (3, _("3 days")), (7, _("a week")), (30, _("30 days"))],
        initial=7,
    )
    reason = forms.CharField(
        label=_("Why (the account's owner reads this)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class QueueFilter(forms.Form):
    """The queue's filters: reason, state and age."""

    AGES = {"": None, "1": 1, "7": 7, "30": 30}

    reason = forms.ChoiceField(
        label=_("Reason"), required=False, choices=[("", _("Any reason")), *Report.Reason.choices]
    )
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("Any state")), *Report.State.choices],
        initial=Report.State.OPEN,
    )
    age = forms.ChoiceField(
        label=_("Filed"),
        required=False,
        choices=[
            ("", _("Any time")),
            ("1", _("In the last day")),
            ("7", _("In the last week")),
            ("30", _("In the last 30 days")),
        ],
    )
