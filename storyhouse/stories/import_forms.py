"""The desk's import form: one or more files, published at once or kept as drafts."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Visibility


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input (Django's recipe in "Uploading multiple files")."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        single_file_clean = super().clean
        if isinstance(data, (list, tuple)) and data:
            return [single_file_clean(item, initial) for item in data]
        if isinstance(data, (list, tuple)):
            data = None  # nothing chosen: the field's "required" message
        return [single_file_clean(data, initial)]


PUBLISH_CHOICES = [
    (Visibility.PUBLIC, _("Publish now: readers see the books at once")),
    (Visibility.DRAFT, _("Keep as drafts: only you see them until you publish")),
]


def import_max_files() -> int:
    """How many files one upload may hold (setting IMPORT_UPLOAD_MAX_FILES, default 50);
    never more than Django parses at all (DATA_UPLOAD_MAX_NUMBER_FILES)."""
    wanted = settings.IMPORT_UPLOAD_MAX_FILES
    return min(wanted, settings.DATA_UPLOAD_MAX_NUMBER_FILES or wanted)


class ImportForm(forms.Form):
    files = MultipleFileField(
        label=_("Files"),
        help_text=_(
            "EPUB books, HTML downloads from Archive of Our Own, a story page saved as text, "
            "Markdown files or a .zip of a folder of Markdown files. You can choose several: "
            "each file is a book, except Markdown files, which together make one book, one "
            "part a file."
        ),
        error_messages={"required": _("Choose at least one file to import.")},
    )
    visibility = forms.ChoiceField(
        label=_("When they arrive"),
        choices=PUBLISH_CHOICES,
        initial=Visibility.DRAFT,
        widget=forms.RadioSelect,
    )

    def clean_files(self) -> list:
        files = self.cleaned_data["files"]
        most = import_max_files()
        if len(files) > most:
            raise forms.ValidationError(
                _("That is too many files at once: send at most %(count)s in one go."),
                params={"count": most},
            )
        return files
