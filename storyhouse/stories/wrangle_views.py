"""Tag wrangling (/tags/<slug>/wrangle/) and the list of tags (/tags/).

Tag wranglers and admins (roles: moderation/roles.py, asked through
`access.can_wrangle_tags`) do what Archive of Our Own's wranglers do. To anyone else the
wrangling page does not exist: a 404, so it confirms nothing.
"""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from . import access, queries, services
from .models import Tag, TagSlug, TagType, Visibility
from .wrangle_forms import MergeForm, ParentForm, RenameForm, SynonymForm

TAGS_PAGE_SIZE = 50


def _stories_count(request: HttpRequest, tag_ids: list[int]) -> int:
    """How many books the wrangler sees carrying these tags: what the tag page then lists."""
    return queries.stories_with_tags(request.user, tag_ids).count()


def _make_canonical(request: HttpRequest, tag: Tag) -> tuple[Tag, str]:
    services.tag_make_canonical(tag)
    return tag, _("“%(tag)s” is canonical: writers are offered it as they type.") % {
        "tag": tag.name
    }


def _unsynonym(request: HttpRequest, tag: Tag) -> tuple[Tag, str]:
    canonical = tag.synonym_of
    services.tag_unsynonym(tag)
    if canonical is None:
        return tag, _("“%(tag)s” is not a synonym.") % {"tag": tag.name}
    return tag, _("“%(tag)s” no longer filters as “%(canonical)s”: it stands on its own.") % {
        "tag": tag.name,
        "canonical": canonical.name,
    }


def _make_synonym(request: HttpRequest, tag: Tag, form: SynonymForm) -> tuple[Tag, str]:
    target = form.cleaned_data["of"]
    moving = [tag.pk] if tag.synonym_of_id else queries.tag_family_ids(tag)
    services.tag_make_synonym(tag, of=target)
    count = _stories_count(request, moving)
    message = ngettext(
        "“%(tag)s” now filters as “%(canonical)s”: %(count)s story.",
        "“%(tag)s” now filters as “%(canonical)s”: %(count)s stories.",
        count,
    ) % {"tag": tag.name, "canonical": target.name, "count": count}
    return tag, message


def _merge(request: HttpRequest, tag: Tag, form: MergeForm) -> tuple[Tag, str]:
    target = form.cleaned_data["into"]
    count = _stories_count(request, [tag.pk])
    name = tag.name
    services.tag_merge(tag, into=target)
    message = ngettext(
        "“%(tag)s” is merged into “%(into)s”: %(count)s story moved, and the old address "
        "leads here.",
        "“%(tag)s” is merged into “%(into)s”: %(count)s stories moved, and the old address "
        "leads here.",
        count,
    ) % {"tag": name, "into": target.name, "count": count}
    return target, message


def _parent_add(request: HttpRequest, tag: Tag, form: ParentForm) -> tuple[Tag, str]:
    parent = form.cleaned_data["parent"].filter_tag
    services.tag_set_parents(tag, [*tag.parents.all(), parent])
    return tag, _("“%(tag)s” now belongs under “%(parent)s”.") % {
        "tag": tag.name,
        "parent": parent.name,
    }


def _parent_remove(request: HttpRequest, tag: Tag) -> tuple[Tag, str]:
    parents = list(tag.parents.all())
    gone = next((p for p in parents if str(p.pk) == request.POST.get("parent", "")), None)
    if gone is None:
        return tag, _("“%(tag)s” did not belong under that tag.") % {"tag": tag.name}
    services.tag_set_parents(tag, [p for p in parents if p.pk != gone.pk])
    return tag, _("“%(tag)s” no longer belongs under “%(parent)s”.") % {
        "tag": tag.name,
        "parent": gone.name,
    }


def _rename(request: HttpRequest, tag: Tag, form: RenameForm) -> tuple[Tag, str]:
    old = tag.name
    services.tag_rename(tag, form.cleaned_data["name"])
    if tag.name == old:
        return tag, _("“%(tag)s” keeps its name.") % {"tag": old}
    return tag, _("“%(old)s” is now called “%(new)s”; its old address leads here.") % {
        "old": old,
        "new": tag.name,
    }


# Each action: the form that reads it and its name on the page (None: a button with nothing
# to type), the field that shows what the service refuses, and what to do.
ACTIONS: dict[str, tuple[type | None, str, str | None, Callable]] = {
    "canonical": (None, "", None, _make_canonical),
    "unsynonym": (None, "", None, _unsynonym),
    "synonym": (SynonymForm, "synonym_form", "of", _make_synonym),
    "merge": (MergeForm, "merge_form", "into", _merge),
    "parent_add": (ParentForm, "parent_form", "parent", _parent_add),
    "parent_remove": (None, "", None, _parent_remove),
    "rename": (RenameForm, "rename_form", "name", _rename),
}
FORMS = {name: form_class for form_class, name, _field, _act in ACTIONS.values() if form_class}


