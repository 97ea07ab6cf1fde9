"""Writes that readers cause: reads, votes, comments, libraries, reading lists, progress,
follows and notifications. Views, admin, commands and tests all call these.

Cached counts on parts and books change in the same transaction as the rows they count,
with F() expressions, so concurrent requests never lose an update.
"""

import datetime
import logging
import re
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from storyhouse.accounts.models import User
from storyhouse.stats import sources
from storyhouse.stories import access
from storyhouse.stories.access import AnyUser
from storyhouse.stories.models import Change, CommentMode, Part, PartState, Story
from storyhouse.stories.services import accounts_changed, change_record

from . import paragraphs, read_buffer
from .models import (
    Comment,
    EmailChoice,
    EmailState,
    Follow,
    LibraryEntry,
    Notification,
    NotificationKind,
    NotificationSettings,
    PartProgress,
    ReadingList,
    ReadingListEntry,
    Vote,
)
from .readers import is_bot, reader_key
from .text import clean_comment

log = logging.getLogger(__name__)

# A reader who opens again the part they read last, within this long, leaves its stored
# time as it was (progress_opened): no write for every page view.
PROGRESS_REOPEN_QUIET = datetime.timedelta(minutes=5)


# Reads


def read_record(*, part: Part, request: HttpRequest) -> bool:
    """Count a read of `part` if this reader has not read it today. Returns whether it counted.

    The read goes into this process's read buffer, written within READS_FLUSH_SECONDS (at
    once with READS_BUFFERED off); the database drops a read another process counted first."""
    if request.method != "GET" or is_bot(request):
        return False
    if not part.is_published:
        return False  # an author looking over a draft; books count published parts only
    reader = reader_key(request)
    if reader is None:
        return False
    if request.user.is_authenticated and access.is_author(request.user, part.story):
        return False  # writers rereading their own work are not readers of it
    user_id = request.user.pk if request.user.is_authenticated else None
    source = sources.kind_of(request.META.get("HTTP_REFERER", ""), request.get_host())
    taken = read_buffer.add(
        part_id=part.pk, story_id=part.story_id, reader=reader, user_id=user_id, source=source
    )
    if taken and not settings.READS_BUFFERED:
        read_buffer.flush()
    return taken


def _count(part: Part, field: str, delta: int) -> None:
    """Move a cached count on a part and, while the part is published, on its book: a book
    counts its published parts only (see stories.services.story_refresh)."""
    Part.objects.filter(pk=part.pk).update(**{field: F(field) + delta})
    published = Part.objects.filter(pk=part.pk, state=PartState.PUBLISHED).values("story_id")
    Story.objects.filter(pk__in=published).update(**{field: F(field) + delta})


def _engagement_record(part: Part) -> None:
    """A vote or a comment changed what the part's page shows (page caches follow this)."""
    change_record(kind=Change.Kind.ENGAGEMENT, object_id=part.pk, story_id=part.story_id)


def comment_hidden_record(comment: Comment, *, hidden: bool) -> None:
    """A moderator hid (or showed again) a comment: the part's count and pages follow."""
    _count(comment.part, "comments_count", -1 if hidden else 1)
    _engagement_record(comment.part)
    if comment.author_id is not None:
        accounts_changed([comment.author_id])


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


# Votes


@transaction.atomic
def vote_toggle(*, user: User, part: Part, voted: bool | None = None) -> tuple[bool, int]:
    """Vote for a part (voted=True), take the vote back (False), or switch (None).

    Returns (whether the person now votes for it, the part's vote count). Asking for what
    already is changes nothing, so a double click cannot count twice.
    """
    _require(access.can_engage_with_part(user, part), _("You cannot vote for this part."))
    mine = Vote.objects.filter(user=user, part=part)
    if voted is None:
        voted = not mine.exists()
    if voted:
        try:
            with transaction.atomic():
                Vote.objects.create(user=user, part=part)
            changed = True
        except IntegrityError:
            changed = False  # already voted, perhaps a moment ago in another request
    else:
        deleted, _kinds = mine.delete()
        changed = bool(deleted)
    if changed:
        _count(part, "votes_count", 1 if voted else -1)
        _engagement_record(part)
        accounts_changed([user.pk])
        _notify_vote(part=part, voter=user, delta=1 if voted else -1)
    count = Part.objects.values_list("votes_count", flat=True).get(pk=part.pk)
    return voted, count


