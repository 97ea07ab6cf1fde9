"""Reporting (any signed-in reader), a reporter's own reports, and the moderators' queue and
audit log. Moderation pages do not exist for anyone else: a 404."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from storyhouse import ratelimit
from storyhouse.accounts.models import User
from storyhouse.stories import access
from storyhouse.stories.models import Visibility

from . import services
from .forms import AccountActionForm, DismissForm, HideForm, QueueFilter, ReportForm
from .models import AuditEntry, Report
from .roles import Action

HIDEABLE = {
    Report.Kind.COMMENT: lambda moderator, comment, reason: services.comment_hide(
        moderator=moderator, comment=comment, reason=reason
    ),
    Report.Kind.PART: lambda moderator, part, reason: services.part_hide(
        moderator=moderator, part=part, reason=reason
    ),
    Report.Kind.STORY: lambda moderator, story, reason: services.story_hide(
        moderator=moderator, story=story, reason=reason
    ),
}


def _is_hidden(found: services.Reported) -> bool:
    if found.kind == Report.Kind.STORY:
        return found.thing.visibility == Visibility.HIDDEN
    if found.kind == Report.Kind.PART:
        return found.thing.hidden_at is not None
    return found.thing.is_hidden


def _account_of(found: services.Reported | None) -> User | None:
    """Whose account a reported thing is: the profile, or the comment's writer."""
    if found is None:
        return None
    if found.kind == Report.Kind.PROFILE:
        return found.thing
    if found.kind == Report.Kind.COMMENT:
        return found.thing.author
    return None


def _moderator(request: HttpRequest, action: Action) -> None:
    if not access.may_moderate(request.user, action):
        raise Http404


@require_http_methods(["GET", "POST"])
@login_required
def report_new(request: HttpRequest, kind: str, object_id: int) -> HttpResponse:
    if kind not in Report.Kind.values:
        raise Http404
    found = services.reported(kind, object_id)
    if found is None or not services.may_see(request.user, found):
        raise Http404
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ratelimit.check(request, "report")  # over REPORTS_PER_HOUR: a 429 page
        try:
            services.report_file(
                reporter=request.user, kind=kind, object_id=object_id, **form.cleaned_data
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error.messages[0] if hasattr(error, "messages") else str(error))
        else:
            messages.success(
                request, _("Thank you: the moderators will look at it. You can follow it here.")
            )
            return redirect("moderation:reports")
    return render(request, "moderation/report_form.html", {"form": form, "found": found})


@login_required
def my_reports(request: HttpRequest) -> HttpResponse:
    reports = Report.objects.filter(reporter=request.user).order_by("-created_at", "-id")
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    rows = [(report, services.reported(report.kind, report.object_id)) for report in page]
    return render(request, "moderation/reports.html", {"page": page, "rows": rows})


def queue(request: HttpRequest) -> HttpResponse:
    _moderator(request, Action.WORK_QUEUE)
    chosen = QueueFilter(request.GET or {"state": Report.State.OPEN})
    reports = Report.objects.select_related("reporter").order_by("created_at", "id")
    if chosen.is_valid():
        if chosen.cleaned_data["reason"]:
            reports = reports.filter(reason=chosen.cleaned_data["reason"])
        if chosen.cleaned_data["state"]:
            reports = reports.filter(state=chosen.cleaned_data["state"])
        days = QueueFilter.AGES.get(chosen.cleaned_data["age"])
        if days:
            reports = reports.filter(created_at__gte=timezone.now() - datetime.timedelta(days))
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    rows = [(report, services.reported(report.kind, report.object_id)) for report in page]
    return render(request, "moderation/queue.html", {"filter": chosen, "page": page, "rows": rows})


