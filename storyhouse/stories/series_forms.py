"""The desk's series forms. They check what was sent; the functions in `series.py` do the
writing."""

from django import forms
from django.utils.translation import gettext_lazy as _
from markdownify import markdownify

from storyhouse.accounts.models import User

from . import access
from .models import Series, Story


class SeriesForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What ties these books together. Markdown works: *italics*, **bold**, links."),
    )

    @classmethod
    def for_series(cls, series: Series, data=None) -> "SeriesForm":
        # The description is stored as clean HTML; the writer edits it as Markdown again.
        initial = {
            "title": series.title,
            "description": markdownify(series.description, heading_style="ATX").strip(),
        }
        return cls(data, initial=initial)

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError(_("A series needs a title."))
        return title


class SeriesBookForm(forms.Form):
    """Choose one of your own books to put into a series."""

    story = forms.ModelChoiceField(
        label=_("Book"),
        queryset=Story.objects.none(),
        empty_label=_("Choose one of your books"),
        error_messages={"invalid_choice": _("Choose one of your own books.")},
    )

    def __init__(self, *args, user: User, series: Series, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["story"].queryset = (
            access.authored_stories(user)
            .exclude(seriesentry__series=series)
            .order_by("title", "id")
        )