def _page(
    request: HttpRequest, tag: Tag, *, bound: dict | None = None, error: str = ""
) -> HttpResponse:
    """The wrangling page; with a form that did not go through (`bound`) or an `error`, it
    says why, with status 400."""
    forms = {name: form_class(tag=tag) for name, form_class in FORMS.items()}
    forms.update(bound or {})
    context = {
        "tag": tag,
        "canonical": tag.filter_tag,
        **queries.tag_relations(tag),
        "own_parents": list(tag.parents.order_by("name")),
        "own_count": _stories_count(request, [tag.pk]),
        "family_count": _stories_count(request, queries.tag_family_ids(tag)),
        "error": error,
        **forms,
    }
    status = 400 if error or bound else 200
    return render(request, "stories/tag_wrangle.html", context, status=status)


@require_http_methods(["GET", "POST"])
def tag_wrangle(request: HttpRequest, slug: str) -> HttpResponse:
    if not access.can_wrangle_tags(request.user):
        raise Http404
    tag = Tag.objects.select_related("synonym_of").filter(slug=slug).first()
    if tag is None:
        old = get_object_or_404(TagSlug.objects.select_related("tag"), slug=slug, tag__isnull=False)
        return redirect("tag_wrangle", slug=old.tag.slug)
    if request.method == "GET":
        return _page(request, tag)

    action = request.POST.get("action", "")
    if action not in ACTIONS:
        return _page(request, tag, error=_("That is not something this page can do."))
    form_class, name, field, act = ACTIONS[action]
    form = form_class(request.POST, tag=tag) if form_class else None
    if form is not None and not form.is_valid():
        return _page(request, tag, bound={name: form})
    try:
        result, message = act(request, tag, form) if form else act(request, tag)
    except ValidationError as error:
        if form is None:
            return _page(request, tag, error=" ".join(error.messages))
        # The service's messages, whichever of its fields it named, go to the form's one field.
        form.add_error(field, error.messages)
        return _page(request, tag, bound={name: form})
    messages.success(request, message)
    return redirect("tag_wrangle", slug=result.slug)


@require_GET
def tag_list(request: HttpRequest) -> HttpResponse:
    """The archive's tags by type. Everyone sees the canonical ones; wranglers can also list
    the unwrangled ones (neither canonical nor a synonym) and every tag."""
    wrangler = access.can_wrangle_tags(request.user)
    tag_type = request.GET.get("type", "")
    notes = []
    if tag_type and tag_type not in TagType.values:
        notes.append(
            _("There is no tag type “%(type)s”: all types are shown.") % {"type": tag_type[:40]}
        )
        tag_type = ""
    shown = request.GET.get("show", "canonical")
    choices = ["canonical", "unwrangled", "all"] if wrangler else ["canonical"]
    if shown not in choices:
        shown = "canonical"

    tags = Tag.objects.all()
    if tag_type:
        tags = tags.filter(type=tag_type)
    if shown == "canonical":
        tags = tags.filter(canonical=True)
    elif shown == "unwrangled":
        tags = tags.filter(canonical=False, synonym_of__isnull=True)
    # Books a reader could find: shared, with a published part (drafts are nobody's business).
    listed = Q(
        stories__visibility__in=[Visibility.PUBLIC, Visibility.MEMBERS],
        stories__parts_count__gt=0,
    )
    tags = tags.select_related("synonym_of").annotate(books=Count("stories", filter=listed))
    page = Paginator(tags.order_by("name", "id"), TAGS_PAGE_SIZE).get_page(request.GET.get("page"))

    def address(**changes: str | int) -> str:
        params = {"type": tag_type, "show": shown if shown != "canonical" else ""}
        params.update(changes)
        query = urlencode({key: value for key, value in params.items() if value})
        return f"?{query}" if query else "?"

    return render(
        request,
        "stories/tag_list.html",
        {
            "page": page,
            "tag_type": tag_type,
            "shown": shown,
            "types": TagType.choices,
            "wrangler": wrangler,
            "notes": notes,
            "previous_url": address(page=page.previous_page_number())
            if page.has_previous()
            else "",
            "next_url": address(page=page.next_page_number()) if page.has_next() else "",
        },
    )
