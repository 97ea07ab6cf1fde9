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
