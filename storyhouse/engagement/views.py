"""Pages and actions of readers: votes, comments, library, reading lists, progress, follows,
notifications. Parse, call a service or a selector, render: htmx gets a partial, a plain
request the full page (or a redirect after a change)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from storyhouse import ratelimit
from storyhouse.accounts.models import User
from storyhouse.accounts.throttle import client_address
from storyhouse.stories import access
from storyhouse.stories.models import Part, Story

from . import paragraphs, queries, services
from .forms import (
    CommentEditForm,
    CommentForm,
    GuestCommentForm,
    NotificationSettingsForm,
    ReadingListForm,
)
from .models import Comment, ReadingList
from .shared_threads import threads_shown

PAGE_SIZE = 30


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _next(request: HttpRequest, default: str) -> str:
    """Where to go back to after a change: the page the form was on, if it is ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _part(request: HttpRequest, part_id: int) -> Part:
    part = get_object_or_404(Part.objects.select_related("story"), pk=part_id)
    if not access.can_view_part(request.user, part):
        raise Http404
    return part


def _story(request: HttpRequest, story_id: int) -> Story:
    story = get_object_or_404(Story, pk=story_id)
    if not access.can_view_story(request.user, story):
        raise Http404
    return story


def _comment(request: HttpRequest, comment_id: int) -> Comment:
    comment = get_object_or_404(
        Comment.objects.select_related("part", "part__story", "author"), pk=comment_id
    )
    if not access.can_view_part(request.user, comment.part):
        raise Http404
    return comment


def _own_list(request: HttpRequest, list_id: int) -> ReadingList:
    reading_list = get_object_or_404(ReadingList, pk=list_id)
    if not access.can_view_reading_list(request.user, reading_list):
        raise Http404
    if not access.can_edit_reading_list(request.user, reading_list):
        raise PermissionDenied
    return reading_list


def _form_errors(error: ValidationError) -> str:
    return " ".join(error.messages)


# Votes


@require_POST
@login_required
def vote(request: HttpRequest, part_id: int) -> HttpResponse:
    part = _part(request, part_id)
    ratelimit.check(request, "vote")  # over the limit: a 429 (storyhouse.ratelimit)
    wanted = {"true": True, "false": False}.get(request.POST.get("voted", ""))
    voted, count = services.vote_toggle(user=request.user, part=part, voted=wanted)
    if is_htmx(request):
        return render(
            request,
            "engagement/vote_button.html",
            {"part": part, "voted": voted, "votes": count + part.imported_votes},
        )
    messages.success(request, _("Thank you for your vote.") if voted else _("Vote taken back."))
    return redirect(_next(request, part.get_absolute_url()))


# Comments


def _comments_section(
    request: HttpRequest, part: Part, *, form: CommentForm | None = None, **extra: object
) -> HttpResponse:
    paragraph = request.GET.get("paragraph") or ""
    part.refresh_from_db(fields=["comments_count", "votes_count"])
    threads = threads_shown(
        request.user, part, paragraph=paragraph, page_number=request.GET.get("comments")
    )
    return render(
        request,
        "engagement/comments.html",
        {"part": part, "threads": threads, "comment_form": form, **extra},
    )


def _comments_url(part: Part, **query: str) -> str:
    query = {key: value for key, value in query.items() if value}
    return part.get_absolute_url() + (f"?{urlencode(query)}" if query else "") + "#comments"


