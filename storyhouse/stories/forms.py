"""The writer's desk forms: a book, a part, an invitation. They check what was typed; the
services in `services.py` do the writing."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from storyhouse.accounts.models import User

from . import covers, services
from .archive_tags import NOT_RATED
from .models import BodyFormat, Status, Story, Tag, TagType, Visibility

# Languages offered first, named as their readers name them; a book keeps any other code it
# already has (an import may bring one).
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("pt-BR", "Português (Brasil)"),
    ("pt", "Português"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pl", "Polski"),
    ("cs", "Čeština"),
    ("sv", "Svenska"),
    ("da", "Dansk"),
    ("nb", "Norsk bokmål"),
    ("fi", "Suomi"),
    ("hu", "Magyar"),
    ("ro", "Română"),
    ("el", "Ελληνικά"),
    ("ru", "Русский"),
    ("uk", "Українська"),
    ("tr", "Türkçe"),
    ("ar", "العربية"),
    ("he", "עברית"),
    ("fa", "فارسی"),
    ("hi", "हिन्दी"),
    ("bn", "বাংলা"),
    ("id", "Bahasa Indonesia"),
    ("ms", "Bahasa Melayu"),
    ("tl", "Filipino"),
    ("vi", "Tiếng Việt"),
    ("th", "ไทย"),
    ("zh-Hans", "中文（简体）"),
    ("zh-Hant", "中文（繁體）"),
    ("ja", "日本語"),
    ("ko", "한국어"),
]

# The tag inputs of a book and of a part: field name -> tag type.
BOOK_TAG_FIELDS = {
    "fandoms": TagType.FANDOM,
    "relationships": TagType.RELATIONSHIP,
    "characters": TagType.CHARACTER,
    "tropes": TagType.TROPE,
    "other_warnings": TagType.WARNING,
}
PART_TAG_FIELDS = {"tropes": TagType.TROPE, "warnings": TagType.WARNING}
MAX_TAGS = 75
MARKDOWN_HELP = _("Markdown: *italics*, **bold**, a blank line between paragraphs.")


class TagsField(forms.CharField):
    """Tag names separated by commas. Scripts show suggestions from the archive's tags; any
    new name is welcome too."""

    def __init__(self, *, tag_type: str, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 4000)
        super().__init__(**kwargs)
        self.tag_type = tag_type
        self.widget.attrs.update(
            {"data-tag-type": tag_type, "autocomplete": "off", "list": f"{tag_type}-options"}
        )

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        names: dict[str, str] = {}
        for piece in text.split(","):
            name = " ".join(piece.split())
            if name:
                names.setdefault(name.lower(), name)
        return list(names.values())

    def validate(self, value: list[str]) -> None:
        super().validate(", ".join(value))
        for name in value:
            if len(name) > 100:
                raise ValidationError(
                    _("“%(start)s…” is too long for a tag: 100 characters at most.")
                    % {"start": name[:30]}
                )
        if len(value) > MAX_TAGS:
            raise ValidationError(_("That is a lot of tags: %(max)s at most.") % {"max": MAX_TAGS})

    def prepare_value(self, value) -> str:
        if isinstance(value, list | tuple):
            return ", ".join(tag.name if isinstance(tag, Tag) else str(tag) for tag in value)
        return value or ""


class DeskForm:
    """Labels without a trailing colon, as the rest of the site writes them."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class TagChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Tag) -> str:
        return obj.name


