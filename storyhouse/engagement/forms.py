"""Forms readers fill in: comments, reading lists, email choices."""

from django import forms
from django.utils.translation import gettext_lazy as _

from storyhouse.accounts.forms import HoneypotMixin

from .models import Comment, EmailChoice, NotificationKind, NotificationSettings, ReadingList
from .paragraphs import Paragraph

QUOTE_LENGTH = 60


def _short(text: str) -> str:
    """The start of a paragraph, cut at a word, to name it in a list of choices."""
    if len(text) <= QUOTE_LENGTH:
        return text
    cut = text[: QUOTE_LENGTH - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:") + "…"


class NoColon:
    """Labels read as headings of their fields here: no colon after them."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class CommentForm(NoColon, forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=Comment.MAX_LENGTH,
        strip=True,
        help_text=_("Plain text; web links become clickable."),
    )
    paragraph = forms.ChoiceField(label=_("About"), required=False)
    parent = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, paragraphs: tuple[Paragraph, ...] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["paragraph"].choices = [
            ("", _("The whole part")),
            *[
                (p.id, _("Paragraph %(number)d: %(start)s")
                 % {"number": p.position + 1, "start": _short(p.text)})
                for p in paragraphs
            ],
        ]  # fmt: skip


class GuestCommentForm(HoneypotMixin, CommentForm):
    """A guest's comment, on a book open to everyone: signed with a name."""

    name = forms.CharField(
        label=_("Your name"),
        max_length=60,
        strip=True,
        help_text=_("Shown with your comment, marked as a guest's."),
    )
    field_order = ["name", "body", "paragraph"]


class CommentEditForm(NoColon, forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=Comment.MAX_LENGTH,
        strip=True,
    )


class ReadingListForm(NoColon, forms.ModelForm):
    class Meta:
        model = ReadingList
        fields = ["title", "public"]
        labels = {"title": _("Name"), "public": _("Public: shown on your profile")}


class NotificationSettingsForm(NoColon, forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = list(NotificationKind.values)
        widgets = {kind: forms.RadioSelect(choices=EmailChoice.choices) for kind in fields}