@require_http_methods(["GET", "POST"])
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    _moderator(request, Action.WORK_QUEUE)
    report = get_object_or_404(Report.objects.select_related("reporter"), pk=report_id)
    found = services.reported(report.kind, report.object_id)
    doing = request.POST.get("do") if request.method == "POST" else None
    dismiss = DismissForm(request.POST if doing == "dismiss" else None)
    hide = HideForm(request.POST if doing in ("hide", "warning") else None)
    if doing == "dismiss" and dismiss.is_valid():
        try:
            services.report_dismiss(
                moderator=request.user, report=report, answer=dismiss.cleaned_data["answer"]
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            dismiss.add_error(None, error.messages[0])
        else:
            messages.success(request, _("The report is dismissed; the reporter can see why."))
            return redirect("moderation:queue")
    if doing == "warning" and hide.is_valid() and found and report.kind == Report.Kind.STORY:
        try:
            services.story_require_warning(
                moderator=request.user, story=found.thing, reason=hide.cleaned_data["reason"]
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            hide.add_error(None, error.messages[0])
        else:
            messages.success(request, _("The story is out of lists until its writer adds it."))
            return redirect("moderation:queue")
    if doing == "hide" and hide.is_valid() and found and report.kind in HIDEABLE:
        try:
            HIDEABLE[report.kind](request.user, found.thing, hide.cleaned_data["reason"])
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as error:
            hide.add_error(None, error.messages[0])
        else:
            messages.success(request, _("It is hidden; its writer can see why."))
            return redirect("moderation:queue")
    others = Report.objects.filter(kind=report.kind, object_id=report.object_id).exclude(
        pk=report.pk
    )
    context = {
        "report": report,
        "found": found,
        "dismiss": dismiss,
        "hide": hide,
        "others": others.count(),
        "account": _account_of(found),
        "may_require_warning": report.kind == Report.Kind.STORY
        and found is not None
        and found.thing.visibility in (Visibility.PUBLIC, Visibility.MEMBERS)
        and access.may_moderate(request.user, Action.REQUIRE_WARNINGS),
        "may_dismiss": access.may_moderate(request.user, Action.DISMISS_REPORTS),
        "may_hide": report.kind in HIDEABLE
        and found is not None
        and not _is_hidden(found)
        and access.may_moderate(request.user, Action.HIDE_CONTENT),
    }
    return render(request, "moderation/report_detail.html", context)


def audit_log(request: HttpRequest) -> HttpResponse:
    _moderator(request, Action.READ_AUDIT_LOG)
    page = Paginator(AuditEntry.objects.all(), 100).get_page(request.GET.get("page"))
    return render(request, "moderation/audit_log.html", {"page": page})


ACCOUNT_ACTIONS = {
    "warn": Action.WARN_ACCOUNTS,
    "suspend": Action.SUSPEND_ACCOUNTS,
    "ban": Action.BAN_ACCOUNTS,
}


@require_http_methods(["GET", "POST"])
def account(request: HttpRequest, username: str) -> HttpResponse:
    """One account as moderators see it, with what they may do to it."""
    _moderator(request, Action.WORK_QUEUE)
    person = get_object_or_404(User, username=username)
    form = AccountActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        do, reason = form.cleaned_data["do"], form.cleaned_data["reason"]
        try:
            if do == "warn":
                services.account_warn(moderator=request.user, person=person, reason=reason)
            elif do == "suspend":
                days = form.cleaned_data["days"] or 7
                services.account_suspend(
                    moderator=request.user, person=person, days=days, reason=reason
                )
            else:
                services.account_ban(moderator=request.user, person=person, reason=reason)
        except PermissionDenied:
            form.add_error(None, _("Your role does not let you do that."))
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        else:
            messages.success(request, _("Done; the audit log keeps it."))
            return redirect("moderation:account", username=person.username)
    context = {
        "person": person,
        "form": form,
        "suspended": access.is_suspended(person),
        "log": AuditEntry.objects.filter(target=f"account {person.username}")[:20],
        "reports": Report.objects.filter(kind=Report.Kind.PROFILE, object_id=person.pk).count(),
    }
    return render(request, "moderation/account.html", context)