# Comments


def _comment_text(body: str) -> str:
    text = clean_comment(body)
    if not text:
        raise ValidationError(_("Write something first."), code="empty")
    if len(text) > Comment.MAX_LENGTH:
        raise ValidationError(
            _("A comment can be at most %(limit)d characters long; this one has %(length)d.")
            % {"limit": Comment.MAX_LENGTH, "length": len(text)},
            code="too_long",
        )
    return text


# A comment with a web link, from a guest or from an account with fewer standing comments
# than this, waits for approval: the commonest spam is a new account's link.
NEW_ACCOUNT_COMMENTS = 3
LINK = re.compile(r"https?://|www\.", re.IGNORECASE)


def comment_waits_for_approval(author: AnyUser, part: Part, text: str) -> bool:
    """Whether a new comment is held until the book's writer approves it: on a book whose
    comments are held, and a first comment with a link. The book's writers and the
    moderators are never held."""
    if access.can_approve_comments(author, part.story):
        return False
    if part.story.comment_mode == CommentMode.HELD:
        return True
    if not LINK.search(text):
        return False
    if not author.is_authenticated:
        return True
    standing = Comment.objects.filter(author_id=author.pk, held_at=None, deleted_at=None)
    return standing.count() < NEW_ACCOUNT_COMMENTS


def comment_source(author: AnyUser, address_key: str = "") -> str:
    """What groups the comments one person sent, for the Spam action: their account, or
    (for a guest) a key made from their address that no address can be read back from."""
    return f"account:{author.pk}" if author.is_authenticated else f"guest:{address_key}"


@transaction.atomic
def comment_post(
    *,
    author: User | None,
    part: Part,
    body: str,
    parent: Comment | None = None,
    paragraph: str = "",
    guest_name: str = "",
    address_key: str = "",
) -> Comment:
    """Post a comment on a part, a reply to a comment, or a comment on one paragraph; as a
    guest (author None, with a name) where the book is open to guests. It may be held for
    the writer's approval (`comment_waits_for_approval`): counted and announced only then."""
    who = author if author is not None else AnonymousUser()
    _require(access.can_comment_on_part(who, part), _("You cannot comment on this part."))
    text = _comment_text(body)
    comment = Comment(part=part, author=author, body=text, source=comment_source(who, address_key))
    if author is None:
        comment.guest_name = " ".join(guest_name.split())[:60]
        if not comment.guest_name:
            raise ValidationError(_("Tell us a name to sign your comment with."), code="no_name")
    if parent is not None:
        if parent.part_id != part.pk:
            raise ValidationError(_("That comment is on another part."), code="wrong_part")
        if parent.is_deleted:
            raise ValidationError(_("That comment was deleted."), code="deleted")
        if parent.is_hidden:
            raise ValidationError(_("That comment is hidden."), code="hidden")
        _require(access.can_reply_to(who, parent), _("You cannot reply to this comment."))
        comment.parent = parent
        comment.root_id = parent.root_id or parent.pk
        comment.depth = parent.depth + 1
        comment.paragraph = parent.paragraph  # a reply belongs to the same paragraph
    elif paragraph:
        if paragraphs.paragraph(part.body, paragraph) is None:
            raise ValidationError(
                _("That paragraph is not in this part any more."), code="no_paragraph"
            )
        comment.paragraph = paragraph
    if comment_waits_for_approval(who, part, text):
        comment.held_at = timezone.now()
        comment.save()
        return comment
    comment.save()
    _comment_shown(comment)
    return comment


def _comment_shown(comment: Comment) -> None:
    """A comment now stands on its part: counted, on the part's pages, and announced."""
    _count(comment.part, "comments_count", 1)
    _engagement_record(comment.part)
    _notify_comment(comment)


@transaction.atomic
def comment_approve(*, user: User, comment: Comment) -> Comment:
    """The writer (or a moderator) lets a held comment stand."""
    _require(
        access.can_approve_comments(user, comment.part.story),
        _("You cannot approve comments on this book."),
    )
    updated = Comment.objects.filter(pk=comment.pk, held_at__isnull=False).update(held_at=None)
    comment.held_at = None
    if updated:  # not approved a moment ago in another tab
        _comment_shown(comment)
    return comment