@require_http_methods(["GET", "POST"])
def comments(request: HttpRequest, part_id: int) -> HttpResponse:
    """GET: the comments section (htmx) or the part page showing it. POST: post a comment."""
    part = _part(request, part_id)
    if request.method == "GET":
        if is_htmx(request):
            return _comments_section(request, part)
        return redirect(
            _comments_url(
                part,
                paragraph=request.GET.get("paragraph", ""),
                comments=request.GET.get("comments", ""),
            )
        )
    if not request.user.is_authenticated:
        return redirect_to_login(_comments_url(part))
    form = CommentForm(request.POST, paragraphs=paragraphs.paragraphs(part.body))
    parent = None
    if form.is_valid():
        parent_id = form.cleaned_data.get("parent")
        if parent_id:
            parent = get_object_or_404(Comment, pk=parent_id, part=part)
        try:
            ratelimit.check(request, "comment")
        except ratelimit.RateLimited as error:
            if is_htmx(request):
                # A short message and nothing swapped, so the comment stays in its box.
                return ratelimit.refused(request, error)
            # The form again, with the comment in it and the message above.
            form.add_error(None, ratelimit.message(error))
            response = render(
                request,
                "engagement/comment_form_page.html",
                {"part": part, "story": part.story, "form": form, "parent": parent},
                status=429,
            )
            response["Retry-After"] = str(error.wait)
            return response
        try:
            comment = services.comment_post(
                author=request.user,
                part=part,
                body=form.cleaned_data["body"],
                parent=parent,
                paragraph=form.cleaned_data.get("paragraph") or "",
            )
        except ValidationError as error:
            form.add_error("body", _form_errors(error))
        else:
            if is_htmx(request):
                response = _comments_section(request, part, posted=comment)
                response["X-Comment-Id"] = str(comment.pk)
                if comment.is_held:
                    response["X-Comment-Held"] = "1"
                return response
            if comment.is_held:
                messages.info(request, HELD_MESSAGE)
                return redirect(_comments_url(part))
            messages.success(request, _("Your comment is posted."))
            return redirect(f"{part.get_absolute_url()}#comment-{comment.pk}")
    if is_htmx(request):
        return _comments_section(request, part, form=form)
    return render(
        request,
        "engagement/comment_form_page.html",
        {"part": part, "story": part.story, "form": form, "parent": parent},
    )


HELD_MESSAGE = gettext_lazy(
    "Thank you: your comment waits for the writer's approval, and will show once they approve it."
)


