"""Community pages: the site's own pages (about, rules, privacy), asking to join when
sign-ups are by invitation, and the moderators' queue. Parse, call a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from storyhouse import ratelimit
from storyhouse.stories import access

from . import services
from .forms import ReleaseForm, SignupRequestForm
from .models import SignupRequest

QUEUE_PAGE_SIZE = 100


@require_GET
def site_page(request: HttpRequest, slug: str) -> HttpResponse:
    # Never kept by the guest page cache (no pagecache.depends): an edit shows at once.
    page = services.site_page(slug)
    edit_url = ""
    if access.can_edit_site_pages(request.user):
        if page.stored is not None:
            edit_url = reverse("admin:community_sitepage_change", args=[page.stored.pk])
        else:
            edit_url = reverse("admin:community_sitepage_add") + f"?slug={slug}"
    return render(request, "community/site_page.html", {"page": page, "edit_url": edit_url})


def signup_request(request: HttpRequest) -> HttpResponse:
    """The sign-up page when sign-ups are by invitation: leave an address in the queue."""
    form = SignupRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if not form.caught:
            try:
                ratelimit.check(request, "signup-request")
            except ratelimit.RateLimited as error:
                form.add_error(None, ratelimit.message(error))
                response = render(
                    request, "community/signup_request.html", {"form": form}, status=429
                )
                response["Retry-After"] = str(error.wait)
                return response
            services.signup_request(email=form.cleaned_data["email"])
        # The same answer whether the address was new, already waiting, or a robot's.
        return render(
            request, "community/signup_requested.html", {"email": form.cleaned_data["email"]}
        )
    return render(request, "community/signup_request.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def signup_queue(request: HttpRequest) -> HttpResponse:
    """Moderators see who asked to join and send them sign-up links."""
    if not access.can_release_invitations(request.user):
        raise PermissionDenied
    waiting = services.waiting_requests()
    page = Paginator(waiting, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    form = ReleaseForm(
        request.POST if request.method == "POST" else None,
        choices=[(item.pk, item.email) for item in page.object_list],
    )
    if request.method == "POST":
        # Addresses released by another moderator a moment ago are no longer choices.
        form.fields["requests"].choices = [(pk, "") for pk in waiting.values_list("pk", flat=True)]
        if form.is_valid():
            sent, failed = services.invitations_send(
                ids=form.cleaned_data["requests"],
                by=request.user,
                site_url=request.build_absolute_uri("/"),
            )
            if sent:
                messages.success(
                    request,
                    ngettext(
                        "We sent %(count)d sign-up link.",
                        "We sent %(count)d sign-up links.",
                        sent,
                    )
                    % {"count": sent},
                )
            if failed:
                messages.error(
                    request,
                    ngettext(
                        "%(count)d email could not be sent; that address is still waiting.",
                        "%(count)d emails could not be sent; those addresses are still waiting.",
                        failed,
                    )
                    % {"count": failed},
                )
            return redirect("community:signup_queue")
    invited = SignupRequest.objects.filter(state=SignupRequest.State.INVITED).count()
    return render(
        request,
        "community/signup_queue.html",
        {"page": page, "form": form, "invited": invited, "waiting": page.paginator.count},
        status=400 if form.errors else 200,
    )


def signup_closed(request: HttpRequest) -> HttpResponse:
    status = 403 if request.method == "POST" else 200
    return render(request, "community/signup_closed.html", status=status)