def held_comments(user: AnyUser):
    """The comments waiting for this person's approval: on the books they write (and, for a
    moderator, on every book), oldest first."""
    held = Comment.objects.filter(held_at__isnull=False, deleted_at=None).select_related(
        "part", "part__story", "author"
    )
    if not access.is_moderator(user):
        held = held.filter(part__story__in=access.authored_stories(user))
    return held.order_by("held_at", "id")


@transaction.atomic
def comment_spam(*, user: User, comment: Comment) -> int:
    """Remove a comment as spam, and every comment held for this person's approval from the
    same source (account or guest). Returns how many went."""
    _require(
        access.can_approve_comments(user, comment.part.story),
        _("You cannot remove comments on this book."),
    )
    gone = 0
    others = held_comments(user).filter(source=comment.source).exclude(pk=comment.pk)
    if comment.source:
        for held in list(others):
            held.delete()  # never counted nor shown: nothing else to undo
            gone += 1
    if comment.is_held:
        comment.delete()
    else:
        _comment_remove(comment)
    return gone + 1


@transaction.atomic
def comment_mode_set_all(*, user: User, mode: str) -> int:
    """Who may comment, for every book this person writes at once. Returns how many changed."""
    if mode not in CommentMode.values:
        raise ValidationError(_("Choose who may comment."), code="no_mode")
    changed = list(
        access.authored_stories(user).exclude(comment_mode=mode).values_list("id", flat=True)
    )
    Story.objects.filter(id__in=changed).update(comment_mode=mode)
    for story_id in changed:  # their pages show the comment form, or not
        change_record(kind=Change.Kind.STORY, object_id=story_id, story_id=story_id)
    return len(changed)


@transaction.atomic
def thread_freeze(*, user: User, comment: Comment, frozen: bool = True) -> Comment:
    """Freeze a thread (no more replies or edits in it) or thaw it: its writers and moderators."""
    _require(access.can_freeze_thread(user, comment), _("You cannot freeze this thread."))
    comment.frozen_at = timezone.now() if frozen else None
    comment.save(update_fields=["frozen_at"])
    _engagement_record(comment.part)
    return comment


@transaction.atomic
def comment_edit(*, user: User, comment: Comment, body: str) -> Comment:
    _require(access.can_edit_comment(user, comment), _("You cannot edit this comment."))
    text = _comment_text(body)
    if text != comment.body:
        comment.body = text
        comment.edited_at = timezone.now()
        comment.save(update_fields=["body", "edited_at"])
        _engagement_record(comment.part)
    return comment


@transaction.atomic
def comment_delete(*, user: User, comment: Comment) -> None:
    """Delete a comment. One with replies stays as a marker, its text gone; one without goes
    entirely, and so do markers left with nothing under them."""
    _require(access.can_delete_comment(user, comment), _("You cannot delete this comment."))
    _comment_remove(comment)


def _comment_remove(comment: Comment) -> None:
    locked = Comment.objects.select_for_update().get(pk=comment.pk)
    if locked.is_deleted:
        return
    told = Notification.objects.filter(comment=locked)
    accounts_changed(told.values_list("recipient_id", flat=True))
    told.delete()
    if locked.replies.exists():
        locked.body = ""
        locked.deleted_at = timezone.now()
        locked.save(update_fields=["body", "deleted_at"])
    else:
        parent_id = locked.parent_id
        locked.delete()
        while parent_id is not None:
            parent = Comment.objects.filter(pk=parent_id, deleted_at__isnull=False).first()
            if parent is None or parent.replies.exists():
                break
            parent_id = parent.parent_id
            parent.delete()
    # A hidden comment left the count when it was hidden; a held one never entered it.
    if not locked.is_hidden and not locked.is_held:
        _count(comment.part, "comments_count", -1)
    _engagement_record(comment.part)
    comment.deleted_at = locked.deleted_at or timezone.now()


# Library


def library_add(*, user: User, story: Story) -> LibraryEntry:
    _require(
        access.can_keep_library(user) and access.can_view_story(user, story),
        _("You cannot add this book to a library."),
    )
    entry, created = LibraryEntry.objects.get_or_create(user=user, story=story)
    if created:
        accounts_changed([user.pk])
    return entry