class StoryForm(DeskForm, forms.ModelForm):
    """A book's details, as its writer sets them."""

    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=MARKDOWN_HELP,
    )
    rating = forms.ModelChoiceField(
        label=_("Rating"),
        queryset=Tag.objects.none(),
        empty_label=None,
        help_text=_(
            "Readers choose what they see by rating; “Not Rated” if you would rather not say."
        ),
    )
    archive_warnings = TagChoiceField(
        label=_("Archive warnings"),
        queryset=Tag.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Choose every one that applies, “No Archive Warnings Apply”, or “Creator Chose Not "
            "To Use Archive Warnings”."
        ),
        error_messages={"required": _("Choose at least one archive warning.")},
    )
    other_warnings = TagsField(
        label=_("Other warnings"),
        tag_type=TagType.WARNING,
        help_text=_("Anything else readers should know first, separated by commas."),
    )
    categories = TagChoiceField(
        label=_("Categories"),
        queryset=Tag.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The relationships in the book, if any: F/F, F/M, Gen, M/M, Multi, Other."),
    )
    fandoms = TagsField(
        label=_("Fandoms"),
        tag_type=TagType.FANDOM,
        help_text=_("Separated by commas. “Original Work” if it is yours alone."),
    )
    relationships = TagsField(
        label=_("Relationships"),
        tag_type=TagType.RELATIONSHIP,
        help_text=_("Separated by commas, such as “Alice/Bob” or “Alice & Bob”."),
    )
    characters = TagsField(
        label=_("Characters"), tag_type=TagType.CHARACTER, help_text=_("Separated by commas.")
    )
    tropes = TagsField(
        label=_("Tropes and other tags"),
        tag_type=TagType.TROPE,
        help_text=_("Separated by commas, such as “Slow Burn, Found Family”."),
    )
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)
    visibility = forms.ChoiceField(
        label=_("Who can read it"),
        widget=forms.RadioSelect,
        choices=[
            (Visibility.DRAFT, _("Only me and my co-authors (draft)")),
            (Visibility.PUBLIC, _("Everyone")),
            (Visibility.MEMBERS, _("Signed-in members only")),
        ],
        help_text=_("Readers see the parts you publish; drafts stay yours until then."),
    )
    cover = forms.FileField(
        label=_("Cover image"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_(
            "JPEG, PNG or WebP, up to 10 MB; it is cropped to 2:3, like a paperback. Without "
            "one, your book gets a cover with its title and your name."
        ),
    )
    cover_remove = forms.BooleanField(
        label=_("Use a generated cover instead of my image"), required=False
    )

    class Meta:
        model = Story
        fields = ["title", "rating", "language", "status", "visibility", "comment_mode"]
        widgets = {"status": forms.RadioSelect, "comment_mode": forms.RadioSelect}
        labels = {
            "title": _("Title"),
            "status": _("Status"),
            "comment_mode": _("Who may comment"),
        }
        help_texts = {
            "comment_mode": _(
                "Held comments wait at your desk (Comments) until you approve them. Your desk "
                "also sets this for all your books at once."
            )
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        story: Story = self.instance
        self.fields["rating"].queryset = Tag.objects.filter(
            type=TagType.RATING, archive_defined=True
        ).order_by("id")
        self.fields["archive_warnings"].queryset = Tag.objects.filter(
            type=TagType.WARNING, archive_defined=True
        ).order_by("id")
        self.fields["categories"].queryset = Tag.objects.filter(
            type=TagType.CATEGORY, archive_defined=True
        ).order_by("id")
        self.fields["status"].choices = Status.choices
        codes = {code for code, _name in LANGUAGES}
        if story.language and story.language not in codes:
            self.fields["language"].choices = [(story.language, story.language), *LANGUAGES]
        if story.pk is None:
            not_rated = Tag.objects.filter(type=TagType.RATING, name=NOT_RATED).first()
            self.initial["rating"] = not_rated.pk if not_rated else None
            self.initial["visibility"] = Visibility.DRAFT
            del self.fields["cover_remove"]
        else:
            self._fill_from(story)
        if story.visibility in (Visibility.HIDDEN, Visibility.HELD):
            # Only a moderator brings a hidden book back; the writer sees why it is hidden. A
            # held book comes back by itself once its rating or warnings change.
            self.fields["visibility"].disabled = True
            self.fields["visibility"].choices = [(story.visibility, story.get_visibility_display())]
        if story.pk is not None and not story.cover_uploaded:
            self.fields.pop("cover_remove", None)
        # A form without the choice (an older page, a script) leaves it as it was.
        self.fields["comment_mode"].required = False

    def clean_comment_mode(self) -> str:
        return self.cleaned_data.get("comment_mode") or self.instance.comment_mode

    def _fill_from(self, story: Story) -> None:
        tags = list(story.tags.all())
        self.initial["description"] = story.description_source or story.description
        self.initial["rating"] = story.rating_id
        self.initial["archive_warnings"] = [
            tag.pk for tag in tags if tag.type == TagType.WARNING and tag.archive_defined
        ]
        self.initial["categories"] = [tag.pk for tag in tags if tag.type == TagType.CATEGORY]
        for field, tag_type in BOOK_TAG_FIELDS.items():
            self.initial[field] = [
                tag
                for tag in tags
                if tag.type == tag_type
                and not (tag_type == TagType.WARNING and tag.archive_defined)
            ]

    def clean_cover(self):
        upload = self.cleaned_data.get("cover")
        if not upload:
            return None
        try:
            return covers.cover_from_upload(upload)
        except covers.CoverError as error:
            raise ValidationError(str(error)) from error

    def clean_archive_warnings(self):
        warnings = self.cleaned_data["archive_warnings"]
        services.archive_warnings_check(warnings)
        return warnings

    def tags_by_type(self) -> dict[str, list]:
        """What the services take: each edited tag type with its tags or typed names."""
        data = self.cleaned_data
        tags: dict[str, list] = {
            tag_type: list(data[field]) for field, tag_type in BOOK_TAG_FIELDS.items()
        }
        tags[TagType.WARNING] = list(data["archive_warnings"]) + tags[TagType.WARNING]
        tags[TagType.CATEGORY] = list(data["categories"])
        return tags


class PartForm(DeskForm, forms.Form):
    """A part in the editor. The button pressed says what happens to it (see ACTIONS)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=MARKDOWN_HELP,
    )
    notes_before = forms.CharField(
        label=_("Author's note before the text"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    body_format = forms.ChoiceField(
        label=_("Write the text in"),
        choices=BodyFormat.choices,
        widget=forms.RadioSelect,
        initial=BodyFormat.MARKDOWN,
    )
    body = forms.CharField(
        label=_("Text"),
        required=False,
        max_length=2_000_000,
        widget=forms.Textarea(attrs={"rows": 24, "spellcheck": "true"}),
        help_text=_(
            "In Markdown, leave a blank line between paragraphs. In rich text you can paste "
            "from a word processor; formatting is kept, anything unsafe is removed."
        ),
    )
    notes_after = forms.CharField(
        label=_("Author's note after the text"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    tropes = TagsField(
        label=_("This part's tropes and tags"),
        tag_type=TagType.TROPE,
        help_text=_("Separated by commas; for a book of one-shots, each part has its own."),
    )
    warnings = TagsField(
        label=_("This part's warnings"),
        tag_type=TagType.WARNING,
        help_text=_("Separated by commas; readers see them before the text."),
    )
    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args, action: str = "save", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.action = action
        self.fields["publish_at"].help_text = _("Time zone: %(zone)s.") % {
            "zone": timezone.get_current_timezone_name()
        }

    def clean(self):
        data = super().clean()
        if self.action == "schedule":
            when = data.get("publish_at")
            if when is None:
                self.add_error("publish_at", _("Choose the date and time it comes out."))
            elif when <= timezone.now():
                self.add_error("publish_at", _("Choose a time in the future."))
        return data

    def text(self) -> services.PartText:
        data = self.cleaned_data
        return services.PartText(
            title=data["title"],
            description=data["description"],
            notes_before=data["notes_before"],
            notes_after=data["notes_after"],
            body=data["body"],
            body_format=data["body_format"],
        )

    def tags_by_type(self) -> dict[str, list]:
        return {tag_type: list(self.cleaned_data[f]) for f, tag_type in PART_TAG_FIELDS.items()}


class AutosaveForm(PartForm):
    """What an autosave sends: the same fields, none of them insisted on (a title may still
    be on its way)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class InviteForm(DeskForm, forms.Form):
    username = forms.CharField(
        label=_("Username of your co-author"),
        max_length=150,
        help_text=_("They see the invitation on their desk, and join the byline once they accept."),
    )

    def clean_username(self) -> User:
        name = self.cleaned_data["username"].strip().lstrip("@")
        user = User.objects.filter(username__iexact=name, is_active=True).first()
        if user is None:
            raise ValidationError(_("There is no account with that username."))
        return user
