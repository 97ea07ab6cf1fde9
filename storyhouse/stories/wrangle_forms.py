"""Forms of the tag-wrangling page: each names a tag by what people call it, its name."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import Tag, TagType
from .services import tag_find


class TagNameField(forms.CharField):
    """A tag named as people know it (letter case and spaces do not matter), answered with the
    Tag. Scripts suggest canonical tags of `tag_type` as the wrangler types (desk.js)."""

    def __init__(self, *, tag_type: str, list_id: str, **kwargs) -> None:
        kwargs.setdefault("max_length", 150)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"data-tag-type": tag_type, "autocomplete": "off", "list": list_id}
        )
        self.list_id = list_id

    def clean(self, value) -> Tag:
        name = super().clean(value)
        tag = tag_find(name)
        if tag is None:
            raise ValidationError(
                _("There is no tag named “%(name)s”.") % {"name": " ".join(name.split())},
                code="unknown",
            )
        return tag


def parent_type(tag: Tag) -> str:
    """What a tag usually belongs under: characters and relationships under a fandom, anything
    else under a meta tag of its own type."""
    if tag.type in (TagType.CHARACTER, TagType.RELATIONSHIP):
        return TagType.FANDOM
    return tag.type


class SynonymForm(forms.Form):
    def __init__(self, *args, tag: Tag, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["of"] = TagNameField(
            tag_type=tag.type,
            list_id="synonym-options",
            label=_("Make it a synonym of"),
            help_text=_("A canonical %(type)s tag. Books keep this tag and filter as that one.")
            % {"type": tag.get_type_display().lower()},
        )


class MergeForm(forms.Form):
    def __init__(self, *args, tag: Tag, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["into"] = TagNameField(
            tag_type=tag.type,
            list_id="merge-options",
            label=_("Merge it into"),
            help_text=_(
                "Books, parts and readers' hidden tags move to that tag; this tag goes, and "
                "its address leads there."
            ),
        )


class ParentForm(forms.Form):
    def __init__(self, *args, tag: Tag, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"] = TagNameField(
            tag_type=parent_type(tag),
            list_id="parent-options",
            label=_("Add a tag it belongs under"),
            help_text=_(
                "A character's fandom, or a meta tag: searching a meta tag of the same type "
                "finds this tag's books too."
            ),
        )


class RenameForm(forms.Form):
    name = forms.CharField(label=_("New name"), max_length=150)

    def __init__(self, *args, tag: Tag, **kwargs) -> None:
        kwargs.setdefault("initial", {"name": tag.name})
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())