def library_remove(*, user: User, story: Story) -> None:
    deleted, _kinds = LibraryEntry.objects.filter(user=user, story=story).delete()
    if deleted:
        accounts_changed([user.pk])


# Reading lists


def _list_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise ValidationError(_("A reading list needs a name."), code="empty")
    if len(title) > ReadingList._meta.get_field("title").max_length:
        raise ValidationError(_("That name is too long."), code="too_long")
    return title


def reading_list_create(*, owner: User, title: str, public: bool = False) -> ReadingList:
    _require(access.can_post(owner), _("You cannot make reading lists yet."))
    return ReadingList.objects.create(owner=owner, title=_list_title(title), public=public)


def reading_list_update(
    *, user: User, reading_list: ReadingList, title: str, public: bool
) -> ReadingList:
    _require(access.can_edit_reading_list(user, reading_list), _("This is not your reading list."))
    reading_list.title = _list_title(title)
    reading_list.public = public
    reading_list.save(update_fields=["title", "public", "updated_at"])
    return reading_list


def reading_list_delete(*, user: User, reading_list: ReadingList) -> None:
    _require(access.can_edit_reading_list(user, reading_list), _("This is not your reading list."))
    reading_list.delete()


@transaction.atomic
def reading_list_add(*, user: User, reading_list: ReadingList, story: Story) -> bool:
    """Put a book at the end of a list. Returns False when it was there already."""
    _require(
        access.can_edit_reading_list(user, reading_list) and access.can_view_story(user, story),
        _("You cannot add this book to this list."),
    )
    ReadingList.objects.select_for_update().filter(pk=reading_list.pk).first()
    if reading_list.entries.filter(story=story).exists():
        return False
    last = reading_list.entries.aggregate(last=Max("position"))["last"] or 0
    ReadingListEntry.objects.create(reading_list=reading_list, story=story, position=last + 1)
    ReadingList.objects.filter(pk=reading_list.pk).update(updated_at=timezone.now())
    return True


@transaction.atomic
def reading_list_remove(*, user: User, reading_list: ReadingList, story: Story) -> None:
    _require(access.can_edit_reading_list(user, reading_list), _("This is not your reading list."))
    ReadingList.objects.select_for_update().filter(pk=reading_list.pk).first()
    reading_list.entries.filter(story=story).delete()
    _renumber(list(reading_list.entries.order_by("position", "id")))
    ReadingList.objects.filter(pk=reading_list.pk).update(updated_at=timezone.now())


def _renumber(entries: list[ReadingListEntry]) -> None:
    for number, entry in enumerate(entries, start=1):
        if entry.position != number:
            entry.position = number
            entry.save(update_fields=["position"])


@transaction.atomic
def reading_list_move(
    *, user: User, reading_list: ReadingList, story: Story, position: int
) -> None:
    """Move a book to `position` (1 is the top) and number the list 1, 2, 3... again."""
    _require(access.can_edit_reading_list(user, reading_list), _("This is not your reading list."))
    ReadingList.objects.select_for_update().filter(pk=reading_list.pk).first()
    entries = list(reading_list.entries.order_by("position", "id"))
    moving = next((entry for entry in entries if entry.story_id == story.pk), None)
    if moving is None:
        raise ValidationError(_("That book is not on this list."), code="missing")
    entries.remove(moving)
    entries.insert(max(0, min(position - 1, len(entries))), moving)
    _renumber(entries)
    ReadingList.objects.filter(pk=reading_list.pk).update(updated_at=timezone.now())


# Reading progress


