"""The writer's desk: books, parts, covers, revisions and co-authors. Parse, ask access,
call a service, render.

Everything here needs a signed-in writer. A book or part the person does not write is a
404, exactly like one that does not exist; changes also need `access.can_write`.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from storyhouse.engagement.services import held_comments

from . import access, diffs, queries, services
from .forms import AutosaveForm, InviteForm, PartForm, StoryForm
from .html import clean_html, markdown_to_html
from .models import Authorship, BodyFormat, Part, PartRevision, PartState, Story, Tag, TagType

ACTIONS = {"save", "publish", "schedule", "unpublish", "preview"}


def writer_view(view: Callable) -> Callable:
    """Signed in, or off to the login page; and for changes, allowed to write."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            if request.headers.get("HX-Request"):
                # An autosave after the session ended: say so where the status shows.
                return render(request, "desk/autosave_status.html", {"signed_out": True})
            return redirect_to_login(request.get_full_path())
        if request.method == "POST" and not access.can_write(request.user):
            return render(request, "desk/cannot_write.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _story(request: HttpRequest, story_id: int) -> Story:
    story = get_object_or_404(Story.objects.select_related("rating"), pk=story_id)
    if not access.can_edit_story(request.user, story):
        raise Http404
    return story


def _part(request: HttpRequest, part_id: int) -> Part:
    part = get_object_or_404(Part.objects.select_related("story", "story__rating"), pk=part_id)
    if not access.can_edit_story(request.user, part.story):
        raise Http404
    return part


def _story_desk_url(story: Story) -> str:
    return reverse("desk:story", kwargs={"story_id": story.pk})


def _part_edit_url(part: Part) -> str:
    return reverse("desk:part_edit", kwargs={"part_id": part.pk})


def _form_error(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    elif getattr(error, "code", "") in {"warnings_missing", "warnings_combined"}:
        form.add_error("archive_warnings" if "archive_warnings" in form.fields else None, error)
    else:
        form.add_error(None, error)


# The desk and its books


@writer_view
@require_GET
def desk_home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "desk/home.html",
        {
            "books": list(queries.desk_books(request.user)),
            "invitations": list(queries.desk_invitations(request.user)),
            "can_write": access.can_write(request.user),
            "held_count": held_comments(request.user).count(),
        },
    )


@writer_view
def story_new(request: HttpRequest) -> HttpResponse:
    if not access.can_write(request.user):
        return render(request, "desk/cannot_write.html", status=403)
    story = Story()
    form = StoryForm(request.POST or None, request.FILES or None, instance=story)
    if request.method == "POST" and form.is_valid():
        try:
            services.story_edit(
                form.instance,
                editor=request.user,
                description_source=form.cleaned_data["description"],
                tags=form.tags_by_type(),
                cover=form.cleaned_data.get("cover"),
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Your book is ready. Now add its first part."))
            return redirect(_story_desk_url(form.instance))
    return render(request, "desk/story_form.html", {"form": form, "story": None})


@writer_view
def story_edit(request: HttpRequest, story_id: int) -> HttpResponse:
    story = _story(request, story_id)
    form = StoryForm(request.POST or None, request.FILES or None, instance=story)
    if request.method == "POST" and form.is_valid():
        try:
            services.story_edit(
                form.instance,
                editor=request.user,
                description_source=form.cleaned_data["description"],
                tags=form.tags_by_type(),
                cover=form.cleaned_data.get("cover"),
                cover_remove=form.cleaned_data.get("cover_remove", False),
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(_story_desk_url(story))
    # A failed save leaves the form's values on the instance: show the stored book beside it.
    stored = Story.objects.get(pk=story.pk) if request.method == "POST" else story
    return render(request, "desk/story_form.html", {"form": form, "story": stored})


def _story_desk_context(story: Story, invite_form: InviteForm) -> dict:
    authorships = list(story.authorship_set.select_related("user", "invited_by"))
    return {
        "story": story,
        "parts": list(story.parts.order_by("position", "id")),
        "authorships": authorships,
        "accepted_count": sum(1 for authorship in authorships if authorship.accepted),
        "invite_form": invite_form,
    }


@writer_view
@require_GET
def story_desk(request: HttpRequest, story_id: int) -> HttpResponse:
    story = _story(request, story_id)
    return render(request, "desk/story.html", _story_desk_context(story, InviteForm()))


@writer_view
def story_delete(request: HttpRequest, story_id: int) -> HttpResponse:
    story = _story(request, story_id)
    if request.method == "POST":
        title = story.title
        services.story_delete(story)
        messages.success(request, _("“%(title)s” is deleted.") % {"title": title})
        return redirect("desk:home")
    return render(request, "desk/story_delete.html", {"story": story})


# Co-authors


@writer_view
@require_POST
def coauthor_invite(request: HttpRequest, story_id: int) -> HttpResponse:
    story = _story(request, story_id)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            services.coauthor_invite(
                story, invitee=form.cleaned_data["username"], invited_by=request.user
            )
        except ValidationError as error:
            form.add_error("username", error)
        else:
            messages.success(
                request,
                _("%(name)s is invited. They join the byline once they accept.")
                % {"name": form.cleaned_data["username"].name},
            )
            return redirect(_story_desk_url(story))
    return render(request, "desk/story.html", _story_desk_context(story, form), status=400)


@writer_view
@require_POST
def coauthor_remove(request: HttpRequest, story_id: int, authorship_id: int) -> HttpResponse:
    story = _story(request, story_id)
    authorship = get_object_or_404(Authorship.objects.select_related("user"), pk=authorship_id)
    if authorship.story_id != story.pk:
        raise Http404
    try:
        services.coauthor_remove(authorship)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_story_desk_url(story))
    if authorship.user_id == request.user.pk:
        messages.success(request, _("You left “%(title)s”.") % {"title": story.title})
        return redirect("desk:home")
    messages.success(
        request, _("%(name)s is no longer on this book.") % {"name": authorship.user.name}
    )
    return redirect(_story_desk_url(story))


def _invitation(request: HttpRequest, authorship_id: int) -> Authorship:
    invitation = get_object_or_404(Authorship.objects.select_related("story"), pk=authorship_id)
    if not access.can_answer_invitation(request.user, invitation):
        raise Http404
    return invitation


@writer_view
@require_POST
def invitation_accept(request: HttpRequest, authorship_id: int) -> HttpResponse:
    invitation = _invitation(request, authorship_id)
    services.coauthor_accept(invitation)
    messages.success(
        request, _("You are now an author of “%(title)s”.") % {"title": invitation.story.title}
    )
    return redirect(_story_desk_url(invitation.story))


@writer_view
@require_POST
def invitation_decline(request: HttpRequest, authorship_id: int) -> HttpResponse:
    invitation = _invitation(request, authorship_id)
    services.coauthor_remove(invitation)
    messages.success(request, _("Invitation declined."))
    return redirect("desk:home")


# Parts


@writer_view
@require_POST
def part_new(request: HttpRequest, story_id: int) -> HttpResponse:
    """A new part starts as an empty draft, so it saves itself from the first word typed."""
    story = _story(request, story_id)
    number = story.parts.count() + 1
    part = services.part_write(
        Part(story=story),
        editor=request.user,
        text=services.PartText(title=_("Part %(number)s") % {"number": number}),
    )
    return redirect(_part_edit_url(part))


def _part_form_initial(part: Part, text: services.PartText) -> dict:
    tags = list(part.tags.all())
    return {
        "title": text.title,
        "description": text.description,
        "notes_before": text.notes_before,
        "notes_after": text.notes_after,
        "body": text.body,
        "body_format": text.body_format,
        "tropes": [tag for tag in tags if tag.type != TagType.WARNING],
        "warnings": [tag for tag in tags if tag.type == TagType.WARNING],
        "publish_at": timezone.localtime(part.publish_at) if part.publish_at else None,
    }


def _saved_message(part: Part, action: str) -> str:
    if action == "publish":
        return _("Published: readers can read it now.")
    if action == "schedule":
        when = formats.date_format(timezone.localtime(part.publish_at), "DATETIME_FORMAT")
        return _("Scheduled: it comes out on %(when)s.") % {"when": when}
    if action == "unpublish":
        return _("Back to draft: readers no longer see it.")
    return _("Saved.")


@writer_view
def part_edit(request: HttpRequest, part_id: int) -> HttpResponse:
    part = _part(request, part_id)
    action = request.POST.get("action", "save")
    if action not in ACTIONS:
        action = "save"
    if request.method == "POST":
        form = PartForm(request.POST, action=action)
        if form.is_valid():
            state = {
                "publish": PartState.PUBLISHED,
                "schedule": PartState.SCHEDULED,
                "unpublish": PartState.DRAFT,
            }.get(action)
            try:
                services.part_write(
                    part,
                    editor=request.user,
                    text=form.text(),
                    tags=form.tags_by_type(),
                    state=state,
                    publish_at=form.cleaned_data.get("publish_at"),
                )
            except ValidationError as error:
                _form_error(form, error)
            else:
                if action == "preview":
                    return redirect("desk:part_preview", part_id=part.pk)
                messages.success(request, _saved_message(part, action))
                return redirect(_part_edit_url(part))
        part = Part.objects.select_related("story").get(pk=part.pk)
        pending = None
    else:
        pending = services.part_pending_changes(part)
        text = services.part_text(pending or part)
        form = PartForm(initial=_part_form_initial(part, text))
    # The rich-text editor starts from cleaned HTML only, never from what was sent as is.
    rich = form["body_format"].value() == BodyFormat.HTML
    return render(
        request,
        "desk/part_form.html",
        {
            "part": part,
            "story": part.story,
            "form": form,
            "pending": pending,
            "rich_html": clean_html(form["body"].value() or "") if rich else "",
        },
        status=400 if request.method == "POST" else 200,
    )


@writer_view
@require_POST
def part_autosave(request: HttpRequest, part_id: int) -> HttpResponse:
    """Answers htmx with the status line the editor shows ("Saved at 14:02"). What could not
    be kept is said in that line too, with a 200, since htmx shows only 2xx answers; the
    writer's Save then gives the full form errors."""
    part = _part(request, part_id)
    form = AutosaveForm(request.POST)
    if not form.is_valid():
        return render(request, "desk/autosave_status.html", {"problem": True})
    text = form.text()
    text.title = text.title or part.title  # a title being retyped keeps the old one meanwhile
    try:
        revision = services.part_autosave(part, editor=request.user, text=text)
    except ValidationError:
        return render(request, "desk/autosave_status.html", {"problem": True})
    part.refresh_from_db()
    return render(
        request,
        "desk/autosave_status.html",
        {
            "saved_at": timezone.localtime(revision.updated_at) if revision else None,
            "unchanged": revision is None,
            "published": part.is_published,
        },
    )


@writer_view
@require_POST
def part_pending_discard(request: HttpRequest, part_id: int) -> HttpResponse:
    part = _part(request, part_id)
    services.part_pending_discard(part)
    messages.success(request, _("Your unsaved changes are gone; this is the published text."))
    return redirect(_part_edit_url(part))


@writer_view
@require_GET
def part_preview(request: HttpRequest, part_id: int) -> HttpResponse:
    """The part as readers will see it, with any changes not yet published."""
    part = _part(request, part_id)
    pending = services.part_pending_changes(part)
    shown = pending or part
    return render(
        request,
        "desk/preview.html",
        {
            "part": part,
            "shown": shown,
            "pending": pending is not None,
            "story": part.story,
            "authors": queries.byline(part.story),
            "tag_groups": queries.tags_grouped(list(part.tags.all())),
        },
    )


@writer_view
@require_POST
def part_move(request: HttpRequest, part_id: int) -> HttpResponse:
    part = _part(request, part_id)
    direction = request.POST.get("direction")
    if direction not in {"up", "down"}:
        return HttpResponse(_("Move a part up or down."), status=400, content_type="text/plain")
    services.part_move(part, by=-1 if direction == "up" else 1)
    return redirect(f"{_story_desk_url(part.story)}#part-{part.pk}")


@writer_view
def part_delete(request: HttpRequest, part_id: int) -> HttpResponse:
    part = _part(request, part_id)
    if request.method == "POST":
        story, title = part.story, part.title
        services.part_delete(part)
        messages.success(request, _("“%(title)s” is deleted.") % {"title": title})
        return redirect(_story_desk_url(story))
    return render(request, "desk/part_delete.html", {"part": part, "story": part.story})


# Revisions


@writer_view
@require_GET
def part_revisions(request: HttpRequest, part_id: int) -> HttpResponse:
    part = _part(request, part_id)
    revisions = list(part.revisions.select_related("edited_by").order_by("-id"))
    return render(
        request,
        "desk/revisions.html",
        {"part": part, "story": part.story, "revisions": revisions},
    )


def _revision_or_current(part: Part, value: str | None) -> PartRevision | Part | None:
    if value in (None, "", "current"):
        return part
    if not value.isdigit():
        return None
    return part.revisions.filter(pk=int(value)).select_related("edited_by").first()


@writer_view
@require_GET
def revision_diff(request: HttpRequest, part_id: int) -> HttpResponse:
    """Changes from one version (`from`, a revision) to another (`to`: one, or the part now)."""
    part = _part(request, part_id)
    older = _revision_or_current(part, request.GET.get("from"))
    newer = _revision_or_current(part, request.GET.get("to"))
    if older is None or newer is None:
        raise Http404
    return render(
        request,
        "desk/diff.html",
        {
            "part": part,
            "story": part.story,
            "older": older,
            "newer": newer,
            "older_is_current": older is part,
            "newer_is_current": newer is part,
            "fields": diffs.compare(older, newer),
        },
    )


@writer_view
@require_POST
def revision_restore(request: HttpRequest, part_id: int, revision_id: int) -> HttpResponse:
    part = _part(request, part_id)
    revision = get_object_or_404(PartRevision, pk=revision_id, part=part)
    services.revision_restore(revision, editor=request.user)
    messages.success(
        request,
        _("The text of %(when)s is back.")
        % {"when": formats.date_format(timezone.localtime(revision.updated_at), "DATETIME_FORMAT")},
    )
    return redirect(_part_edit_url(part))


# Helpers for scripts: tag suggestions and Markdown rendering


@login_required
@require_GET
def tag_options(request: HttpRequest) -> HttpResponse:
    """<option>s for a tag input's <datalist>: canonical tags matching the last name typed.

    `q` is the whole input ("Slow Burn, Fl"); each option is the whole input completed, so
    choosing one keeps the names before it."""
    tag_type = request.GET.get("type", "")
    if tag_type not in TagType.values:
        return HttpResponse(_("Unknown tag type."), status=400, content_type="text/plain")
    typed = request.GET.get("q", "")[:4000]
    before, _comma, term = typed.rpartition(",")
    term = " ".join(term.split())
    prefix = f"{before.strip()}, " if before.strip() else ""
    options: list[str] = []
    if term:
        matches = Tag.objects.filter(
            Q(name__icontains=term), type=tag_type, canonical=True
        ).order_by("name")
        found = list(matches[:40])
        found.sort(
            key=lambda tag: (not tag.name.lower().startswith(term.lower()), tag.name.lower())
        )
        options = [f"{prefix}{tag.name}" for tag in found[:12]]
    return render(request, "desk/tag_options.html", {"options": options})


@writer_view
@require_POST
def render_markdown(request: HttpRequest) -> HttpResponse:
    """Markdown to cleaned HTML, for the editor turning a Markdown text into rich text."""
    return HttpResponse(markdown_to_html(request.POST.get("text", "")[:2_000_000]))
