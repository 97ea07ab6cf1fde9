"""Reports and what moderators do with them. Every moderation action writes the audit log."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from storyhouse.accounts.models import User
from storyhouse.engagement.models import Comment
from storyhouse.engagement.services import notify_moderation
from storyhouse.stories import access
from storyhouse.stories.models import Part, PartState, Story, Visibility

from .models import AuditEntry, BannedAddress, Report, address_key
from .roles import Action


@dataclass
class Reported:
    """The thing a report is about, as the queue and the reporter's list show it."""

    kind: str
    thing: object
    label: str
    url: str
    text: str = ""  # a comment's words, for context


def reported(kind: str, object_id: int) -> Reported | None:
    """The reported thing, or None when it is gone."""
    if kind == Report.Kind.STORY:
        story = Story.objects.filter(pk=object_id).first()
        return story and Reported(kind, story, story.title, story.get_absolute_url())
    if kind == Report.Kind.PART:
        part = Part.objects.select_related("story").filter(pk=object_id).first()
        return part and Reported(
            kind, part, f"{part.title} · {part.story.title}", part.get_absolute_url()
        )
    if kind == Report.Kind.COMMENT:
        comment = (
            Comment.objects.select_related("part__story", "author").filter(pk=object_id).first()
        )
        if comment is None:
            return None
        by = comment.author.name if comment.author else _("a former reader")
        label = _("A comment by %(name)s on %(part)s") % {"name": by, "part": comment.part.title}
        url = f"{comment.part.get_absolute_url()}#comment-{comment.pk}"
        return Reported(kind, comment, label, url, comment.body)
    if kind == Report.Kind.PROFILE:
        person = User.objects.filter(pk=object_id).first()
        return person and Reported(kind, person, person.name, person.get_absolute_url())
    return None


def may_see(user: User, found: Reported) -> bool:
    """Whether the reporter can see what they report (nobody reports what they cannot see)."""
    thing = found.thing
    if found.kind == Report.Kind.STORY:
        return access.can_view_story(user, thing)
    if found.kind == Report.Kind.PART:
        return access.can_view_part(user, thing)
    if found.kind == Report.Kind.COMMENT:
        return not thing.is_deleted and not thing.is_held and access.can_view_part(user, thing.part)
    return thing.is_active


def audit(actor: User, action: str, target: str, reason: str = "") -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor, actor_name=actor.username, action=action, target=target, reason=reason
    )


def report_file(
    *, reporter: User, kind: str, object_id: int, reason: str, note: str = ""
) -> Report:
    """File a report. One open report per reporter per thing: a second is refused."""
    if not access.can_report(reporter):
        raise PermissionDenied(_("Sign in to report something."))
    found = reported(kind, object_id)
    if found is None or not may_see(reporter, found):
        raise ValidationError(_("That is not here any more."), code="gone")
    if kind == Report.Kind.PROFILE and found.thing.pk == reporter.pk:
        raise ValidationError(_("You cannot report yourself."), code="self")
    try:
        with transaction.atomic():
            return Report.objects.create(
                reporter=reporter,
                kind=kind,
                object_id=object_id,
                reason=reason,
                note=note.strip(),
            )
    except IntegrityError:
        raise ValidationError(
            _("You have reported this already: a moderator will look at it."), code="twice"
        ) from None


@transaction.atomic
def report_dismiss(*, moderator: User, report: Report, answer: str) -> Report:
    """Close a report with no action, telling the reporter why."""
    if not access.may_moderate(moderator, Action.DISMISS_REPORTS):
        raise PermissionDenied
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if locked.state != Report.State.OPEN:
        raise ValidationError(_("Another moderator has closed this report."), code="closed")
    locked.state = Report.State.DISMISSED
    locked.answer = answer.strip()
    locked.closed_at = timezone.now()
    locked.closed_by = moderator
    locked.save(update_fields=["state", "answer", "closed_at", "closed_by"])
    found = reported(locked.kind, locked.object_id)
    _tell_reporters(
        [locked],
        found,
        _("The moderators looked at your report about %(thing)s and took no action: %(answer)s")
        % {"thing": found.label if found else "", "answer": locked.answer},
    )
    audit(moderator, "dismissed a report", f"report {locked.pk} ({locked})", locked.answer)
    return locked


def _part_of(found: Reported | None) -> Part | None:
    """The part a notice about the reported thing points to (a profile has none)."""
    if found is None:
        return None
    if found.kind == Report.Kind.COMMENT:
        return found.thing.part
    if found.kind == Report.Kind.PART:
        return found.thing
    if found.kind == Report.Kind.STORY:
        return found.thing.parts.order_by("position", "id").first()
    return None


def _tell_reporters(reports: list[Report], found: Reported | None, note: str) -> None:
    part = _part_of(found)
    if part is None:
        return  # their reports page says what happened
    comment = found.thing if found.kind == Report.Kind.COMMENT else None
    for reporter in {report.reporter for report in reports}:
        notify_moderation(recipient=reporter, part=part, comment=comment, note=note)