def progress_record(*, user: User, part: Part, paragraph: str = "") -> PartProgress | None:
    """Remember that this reader opened `part` and, with `paragraph`, reached that paragraph.

    The paragraph only ever moves forward within a part: scrolling back to reread does not
    lose the place. Guests' progress is not kept; nor is progress in drafts.
    """
    if not user.is_authenticated or not part.is_published:
        return None
    reached = None
    if paragraph:
        reached = paragraphs.paragraph(part.body, paragraph)
        if reached is None:
            raise ValidationError(_("That paragraph is not in this part."), code="no_paragraph")
    now = timezone.now()
    total = len(paragraphs.paragraphs(part.body))
    progress, created = PartProgress.objects.get_or_create(
        user=user,
        part=part,
        defaults={
            "story_id": part.story_id,
            "last_read_at": now,
            "paragraphs_total": total,
            "paragraph": reached.id if reached else "",
            "paragraph_position": reached.position if reached else 0,
        },
    )
    if created or reached is None:
        # Which part was read last (pagecache/personal.py asks, to skip writing this again).
        # Reaching a paragraph further on, while reading, changes that only with two tabs.
        accounts_changed([user.pk])
    if created:
        return progress
    PartProgress.objects.filter(pk=progress.pk).update(last_read_at=now, paragraphs_total=total)
    progress.last_read_at, progress.paragraphs_total = now, total
    if reached is not None:
        _progress_forward(progress, part, reached)
    return progress


def _progress_forward(progress: PartProgress, part: Part, reached: paragraphs.Paragraph) -> None:
    """Move the stored paragraph on to `reached`, never back. Another request may move it
    meanwhile (the page reports where the reader is while they read): the update holds only
    if the row still says what was read, else it is read again and weighed again, so that
    the further of the two is what stays."""
    for _attempt in range(5):
        # The stored paragraph may have moved since (the writer edited the part).
        before = paragraphs.paragraph(part.body, progress.paragraph)
        if before is not None and reached.position < before.position:
            return
        moved = PartProgress.objects.filter(pk=progress.pk, paragraph=progress.paragraph).update(
            paragraph=reached.id, paragraph_position=reached.position
        )
        if moved:
            progress.paragraph, progress.paragraph_position = reached.id, reached.position
            return
        progress.refresh_from_db(fields=["paragraph", "paragraph_position"])


def progress_opened(*, user: AnyUser, part: Part) -> None:
    """A reader opened `part`: remember it as `progress_record` does, but write only when
    that changes something a page shows. Opening again the part the reader read last, a
    moment ago, changes no order (history, "continue reading"), so nothing is written."""
    if not user.is_authenticated or not part.is_published:
        return
    latest = (
        PartProgress.objects.filter(user=user)
        .order_by("-last_read_at", "-id")
        .values_list("part_id", "paragraphs_total", "last_read_at")
        .first()
    )
    if latest is not None:
        part_id, total, last_read_at = latest
        if (
            part_id == part.pk
            and total == len(paragraphs.paragraphs(part.body))
            and timezone.now() - last_read_at < PROGRESS_REOPEN_QUIET
        ):
            return
    progress_record(user=user, part=part)


# Follows


def follow(*, follower: User, writer: User) -> Follow:
    _require(access.can_follow(follower, writer), _("You cannot follow this writer."))
    entry, _created = Follow.objects.get_or_create(follower=follower, writer=writer)
    return entry


def unfollow(*, follower: User, writer: User) -> None:
    Follow.objects.filter(follower=follower, writer=writer).delete()


# Notifications


def notification_settings(user: User) -> NotificationSettings:
    """A person's email choices; the defaults until they save their own."""
    found = NotificationSettings.objects.filter(user=user).first()
    return found or NotificationSettings(user=user)


def _email_state(recipient: User, kind: str, choices: NotificationSettings | None) -> str:
    if not access.may_receive_email(recipient):
        return EmailState.NONE
    choice = (choices or NotificationSettings()).choice(kind)
    return {EmailChoice.NOW: EmailState.NOW, EmailChoice.DAILY: EmailState.DIGEST}.get(
        choice, EmailState.NONE
    )


def _notify(
    *,
    recipient: User,
    kind: str,
    part: Part,
    actor: User | None = None,
    comment: Comment | None = None,
    note: str = "",
) -> Notification | None:
    if actor is not None and recipient.pk == actor.pk:
        return None  # nobody hears about what they did themselves
    # The moderators' answers reach people who may not open what they are about (a hidden
    # story or part a reader reported); everything else only people who may read it.
    if kind == NotificationKind.MODERATION:
        if not (recipient.is_authenticated and recipient.is_active):
            return None
    elif not access.can_be_notified(recipient, part):
        return None
    now = timezone.now()
    accounts_changed([recipient.pk])  # the unread count
    return Notification.objects.create(
        recipient=recipient,
        kind=kind,
        actor=actor,
        story_id=part.story_id,
        part=part,
        comment=comment,
        note=note,
        day=timezone.localdate(now),
        updated_at=now,
        email_state=_email_state(recipient, kind, notification_settings(recipient)),
    )


