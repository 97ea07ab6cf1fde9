"""Accounts pages: sign-up and email confirmation, login, settings, preferences, deletion,
and the public author page. Parse, call a service, render."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from storyhouse import ratelimit
from storyhouse.community import services as community
from storyhouse.community import views as community_views
from storyhouse.stories import access, queries
from storyhouse.stories.models import Authorship, Story, Tag
from storyhouse.stories.series import series_of_writer

from . import services, tokens, your_data
from .forms import (
    AdultContentForm,
    DeleteAccountForm,
    EmailChangeForm,
    LoginForm,
    ProfileForm,
    SignupForm,
    TagForm,
    TokenForm,
)
from .models import PersonalToken, User

PAGE_SIZE = 20
TAG_RESULTS = 20
# A person may ask for a new confirmation link once a minute.
RESEND_EVERY = 60


def site_url(request: HttpRequest) -> str:
    """This site's address as the person reached it, for links in emails."""
    return request.build_absolute_uri("/")


def author_detail(request: HttpRequest, username: str) -> HttpResponse:
    author = get_object_or_404(User, username=username, is_active=True)
    stories = queries.stories_by_author(request.user, author).order_by("-updated_at", "-id")
    page = Paginator(queries.with_card_data(stories), PAGE_SIZE).get_page(request.GET.get("page"))
    writer_series = series_of_writer(request.user, author)
    return render(
        request,
        "accounts/author.html",
        {
            "author": author,
            "page": page,
            "writer_series": writer_series,
            "muted": access.mutes_writer(request.user, author),
        },
    )


# Signing up and confirming an address


def signup(request: HttpRequest) -> HttpResponse:
    """Sign-up as STORYHOUSE_SIGNUP says: the form (open), a place in the queue (invite), or
    a page saying sign-ups are closed."""
    if request.user.is_authenticated:
        return redirect("home")
    if settings.STORYHOUSE_SIGNUP == "closed":
        return community_views.signup_closed(request)
    if settings.STORYHOUSE_SIGNUP == "invite":
        return community_views.signup_request(request)
    return _signup_form(request, invitation_token="")


def signup_invited(request: HttpRequest, token: str) -> HttpResponse:
    """The link an invitation email carries: the sign-up form, for one account."""
    if request.user.is_authenticated:
        return redirect("home")
    if settings.STORYHOUSE_SIGNUP == "closed":
        return community_views.signup_closed(request)
    if settings.STORYHOUSE_SIGNUP == "open":
        return redirect("accounts:signup")
    return _signup_form(request, invitation_token=token)


