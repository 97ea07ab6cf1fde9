"""Muting and blocking, from a profile, a comment (which links to its writer's page here) and
a book; and the page listing whom a reader muted and blocked, with undo."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from storyhouse.accounts.models import User
from storyhouse.stories import access
from storyhouse.stories.models import Story

from . import services


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


PERSON_ACTIONS = {
    "mute": (
        services.mute_writer,
        gettext_lazy("You muted %(name)s: their stories are gone from your lists."),
    ),
    "unmute": (
        services.unmute_writer,
        gettext_lazy("You unmuted %(name)s: their stories are back."),
    ),
    "block": (services.block, gettext_lazy("You blocked %(name)s. They are not told.")),
    "unblock": (services.unblock, gettext_lazy("You unblocked %(name)s.")),
}


@require_http_methods(["GET", "POST"])
@login_required
def person(request: HttpRequest, username: str) -> HttpResponse:
    other = get_object_or_404(User, username=username)
    if not access.can_mute_or_block(request.user, other):
        raise Http404
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in PERSON_ACTIONS:
            messages.error(request, _("That is not something this page can do."))
            return redirect("boundaries:person", username=other.username)
        change, message = PERSON_ACTIONS[action]
        if action in ("mute", "unmute"):
            change(reader=request.user, writer=other)
        else:
            change(blocker=request.user, blocked=other)
        messages.success(request, message % {"name": other.name})
        return redirect(_next(request, request.path))
    return render(
        request,
        "boundaries/person.html",
        {
            "other": other,
            "mutes": access.mutes_writer(request.user, other),
            "blocks": access.blocks(request.user, other),
            "next": _next(request, ""),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def story(request: HttpRequest, story_id: int) -> HttpResponse:
    book = get_object_or_404(Story, pk=story_id)
    if not access.can_view_story(request.user, book):
        raise Http404
    if not access.can_mute_story(request.user, book):
        raise PermissionDenied(_("You cannot mute your own book."))
    if request.method == "POST":
        if request.POST.get("action") == "unmute":
            services.unmute_story(reader=request.user, story=book)
            messages.success(request, _("You unmuted “%(title)s”.") % {"title": book.title})
        else:
            services.mute_story(reader=request.user, story=book)
            messages.success(
                request,
                _("You muted “%(title)s”: it is gone from your lists and searches.")
                % {"title": book.title},
            )
        return redirect(_next(request, request.path))
    return render(
        request,
        "boundaries/story.html",
        {"story": book, "mutes": access.mutes_story(request.user, book)},
    )


@require_http_methods(["GET"])
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "boundaries/overview.html",
        {
            "writers": services.muted_writers(request.user),
            "books": services.muted_books(request.user),
            "blocked": services.blocked(request.user),
        },
    )