def _close(kind: str, object_id: int, moderator: User, answer: str) -> list[Report]:
    """Mark every open report of the thing acted on; returns them."""
    reports = list(
        Report.objects.select_related("reporter").filter(
            kind=kind, object_id=object_id, state=Report.State.OPEN
        )
    )
    Report.objects.filter(pk__in=[report.pk for report in reports]).update(
        state=Report.State.ACTED, answer=answer, closed_at=timezone.now(), closed_by=moderator
    )
    return reports


@transaction.atomic
def comment_hide(*, moderator: User, comment: Comment, reason: str) -> Comment:
    """Hide a comment: from then on only its writer (marked, with the reason) and moderators
    see it; it leaves the part's comment count. Closes the reports of it as acted on."""
    from storyhouse.engagement.services import comment_hidden_record

    if not access.may_moderate(moderator, Action.HIDE_CONTENT):
        raise PermissionDenied
    locked = Comment.objects.select_for_update().select_related("part").get(pk=comment.pk)
    if locked.is_deleted:
        raise ValidationError(_("That comment was deleted."), code="deleted")
    reason = reason.strip()
    if not locked.is_hidden:
        locked.hidden_at = timezone.now()
        locked.hidden_reason = reason
        locked.save(update_fields=["hidden_at", "hidden_reason"])
        comment_hidden_record(locked, hidden=True)
        if locked.author is not None:
            notify_moderation(
                recipient=locked.author,
                part=locked.part,
                comment=locked,
                note=_("The moderators hid your comment on %(part)s. Why: %(reason)s")
                % {"part": locked.part.title, "reason": reason},
            )
    reports = _close(Report.Kind.COMMENT, locked.pk, moderator, reason)
    _tell_reporters(
        reports,
        reported(Report.Kind.COMMENT, locked.pk),
        _("The moderators hid a comment you reported on %(part)s. Why: %(reason)s")
        % {"part": locked.part.title, "reason": reason},
    )
    audit(moderator, "hid a comment", f"comment {locked.pk} on part {locked.part_id}", reason)
    return locked


@transaction.atomic
def story_hide(*, moderator: User, story: Story, reason: str) -> Story:
    """Hide a book: from then on only its writers (who see why) and moderators can open it,
    it leaves every list and search, and its writers cannot show it again themselves."""
    from storyhouse.stories.services import story_save

    if not access.may_moderate(moderator, Action.HIDE_CONTENT):
        raise PermissionDenied
    reason = reason.strip()
    locked = Story.objects.select_for_update().get(pk=story.pk)
    if locked.visibility != Visibility.HIDDEN:
        locked.visibility, locked.hidden_reason = Visibility.HIDDEN, reason
        story_save(locked)
        part = locked.parts.order_by("position", "id").first()
        if part is not None:
            for writer in User.objects.filter(authorship__story=locked, authorship__accepted=True):
                notify_moderation(
                    recipient=writer,
                    part=part,
                    note=_("The moderators hid your story %(title)s. Why: %(reason)s")
                    % {"title": locked.title, "reason": reason},
                )
    found = reported(Report.Kind.STORY, locked.pk)
    reports = _close(Report.Kind.STORY, locked.pk, moderator, reason)
    _tell_reporters(
        reports,
        found,
        _("The moderators hid a story you reported, %(title)s. Why: %(reason)s")
        % {"title": locked.title, "reason": reason},
    )
    audit(moderator, "hid a story", f"story {locked.pk} ({locked.title})", reason)
    return locked


@transaction.atomic
def part_hide(*, moderator: User, part: Part, reason: str) -> Part:
    """Hide one part of a book: it goes back to a draft its writers cannot publish again, so
    readers see the rest of the book without it; its writers (who see why) and moderators
    still open it."""
    from storyhouse.stories.services import part_save

    if not access.may_moderate(moderator, Action.HIDE_CONTENT):
        raise PermissionDenied
    reason = reason.strip()
    locked = Part.objects.select_for_update().select_related("story").get(pk=part.pk)
    if locked.hidden_at is None:
        locked.state = PartState.DRAFT
        part_save(locked)
        Part.objects.filter(pk=locked.pk).update(hidden_at=timezone.now(), hidden_reason=reason)
        locked.refresh_from_db(fields=["hidden_at", "hidden_reason"])
        for writer in User.objects.filter(
            authorship__story=locked.story, authorship__accepted=True
        ):
            notify_moderation(
                recipient=writer,
                part=locked,
                note=_("The moderators hid your part %(title)s. Why: %(reason)s")
                % {"title": locked.title, "reason": reason},
            )
    found = reported(Report.Kind.PART, locked.pk)
    reports = _close(Report.Kind.PART, locked.pk, moderator, reason)
    _tell_reporters(
        reports,
        found,
        _("The moderators hid a part you reported, %(title)s. Why: %(reason)s")
        % {"title": locked.title, "reason": reason},
    )
    audit(moderator, "hid a part", f"part {locked.pk} ({locked.title})", reason)
    return locked