def notify_moderation(
    *, recipient: User, part: Part, note: str, comment: Comment | None = None
) -> Notification | None:
    """Tell someone what the moderators did about their report or their writing."""
    return _notify(
        recipient=recipient,
        kind=NotificationKind.MODERATION,
        part=part,
        comment=comment,
        note=note,
    )


def _story_authors(part: Part) -> list[User]:
    """The book's writers: co-authors count once they accept the invitation."""
    return list(User.objects.filter(authorship__story_id=part.story_id, authorship__accepted=True))


def _notify_comment(comment: Comment) -> None:
    """A reply tells the comment's writer; any comment tells the story's authors, except one
    already told of it as a reply."""
    told = set()
    if comment.parent_id is not None:
        parent_author = comment.parent.author
        if parent_author is not None and _notify(
            recipient=parent_author,
            kind=NotificationKind.REPLY,
            part=comment.part,
            actor=comment.author,
            comment=comment,
        ):
            told.add(parent_author.pk)
    for author in _story_authors(comment.part):
        if author.pk not in told:
            _notify(
                recipient=author,
                kind=NotificationKind.COMMENT,
                part=comment.part,
                actor=comment.author,
                comment=comment,
            )


def _notify_vote(*, part: Part, voter: User, delta: int) -> None:
    """Votes for one part on one day make one notification per author, counting them."""
    now = timezone.now()
    day = timezone.localdate(now)
    for author in _story_authors(part):
        if author.pk == voter.pk:
            continue
        accounts_changed([author.pk])  # the unread count
        group = Notification.objects.filter(
            recipient=author, kind=NotificationKind.VOTE, part=part, day=day
        )
        if delta < 0:
            if not group.filter(count__gt=1).update(count=F("count") - 1):
                group.delete()
            continue
        if not access.can_be_notified(author, part):
            continue
        notification, created = Notification.objects.get_or_create(
            recipient=author,
            kind=NotificationKind.VOTE,
            part=part,
            day=day,
            defaults={
                "story_id": part.story_id,
                "actor": voter,
                "updated_at": now,
                "email_state": _email_state(
                    author, NotificationKind.VOTE, notification_settings(author)
                ),
            },
        )
        if not created:
            # One more vote: the writer hears of it again, without a second email.
            group.update(count=F("count") + 1, actor=voter, updated_at=now, read_at=None)


def notify_new_part(*, part: Part) -> int:
    """Tell readers who keep the book in their library, or follow one of its authors, that a
    part came out: once each, however many reasons they have. Returns how many were told."""
    if not part.is_published:
        return 0
    story = part.story
    author_ids = set(story.authorship_set.filter(accepted=True).values_list("user_id", flat=True))
    keepers = LibraryEntry.objects.filter(story=story).values("user_id")
    followers = Follow.objects.filter(writer_id__in=author_ids).values("follower_id")
    recipients = [
        user
        for user in User.objects.filter(Q(pk__in=keepers) | Q(pk__in=followers), is_active=True)
        .exclude(pk__in=author_ids)
        .order_by("pk")
        if access.can_be_notified(user, part)
    ]
    choices = {
        found.user_id: found
        for found in NotificationSettings.objects.filter(user__in=[u.pk for u in recipients])
    }
    now = timezone.now()
    day = timezone.localdate(now)
    accounts_changed(user.pk for user in recipients)  # their unread counts
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                kind=NotificationKind.NEW_PART,
                actor=None,
                story=story,
                part=part,
                day=day,
                updated_at=now,
                email_state=_email_state(user, NotificationKind.NEW_PART, choices.get(user.pk)),
            )
            for user in recipients
        ],
        ignore_conflicts=True,  # told already: this part came out before, was unpublished...
        batch_size=500,
    )
    return len(recipients)


def notification_open(*, user: User, notification: Notification) -> Notification:
    if notification.recipient_id != user.pk:
        raise PermissionDenied
    if notification.read_at is None:
        notification.read_at = timezone.now()
        if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        ):
            accounts_changed([user.pk])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    marked = Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    if marked:
        accounts_changed([user.pk])
    return marked