@require_http_methods(["GET", "POST"])
def guest_comment(request: HttpRequest, part_id: int) -> HttpResponse:
    """A guest's comment, on a book open to everyone: a page of its own, so the part page
    that guests share stays the same for all of them (and cached)."""
    part = _part(request, part_id)
    if request.user.is_authenticated:
        return redirect(_comments_url(part))
    if not access.can_comment_on_part(request.user, part):
        raise PermissionDenied(_("This book takes comments from signed-in readers only."))
    form = GuestCommentForm(
        request.POST or None,
        paragraphs=paragraphs.paragraphs(part.body),
        initial={"paragraph": request.GET.get("paragraph", "")},
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        if form.caught:
            # The field people never see was filled in: a robot, told nothing.
            return redirect(_comments_url(part))
        try:
            ratelimit.check(request, "comment")
            comment = services.comment_post(
                author=None,
                part=part,
                body=form.cleaned_data["body"],
                paragraph=form.cleaned_data.get("paragraph") or "",
                guest_name=form.cleaned_data["name"],
                address_key=salted_hmac(
                    "storyhouse.comment-source", client_address(request)
                ).hexdigest()[:32],
            )
        except ratelimit.RateLimited as error:
            form.add_error(None, ratelimit.message(error))
            status = 429
        except ValidationError as error:
            form.add_error("name" if error.code == "no_name" else "body", _form_errors(error))
        else:
            if comment.is_held:
                messages.info(request, HELD_MESSAGE)
                return redirect(_comments_url(part))
            messages.success(request, _("Your comment is posted."))
            return redirect(f"{part.get_absolute_url()}#comment-{comment.pk}")
    return render(
        request,
        "engagement/guest_comment.html",
        {"part": part, "story": part.story, "form": form},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@login_required
def thread_freeze(request: HttpRequest, comment_id: int) -> HttpResponse:
    """The book's writers and moderators freeze a thread, or thaw it."""
    comment = _comment(request, comment_id)
    if not access.can_freeze_thread(request.user, comment):
        raise PermissionDenied(_("Only the book's writers and the moderators freeze threads."))
    if request.method == "POST":
        frozen = request.POST.get("frozen") != "false"
        services.thread_freeze(user=request.user, comment=comment, frozen=frozen)
        messages.success(
            request,
            _("The thread is frozen: no more replies or edits.")
            if frozen
            else _("The thread is open again."),
        )
        return redirect(f"{comment.part.get_absolute_url()}#comment-{comment.pk}")
    return render(
        request,
        "engagement/thread_freeze.html",
        {"comment": comment, "part": comment.part, "story": comment.part.story},
    )


@require_GET
@login_required
def comment_reply(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = _comment(request, comment_id)
    if not access.can_reply_to(request.user, comment):
        raise PermissionDenied
    form = CommentForm(initial={"parent": comment.pk})
    inline = is_htmx(request)
    return render(
        request,
        "engagement/reply_form.html" if inline else "engagement/reply_page.html",
        {
            "comment": comment,
            "part": comment.part,
            "story": comment.part.story,
            "form": form,
            "inline": inline,
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def comment_edit(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = _comment(request, comment_id)
    if not access.can_edit_comment(request.user, comment):
        raise PermissionDenied
    form = CommentEditForm(request.POST or None, initial={"body": comment.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.comment_edit(
                user=request.user, comment=comment, body=form.cleaned_data["body"]
            )
        except ValidationError as error:
            form.add_error("body", _form_errors(error))
        else:
            messages.success(request, _("Your comment is saved."))
            return redirect(f"{comment.part.get_absolute_url()}#comment-{comment.pk}")
    return render(
        request,
        "engagement/comment_edit.html",
        {"comment": comment, "part": comment.part, "story": comment.part.story, "form": form},
    )


@require_http_methods(["GET", "POST"])
@login_required
def comment_delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    comment = _comment(request, comment_id)
    if not access.can_delete_comment(request.user, comment):
        raise PermissionDenied
    if request.method == "POST":
        services.comment_delete(user=request.user, comment=comment)
        messages.success(request, _("The comment is deleted."))
        return redirect(_comments_url(comment.part))
    return render(
        request,
        "engagement/comment_delete.html",
        {"comment": comment, "part": comment.part, "story": comment.part.story},
    )


# Reading progress


@require_POST
@login_required
def progress(request: HttpRequest, part_id: int) -> HttpResponse:
    """Where the reader is in a part, sent by reading.js as they scroll."""
    part = _part(request, part_id)
    try:
        services.progress_record(
            user=request.user, part=part, paragraph=request.POST.get("paragraph", "")
        )
    except ValidationError as error:
        return HttpResponse(_form_errors(error), status=400, content_type="text/plain")
    return HttpResponse(status=204)


# Library


@require_POST
@login_required
def library_change(request: HttpRequest, story_id: int) -> HttpResponse:
    story = _story(request, story_id)
    if request.POST.get("action") == "remove":
        services.library_remove(user=request.user, story=story)
        kept, message = False, _("Removed from your library.")
    else:
        services.library_add(user=request.user, story=story)
        kept, message = True, _("Added to your library.")
    if is_htmx(request):
        return render(
            request,
            "engagement/library_button.html",
            {"story": story, "in_library": kept, "next": _next(request, "")},
        )
    messages.success(request, message)
    return redirect(_next(request, story.get_absolute_url()))


@require_GET
@login_required
def library(request: HttpRequest) -> HttpResponse:
    stories = queries.library_stories(request.user)
    places = queries.continue_reading(request.user, stories)
    return render(
        request,
        "engagement/library.html",
        {
            "books": [(story, places.get(story.pk)) for story in stories],
            "reading_lists": list(queries.reading_lists(request.user)),
            "list_form": ReadingListForm(),
        },
    )


@require_GET
@login_required
def reading_history(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.history(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "engagement/history.html", {"page": page})


# Reading lists


@require_http_methods(["GET", "POST"])
@login_required
def reading_lists(request: HttpRequest) -> HttpResponse:
    form = ReadingListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.reading_list_create(
                owner=request.user,
                title=form.cleaned_data["title"],
                public=form.cleaned_data["public"],
            )
        except ValidationError as error:
            form.add_error("title", _form_errors(error))
        else:
            story_id = request.POST.get("story")
            if story_id and story_id.isdigit():
                services.reading_list_add(
                    user=request.user, reading_list=created, story=_story(request, int(story_id))
                )
            messages.success(request, _("Your reading list is made."))
            return redirect(_next(request, reverse("engagement:reading_list", args=[created.pk])))
    return render(
        request,
        "engagement/reading_lists.html",
        {"reading_lists": list(queries.reading_lists(request.user)), "list_form": form},
    )


@require_http_methods(["GET", "POST"])
@login_required
def reading_list_manage(request: HttpRequest, list_id: int) -> HttpResponse:
    reading_list = _own_list(request, list_id)
    form = ReadingListForm(request.POST or None, instance=reading_list)
    if request.method == "POST" and form.is_valid():
        try:
            services.reading_list_update(
                user=request.user,
                reading_list=reading_list,
                title=form.cleaned_data["title"],
                public=form.cleaned_data["public"],
            )
        except ValidationError as error:
            form.add_error("title", _form_errors(error))
        else:
            messages.success(request, _("Your reading list is saved."))
            return redirect("engagement:reading_list", reading_list.pk)
    if form.errors:
        reading_list.refresh_from_db()
    return render(
        request,
        "engagement/reading_list_manage.html",
        {
            "reading_list": reading_list,
            "form": form,
            "stories": queries.reading_list_stories(request.user, reading_list),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def reading_list_delete(request: HttpRequest, list_id: int) -> HttpResponse:
    reading_list = _own_list(request, list_id)
    if request.method == "POST":
        services.reading_list_delete(user=request.user, reading_list=reading_list)
        messages.success(request, _("The reading list is deleted."))
        return redirect("engagement:reading_lists")
    return render(request, "engagement/reading_list_delete.html", {"reading_list": reading_list})


@require_POST
@login_required
def reading_list_add(request: HttpRequest) -> HttpResponse:
    """Add a book to one of the reader's lists, both chosen in the form."""
    list_id, story_id = request.POST.get("list", ""), request.POST.get("story", "")
    if not (list_id.isdigit() and story_id.isdigit()):
        return HttpResponse(_("Which book, on which list?"), status=400, content_type="text/plain")
    reading_list = _own_list(request, int(list_id))
    story = _story(request, int(story_id))
    if services.reading_list_add(user=request.user, reading_list=reading_list, story=story):
        message = _("Added to %(list)s.")
    else:
        message = _("It is on %(list)s already.")
    messages.success(request, message % {"list": reading_list.title})
    return redirect(_next(request, story.get_absolute_url()))


@require_POST
@login_required
def reading_list_book(request: HttpRequest, list_id: int, story_id: int) -> HttpResponse:
    """Move a book up, down, to the top or bottom of a list, or take it off the list."""
    reading_list = _own_list(request, list_id)
    story = get_object_or_404(Story, pk=story_id)
    action = request.POST.get("action", "")
    if action == "remove":
        services.reading_list_remove(user=request.user, reading_list=reading_list, story=story)
        messages.success(request, _("Taken off the list."))
    else:
        order = list(
            reading_list.entries.order_by("position", "id").values_list("story_id", flat=True)
        )
        if story.pk not in order:
            raise Http404
        here = order.index(story.pk) + 1
        targets = {"up": here - 1, "down": here + 1, "top": 1, "bottom": len(order)}
        if action not in targets:
            return HttpResponse(_("Move it where?"), status=400, content_type="text/plain")
        services.reading_list_move(
            user=request.user, reading_list=reading_list, story=story, position=targets[action]
        )
    return redirect(
        _next(request, reverse("engagement:reading_list", args=[reading_list.pk]) + "#books")
    )


@require_GET
def public_lists(request: HttpRequest, username: str) -> HttpResponse:
    owner = get_object_or_404(User, username=username, is_active=True)
    mine = request.user.is_authenticated and request.user.pk == owner.pk
    return render(
        request,
        "engagement/public_lists.html",
        {
            "owner": owner,
            "mine": mine,
            "reading_lists": list(queries.reading_lists(owner, public_only=not mine)),
        },
    )


@require_GET
def reading_list_detail(request: HttpRequest, username: str, list_id: int) -> HttpResponse:
    reading_list = get_object_or_404(
        ReadingList.objects.select_related("owner"),
        pk=list_id,
        owner__username=username,
        owner__is_active=True,
    )
    if not access.can_view_reading_list(request.user, reading_list):
        raise Http404
    return render(
        request,
        "engagement/reading_list.html",
        {
            "reading_list": reading_list,
            "owner": reading_list.owner,
            "stories": queries.reading_list_stories(request.user, reading_list),
            "mine": access.can_edit_reading_list(request.user, reading_list),
        },
    )


# Follows


@require_POST
@login_required
def follow(request: HttpRequest, username: str) -> HttpResponse:
    writer = get_object_or_404(User, username=username, is_active=True)
    if request.POST.get("action") == "unfollow":
        services.unfollow(follower=request.user, writer=writer)
        message = _("You no longer follow %(name)s.")
    else:
        services.follow(follower=request.user, writer=writer)
        message = _("You follow %(name)s: you will hear of their new parts.")
    if is_htmx(request):
        return render(
            request,
            "engagement/follow_button.html",
            {
                "writer": writer,
                "following": queries.is_following(request.user, writer),
                "followers": queries.follower_count(writer),
                "may_follow": True,
            },
        )
    messages.success(request, message % {"name": writer.name})
    return redirect(_next(request, writer.get_absolute_url()))


@require_GET
@login_required
def following(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.following(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "engagement/following.html", {"page": page})


# Notifications


@require_GET
@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.notifications(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for notification in page.object_list:
        notification.summary = services.notification_summary(notification)
    return render(request, "engagement/notifications.html", {"page": page})


@require_GET
@login_required
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Opening a notification marks it read and takes its reader to what it is about."""
    notification = get_object_or_404(
        queries.notifications(request.user).select_related("part__story"), pk=notification_id
    )
    services.notification_open(user=request.user, notification=notification)
    return redirect(services.notification_target(notification))


@require_POST
@login_required
def notifications_read(request: HttpRequest) -> HttpResponse:
    services.notifications_mark_all_read(user=request.user)
    messages.success(request, _("All caught up."))
    return redirect("engagement:notifications")


@require_http_methods(["GET", "POST"])
@login_required
def notification_settings(request: HttpRequest) -> HttpResponse:
    current = services.notification_settings(request.user)
    form = NotificationSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        services.notification_settings_save(
            user=request.user, **{kind: form.cleaned_data[kind] for kind in form.Meta.fields}
        )
        messages.success(request, _("Your email choices are saved."))
        return redirect("engagement:notification_settings")
    return render(request, "engagement/notification_settings.html", {"form": form})


# A mail program's one-click unsubscribe (RFC 8058) posts without a CSRF token; the signed
# token in the address is the proof, and all it can do is turn email off.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = services.unsubscribe_read(token)
    if found is None:
        return render(request, "engagement/unsubscribe_invalid.html", status=400)
    user, kinds = found
    if request.method == "POST":
        services.unsubscribe(token=token)
        return render(request, "engagement/unsubscribe.html", {"done": True, "kinds": kinds})
    return render(
        request, "engagement/unsubscribe.html", {"done": False, "kinds": kinds, "token": token}
    )
