"""The comments part of a writer's desk (/desk/comments/): comments held for approval, to
approve, delete or remove as spam; and who may comment, for all their books at once."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from storyhouse.stories.desk_views import writer_view
from storyhouse.stories.models import CommentMode

from . import services


class CommentModeForm(forms.Form):
    comment_mode = forms.ChoiceField(
        label=gettext_lazy("Who may comment on all my books"),
        choices=CommentMode.choices,
        widget=forms.RadioSelect,
        initial=CommentMode.MEMBERS,
    )


@writer_view
@require_http_methods(["GET", "POST"])
def comments_desk(request: HttpRequest) -> HttpResponse:
    form = CommentModeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        changed = services.comment_mode_set_all(
            user=request.user, mode=form.cleaned_data["comment_mode"]
        )
        messages.success(
            request,
            _("Saved for all your books (%(count)d changed).") % {"count": changed},
        )
        return redirect("desk:comments")
    return render(
        request,
        "desk/comments.html",
        {
            "held": services.held_comments(request.user)[:200],
            "decisions": [
                ("approve", _("Approve")),
                ("delete", _("Delete")),
                ("spam", _("Spam")),
            ],
            "form": form,
        },
    )


@writer_view
@require_POST
def comment_decide(request: HttpRequest, comment_id: int) -> HttpResponse:
    """Approve, delete, or remove as spam a comment waiting for this person's approval."""
    comment = get_object_or_404(services.held_comments(request.user), pk=comment_id)
    action = request.POST.get("action", "")
    if action == "approve":
        services.comment_approve(user=request.user, comment=comment)
        messages.success(request, _("Approved: the comment shows now."))
    elif action == "delete":
        services.comment_delete(user=request.user, comment=comment)
        messages.success(request, _("Deleted."))
    elif action == "spam":
        gone = services.comment_spam(user=request.user, comment=comment)
        messages.success(
            request,
            _("Removed as spam, with every comment held from the same sender (%(count)d in all).")
            % {"count": gone},
        )
    else:
        messages.error(request, _("That is not something this page can do."))
    return redirect("desk:comments")