@transaction.atomic
def story_require_warning(*, moderator: User, story: Story, reason: str) -> Story:
    """Take a book out of every list until its writer changes its rating or warnings
    (stories.services.story_desk_save puts it back); it stays readable as before."""
    from storyhouse.stories.services import story_save

    if not access.may_moderate(moderator, Action.REQUIRE_WARNINGS):
        raise PermissionDenied
    reason = reason.strip()
    locked = Story.objects.select_for_update().get(pk=story.pk)
    if locked.visibility not in (Visibility.PUBLIC, Visibility.MEMBERS):
        raise ValidationError(_("That story is not in lists now."), code="not_listed")
    locked.held_visibility, locked.visibility = locked.visibility, Visibility.HELD
    locked.hidden_reason = reason
    story_save(locked)
    part = locked.parts.order_by("position", "id").first()
    if part is not None:
        for writer in User.objects.filter(authorship__story=locked, authorship__accepted=True):
            notify_moderation(
                recipient=writer,
                part=part,
                note=_(
                    "The moderators ask you to add a warning or rating to %(title)s: until "
                    "you do, it is out of lists. Why: %(reason)s"
                )
                % {"title": locked.title, "reason": reason},
            )
    found = reported(Report.Kind.STORY, locked.pk)
    reports = _close(Report.Kind.STORY, locked.pk, moderator, reason)
    _tell_reporters(
        reports,
        found,
        _("The moderators asked for a warning or rating on %(title)s. Why: %(reason)s")
        % {"title": locked.title, "reason": reason},
    )
    audit(moderator, "required a warning", f"story {locked.pk} ({locked.title})", reason)
    return locked


# Accounts: warn, suspend for a time, ban.


def address_banned(email: str) -> bool:
    """Whether this address, or a variant of it (dots, a +tag), belongs to a banned account."""
    return bool(email) and BannedAddress.objects.filter(key=address_key(email)).exists()


def _tell_by_email(person: User, subject: str, body: str) -> None:
    if access.may_receive_email(person):
        send_mail(subject, body, None, [person.email], fail_silently=True)


def _may_act_on(moderator: User, person: User, action: Action) -> None:
    if not access.may_moderate(moderator, action):
        raise PermissionDenied
    if person.pk == moderator.pk:
        raise ValidationError(_("You cannot do that to your own account."), code="self")
    if person.is_superuser or access.is_moderator(person):
        raise ValidationError(
            _("Moderators and admins are not moderated here: ask an admin."), code="moderator"
        )


@transaction.atomic
def account_warn(*, moderator: User, person: User, reason: str) -> None:
    _may_act_on(moderator, person, Action.WARN_ACCOUNTS)
    reason = reason.strip()
    _close(Report.Kind.PROFILE, person.pk, moderator, reason)
    audit(moderator, "warned an account", f"account {person.username}", reason)
    _tell_by_email(
        person,
        _("A warning from the moderators"),
        _("The moderators have warned your account.\n\nWhy: %(reason)s") % {"reason": reason},
    )


@transaction.atomic
def account_suspend(*, moderator: User, person: User, days: int, reason: str) -> User:
    """For `days`, the account reads but cannot post, vote or comment."""
    _may_act_on(moderator, person, Action.SUSPEND_ACCOUNTS)
    reason = reason.strip()
    person.suspended_until = timezone.now() + datetime.timedelta(days=days)
    person.save(update_fields=["suspended_until"])
    _close(Report.Kind.PROFILE, person.pk, moderator, reason)
    audit(moderator, f"suspended an account for {days} days", f"account {person.username}", reason)
    _tell_by_email(
        person,
        _("Your account is suspended"),
        _(
            "The moderators have suspended your account until %(until)s: you can read, but "
            "not post, vote or comment until then.\n\nWhy: %(reason)s"
        )
        % {"until": person.suspended_until.strftime("%Y-%m-%d %H:%M"), "reason": reason},
    )
    return person


@transaction.atomic
def account_ban(*, moderator: User, person: User, reason: str) -> User:
    """The account cannot sign in again, and its address cannot sign up again."""
    _may_act_on(moderator, person, Action.BAN_ACCOUNTS)
    reason = reason.strip()
    _tell_by_email(
        person,
        _("Your account is banned"),
        _("The moderators have banned your account.\n\nWhy: %(reason)s") % {"reason": reason},
    )
    person.banned_at = timezone.now()
    person.is_active = False  # signed out everywhere: Django refuses inactive accounts
    person.save(update_fields=["banned_at", "is_active"])
    for address in {person.email, person.pending_email} - {""}:
        BannedAddress.objects.get_or_create(key=address_key(address))
    _close(Report.Kind.PROFILE, person.pk, moderator, reason)
    audit(moderator, "banned an account", f"account {person.username}", reason)
    return person