def _pending_state(choice: str) -> str:
    return {EmailChoice.NOW: EmailState.NOW, EmailChoice.DAILY: EmailState.DIGEST}.get(
        choice, EmailState.NONE
    )


@transaction.atomic
def notification_settings_save(*, user: User, **choices: str) -> NotificationSettings:
    """Save how a person wants email for each kind; mail waiting to go follows the new choice."""
    found, _created = NotificationSettings.objects.select_for_update().get_or_create(user=user)
    for kind, choice in choices.items():
        if kind not in NotificationKind.values or choice not in EmailChoice.values:
            raise ValidationError(_("Unknown choice."), code="invalid")
        setattr(found, kind, choice)
        Notification.objects.filter(
            recipient=user, kind=kind, email_state__in=[EmailState.NOW, EmailState.DIGEST]
        ).update(email_state=_pending_state(choice))
    found.save()
    return found


# Email: one-click unsubscribe, at once, and daily digests.

UNSUBSCRIBE_SALT = "storyhouse.engagement.unsubscribe"


def unsubscribe_token(user: User, kinds: Iterable[str]) -> str:
    return signing.dumps({"u": user.pk, "k": sorted(set(kinds))}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_read(token: str) -> tuple[User, list[str]] | None:
    """The account and kinds a token names, or None when it was not made here or was altered."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    kinds = [kind for kind in data.get("k", []) if kind in NotificationKind.values]
    user = User.objects.filter(pk=data.get("u")).first()
    if user is None or not kinds:
        return None
    return user, kinds


def unsubscribe(*, token: str) -> tuple[User, list[str]] | None:
    """Turn email off for the kinds the token names. No sign-in needed: the token is proof."""
    found = unsubscribe_read(token)
    if found is None:
        return None
    user, kinds = found
    notification_settings_save(user=user, **dict.fromkeys(kinds, EmailChoice.NEVER))
    return user, kinds


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _send(user: User, subject: str, template: str, context: dict, kinds: list[str]) -> None:
    unsubscribe_url = site_url(
        reverse("engagement:unsubscribe", kwargs={"token": unsubscribe_token(user, kinds)})
    )
    body = render_to_string(
        template,
        {
            **context,
            "user": user,
            "site_name": settings.SITE_NAME,
            "site_url": settings.SITE_URL.rstrip("/"),
            "settings_url": site_url(reverse("engagement:notification_settings")),
            "unsubscribe_url": unsubscribe_url,
        },
    )
    EmailMessage(
        subject=subject,
        body=body,
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    ).send()


def notification_summary(notification: Notification) -> str:
    """One sentence saying what happened, as the site and the emails put it."""
    if notification.actor:
        actor = notification.actor.name
    elif notification.comment and notification.comment.guest_name:
        actor = _("%(name)s (a guest)") % {"name": notification.comment.guest_name}
    else:
        actor = _("A former reader")
    values = {
        "actor": actor,
        "part": notification.part.title,
        "story": notification.story.title,
        "others": notification.count - 1,
    }
    if notification.kind == NotificationKind.NEW_PART:
        return _("%(story)s has a new part: %(part)s") % values
    if notification.kind == NotificationKind.REPLY:
        return _("%(actor)s replied to your comment on %(part)s") % values
    if notification.kind == NotificationKind.COMMENT:
        return _("%(actor)s commented on %(part)s in %(story)s") % values
    if notification.kind == NotificationKind.MODERATION:
        return notification.note
    if notification.count > 1:
        return _("%(actor)s and %(others)d more voted for %(part)s") % values
    return _("%(actor)s voted for %(part)s") % values


def notification_target(notification: Notification) -> str:
    """Where opening a notification takes its reader."""
    if notification.kind == NotificationKind.MODERATION:
        comment = notification.comment
        if comment is None or comment.author_id != notification.recipient_id:
            return reverse("moderation:reports")  # a reporter follows their reports there
    url = notification.part.get_absolute_url()
    if notification.comment_id and notification.kind != NotificationKind.VOTE:
        return f"{url}#comment-{notification.comment_id}"
    return url


def _still_wanted(notification: Notification) -> bool:
    recipient = notification.recipient
    if notification.kind == NotificationKind.MODERATION:  # about what they may not open now
        return access.may_receive_email(recipient)
    return access.may_receive_email(recipient) and access.can_be_notified(
        recipient, notification.part
    )


def _related(queryset):
    return queryset.select_related("recipient", "actor", "story", "part", "part__story")


def emails_send_now(*, limit: int = 200) -> int:
    """Send the emails people want at once. Each is claimed by a conditional update first, so
    two workers running together never send one twice. Returns how many were sent."""
    sent = 0
    waiting = Notification.objects.filter(email_state=EmailState.NOW).order_by("id")
    for pk in list(waiting.values_list("pk", flat=True)[:limit]):
        claimed = Notification.objects.filter(pk=pk, email_state=EmailState.NOW).update(
            email_state=EmailState.SENDING
        )
        if not claimed:
            continue  # another worker has it
        notification = _related(Notification.objects).get(pk=pk)
        if not _still_wanted(notification):
            Notification.objects.filter(pk=pk).update(email_state=EmailState.NONE)
            continue
        try:
            _send(
                notification.recipient,
                notification_summary(notification),
                "engagement/email/notification.txt",
                {
                    "notification": notification,
                    "summary": notification_summary(notification),
                    "url": site_url(notification_target(notification)),
                },
                [notification.kind],
            )
        except Exception:
            log.exception("could not send notification %s", pk)
            Notification.objects.filter(pk=pk).update(email_state=EmailState.NOW)
            break  # the mail server is unwell: try again at the next run
        Notification.objects.filter(pk=pk).update(
            email_state=EmailState.SENT, emailed_at=timezone.now()
        )
        sent += 1
    return sent


def digest_mark(now: datetime.datetime) -> datetime.datetime:
    """The latest daily digest time (DIGEST_HOUR, local time) at or before `now`."""
    local = timezone.localtime(now)
    mark = local.replace(hour=settings.DIGEST_HOUR, minute=0, second=0, microsecond=0)
    return mark if mark <= local else mark - datetime.timedelta(days=1)


def digests_send(*, now: datetime.datetime | None = None) -> int:
    """Send each person who asked for it one email with what happened since their last one,
    once a day. A person is claimed by a conditional update of their last digest time, so two
    workers running together send one digest. Returns how many digests went out."""
    now = now or timezone.now()
    mark = digest_mark(now)
    due = (
        Notification.objects.filter(email_state=EmailState.DIGEST, created_at__lt=mark)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    sent = 0
    for user_id in list(due):
        found, _created = NotificationSettings.objects.get_or_create(user_id=user_id)
        previous = found.digest_sent_at
        claimed = (
            NotificationSettings.objects.filter(pk=found.pk)
            .filter(Q(digest_sent_at__isnull=True) | Q(digest_sent_at__lt=mark))
            .update(digest_sent_at=now)
        )
        if not claimed:
            continue  # sent today already, or another worker is sending it
        pending = Notification.objects.filter(recipient_id=user_id, email_state=EmailState.DIGEST)
        ids = list(pending.values_list("pk", flat=True))
        Notification.objects.filter(pk__in=ids, email_state=EmailState.DIGEST).update(
            email_state=EmailState.SENDING
        )
        items = [
            n
            for n in _related(Notification.objects.filter(pk__in=ids)).order_by("created_at")
            if _still_wanted(n)
        ]
        if not items:
            Notification.objects.filter(pk__in=ids).update(email_state=EmailState.NONE)
            continue
        recipient = items[0].recipient
        try:
            _send(
                recipient,
                _("What happened on %(site)s today") % {"site": settings.SITE_NAME},
                "engagement/email/digest.txt",
                {
                    "items": [
                        {
                            "summary": notification_summary(n),
                            "url": site_url(notification_target(n)),
                        }
                        for n in items
                    ]
                },
                sorted({n.kind for n in items}),
            )
        except Exception:
            log.exception("could not send the digest of %s", user_id)
            Notification.objects.filter(pk__in=ids).update(email_state=EmailState.DIGEST)
            NotificationSettings.objects.filter(pk=found.pk).update(digest_sent_at=previous)
            break
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(
            email_state=EmailState.SENT, emailed_at=timezone.now()
        )
        Notification.objects.filter(pk__in=ids, email_state=EmailState.SENDING).update(
            email_state=EmailState.NONE
        )
        sent += 1
    return sent