def _signup_form(request: HttpRequest, *, invitation_token: str) -> HttpResponse:
    invited_email = ""
    if invitation_token:
        try:
            invited_email = community.invitation_check(invitation_token).email
        except community.InvitationError as error:
            return render(
                request, "community/invitation_failed.html", {"reason": str(error)}, status=400
            )
    form = SignupForm(request.POST or None, invited_email=invited_email)
    context = {"form": form, "invited": bool(invitation_token)}
    if request.method == "POST" and form.is_valid():
        if form.caught:
            # The field people never see was filled in: a robot. Refused quietly, as if the
            # form had gone through, so it learns nothing.
            return redirect("home")
        try:
            ratelimit.check(request, "signup")
        except ratelimit.RateLimited as error:
            form.add_error(
                None,
                _(
                    "Many accounts were made from your address in the last hour. "
                    "Please try again later."
                ),
            )
            response = render(request, "accounts/signup.html", context, status=429)
            response["Retry-After"] = str(error.wait)
            return response
        fields = {
            "username": form.cleaned_data["username"],
            "email": form.cleaned_data["email"],
            "password": form.cleaned_data["password1"],
            "site_url": site_url(request),
        }
        try:
            if invitation_token:
                user = community.account_signup_invited(token=invitation_token, **fields)
            else:
                user = services.account_signup(**fields)
        except community.InvitationError as error:
            return render(
                request, "community/invitation_failed.html", {"reason": str(error)}, status=400
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(request, user)
            return redirect("accounts:verify_sent")
    return render(request, "accounts/signup.html", context)


@login_required
def verify_sent(request: HttpRequest) -> HttpResponse:
    """ "Check your email", with a button that sends the link again."""
    user = request.user
    if request.method == "POST":
        if user.email_verified and not user.pending_email:
            messages.info(request, _("Your email address is already confirmed."))
        elif not cache.add(f"verify-resend:{user.pk}", True, RESEND_EVERY):
            messages.warning(
                request,
                _("We sent a link less than a minute ago. Give it a moment, then look again."),
            )
        elif services.verification_send(user, site_url=site_url(request)):
            messages.success(
                request,
                _("We sent a new link to %(email)s.") % {"email": user.pending_email or user.email},
            )
        else:
            messages.error(request, _("We could not send the email just now. Try again later."))
        return redirect("accounts:verify_sent")
    return render(request, "accounts/verify_sent.html")


def verify(request: HttpRequest, token: str) -> HttpResponse:
    """A link from a confirmation email: shows what it confirms, and confirms on POST (so
    mail scanners that open links do not confirm for the person)."""
    try:
        if request.method == "POST":
            user = services.email_verify(token)
        else:
            user, email = services.verification_check(token)
    except services.VerificationError as error:
        return render(request, "accounts/verify_failed.html", {"reason": str(error)}, status=400)
    if request.method != "POST":
        return render(request, "accounts/verify_confirm.html", {"account": user, "email": email})
    messages.success(
        request, _("Thank you: %(email)s is confirmed. You can post now.") % {"email": user.email}
    )
    if request.user.is_authenticated and request.user.pk == user.pk:
        return redirect("accounts:settings")
    return redirect("accounts:login")


# Signing in and out


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            ratelimit.check(request, "signin")
        except ratelimit.RateLimited as error:
            # Not checked at all (a bound form would try the password): shown again, unbound.
            form = self.get_form_class()(
                request, initial={"username": request.POST.get("username", "")[:150]}
            )
            context = self.get_context_data(form=form, rate_limited=ratelimit.message(error))
            response = self.render_to_response(context, status=429)
            response["Retry-After"] = str(error.wait)
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form: LoginForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.throttled:
            response.status_code = 429
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:settings")

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is changed."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    email_template_name = "accounts/email/password_reset_body.txt"
    success_url = reverse_lazy("accounts:password_reset_done")
    extra_email_context = {"site_name": settings.SITE_NAME}

    def form_valid(self, form) -> HttpResponse:
        # Per address asking and per address asked for: nobody floods a stranger's inbox.
        asked = form.cleaned_data["email"].strip().lower()
        try:
            ratelimit.check(self.request, "password-reset", also=[asked])
        except ratelimit.RateLimited as error:
            form.add_error(
                None,
                _(
                    "We sent several reset links in the last hour. Please look for them in your "
                    "email, or try again later."
                ),
            )
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(error.wait)
            return response
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        services.email_mark_verified(form.user)
        return response


# Settings


def settings_page(
    request: HttpRequest,
    *,
    profile_form: ProfileForm | None = None,
    email_form: EmailChangeForm | None = None,
    token_form: TokenForm | None = None,
    new_token: str = "",
) -> HttpResponse:
    return render(
        request,
        "accounts/settings.html",
        {
            "profile_form": profile_form or ProfileForm(instance=request.user),
            "email_form": email_form or EmailChangeForm(user=request.user),
            "hidden_count": request.user.hidden_tags.count(),
            "token_form": token_form or TokenForm(),
            "tokens": request.user.tokens.all(),
            "new_token": new_token,
            "site": site_url(request),
            "releases_invitations": settings.STORYHOUSE_SIGNUP == "invite"
            and access.can_release_invitations(request.user),
        },
    )


@login_required
def account_settings(request: HttpRequest) -> HttpResponse:
    """Profile (display name, bio), with the email, password and deletion sections."""
    if request.method != "POST":
        return settings_page(request)
    # A copy of the account, so a refused form does not rename the person on this very page.
    form = ProfileForm(request.POST, instance=User.objects.get(pk=request.user.pk))
    if not form.is_valid():
        return settings_page(request, profile_form=form)
    services.profile_update(
        request.user,
        display_name=form.cleaned_data["display_name"],
        bio=form.cleaned_data["bio"],
    )
    messages.success(request, _("Your profile is saved."))
    return redirect("accounts:settings")


@login_required
@require_POST
def email_change(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST, user=request.user)
    if not form.is_valid():
        return settings_page(request, email_form=form)
    try:
        user = services.email_change(
            request.user, email=form.cleaned_data["email"], site_url=site_url(request)
        )
    except ValidationError as error:
        form.add_error("email", error)
        return settings_page(request, email_form=form)
    if user.pending_email:
        messages.success(
            request,
            _(
                "We sent a link to %(email)s. Your address changes when you follow it; until "
                "then we keep using %(current)s."
            )
            % {"email": user.pending_email, "current": user.email},
        )
    else:
        messages.info(request, _("Your email address stays %(email)s.") % {"email": user.email})
    return redirect("accounts:settings")


# Personal tokens


@login_required
@require_POST
def token_new(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        return settings_page(request, token_form=form)
    try:
        _token, raw = tokens.token_create(request.user, form.cleaned_data["name"])
    except ValidationError as error:
        form.add_error(None, error)
        return settings_page(request, token_form=form)
    # Shown on this page only, never stored or sent again: not through a redirect and the
    # session, where the key would linger.
    response = settings_page(request, new_token=raw)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = get_object_or_404(PersonalToken, pk=token_id, user=request.user)
    tokens.token_revoke(token)
    messages.success(
        request, _("The token “%(name)s” is revoked: it no longer works.") % {"name": token.name}
    )
    return redirect(reverse("accounts:settings") + "#tokens-heading")


# Your data


@login_required
def your_data_download(request: HttpRequest) -> HttpResponse:
    """A page saying what the zip holds; its button (a POST, so no other site can make the
    server build one) sends the zip."""
    if request.method != "POST":
        return render(request, "accounts/your_data.html")
    archive = your_data.your_data_zip(request.user, site=site_url(request))
    name = f"storyhouse-{request.user.username}-{timezone.localdate():%Y-%m-%d}.zip"
    return FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")


# Reader preferences


def tag_search(user: User, query: str) -> list[Tag]:
    """Tags whose name holds the words typed, canonical ones first; hidden ones left out."""
    query = " ".join(query.split())
    if not query:
        return []
    hidden = access.hidden_tags(user).values("id")
    tags = (
        Tag.objects.filter(name__icontains=query)
        .exclude(id__in=hidden)
        .select_related("synonym_of")
        .order_by("-canonical", "name")
    )
    return list(tags[:TAG_RESULTS])


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Tags and warnings to hide: a search box to find them, a button to hide or show each."""
    query = request.POST.get("q", request.GET.get("q", ""))[:100]
    if request.method == "POST" and "adult" in request.POST:
        adult = AdultContentForm(request.POST)
        adult.is_valid()  # a checkbox: unticked or missing is False, never an error
        show = adult.cleaned_data.get("shows_adult_content", False)
        services.preferences_adult_content(request.user, show=show)
        if show:
            messages.success(request, _("Mature and Explicit stories open without asking now."))
        else:
            messages.success(request, _("Mature and Explicit stories will ask before they open."))
        return HttpResponseRedirect(reverse("accounts:preferences"))
    if request.method == "POST":
        form = TagForm(request.POST)
        if form.is_valid():
            tag = form.cleaned_data["tag"]
            if "show" in request.POST:
                services.preferences_show_tag(request.user, tag)
                messages.success(request, _("%(tag)s shows again.") % {"tag": tag.filter_tag})
            else:
                hidden = services.preferences_hide_tag(request.user, tag)
                messages.success(request, _("%(tag)s is hidden now.") % {"tag": hidden})
            url = reverse("accounts:preferences")
            return HttpResponseRedirect(f"{url}?{urlencode({'q': query})}" if query else url)
        messages.error(request, _("That tag no longer exists."))
    context = {"query": query, "results": tag_search(request.user, query)}
    if request.headers.get("HX-Request"):
        return render(request, "accounts/includes/tag_results.html", context)
    hidden = request.user.hidden_tags.annotate(synonym_count=Count("synonyms")).order_by(
        "type", "name"
    )
    adult = AdultContentForm(initial={"shows_adult_content": request.user.shows_adult_content})
    return render(
        request, "accounts/preferences.html", {**context, "hidden": hidden, "adult_form": adult}
    )


# Leaving


@login_required
def account_delete(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = DeleteAccountForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        services.account_delete(
            user, keep_stories=form.cleaned_data["stories"] == DeleteAccountForm.KEEP
        )
        logout(request)
        messages.success(request, _("Your account is deleted. Thank you for being here."))
        return redirect("home")
    mine = Authorship.objects.filter(user=user, accepted=True).values("story_id")
    sizes = list(
        Story.objects.filter(id__in=mine)
        .annotate(authors_count=Count("authorship", filter=Q(authorship__accepted=True)))
        .values_list("authors_count", flat=True)
    )
    counts = {"own": sizes.count(1), "shared": len(sizes) - sizes.count(1)}
    return render(request, "accounts/delete.html", {"form": form, **counts})
