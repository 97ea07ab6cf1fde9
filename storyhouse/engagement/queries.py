"""What engagement pages show: comment threads, libraries, lists, progress, notifications.

Each selector runs a fixed number of queries whatever the length of what it returns.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet

from storyhouse.accounts.models import User
from storyhouse.boundaries.models import Block
from storyhouse.stories import access
from storyhouse.stories import queries as story_queries
from storyhouse.stories.access import AnyUser
from storyhouse.stories.models import Part, Story

from . import paragraphs
from .models import (
    Comment,
    Follow,
    LibraryEntry,
    Notification,
    NotificationKind,
    PartProgress,
    ReadingList,
    ReadingListEntry,
    Vote,
)

COMMENTS_PER_PAGE = 20
# Replies nest this deep on screen; deeper ones line up under the last level, each saying
# whom it answers, so a long back-and-forth stays readable on a phone.
NESTED_DEPTH = 3


# Votes and library


def has_voted(user: AnyUser, part: Part) -> bool:
    return user.is_authenticated and Vote.objects.filter(user=user, part=part).exists()


def in_library(user: AnyUser, story: Story) -> bool:
    return user.is_authenticated and LibraryEntry.objects.filter(user=user, story=story).exists()


# Comments


@dataclass
class Threads:
    """A page of comment threads on a part, and what the reader may do with them."""

    part: Part
    page: Page
    paragraph: paragraphs.Paragraph | None
    paragraph_counts: dict[str, int]
    paragraphs: tuple[paragraphs.Paragraph, ...]
    can_post: bool
    comments: list[Comment] = field(default_factory=list)


def comment_threads(
    user: AnyUser, part: Part, *, paragraph: str = "", page_number: object = None
) -> Threads:
    """The part's threads, newest first, each with its replies in the order they came;
    only the threads about one paragraph when `paragraph` names one of the part's."""
    body_paragraphs = paragraphs.paragraphs(part.body)
    by_id = {p.id: p for p in body_paragraphs}
    chosen = by_id.get(paragraph)
    # Comments held for approval are on the writer's desk, not in the threads.
    standing = Comment.objects.filter(part=part, held_at=None)
    roots = standing.filter(parent__isnull=True).select_related("author")
    if chosen is not None:
        roots = roots.filter(paragraph=chosen.id)
    page = Paginator(roots.order_by("-created_at", "-id"), COMMENTS_PER_PAGE).get_page(page_number)
    top = list(page.object_list)
    replies = list(
        standing.filter(root__in=[c.pk for c in top])
        .select_related("author")
        .order_by("created_at", "id")
    )
    everything = top + replies
    moderates = access.can_moderate_comments(user, part) if user.is_authenticated else False
    # Guests comment from a page of their own (engagement.views.guest_comment), not here.
    can_post = user.is_authenticated and access.can_comment_on_part(user, part)
    children: dict[int, list[Comment]] = defaultdict(list)
    for comment in replies:
        children[comment.parent_id].append(comment)
    named = {comment.pk: comment for comment in everything}

    def descendants(comment: Comment) -> list[Comment]:
        found = []
        for child in children[comment.pk]:
            found.append(child)
            found.extend(descendants(child))
        return found

    frozen = {comment.pk for comment in top if comment.frozen_at is not None}
    for comment in everything:
        comment.thread_frozen = (comment.root_id or comment.pk) in frozen
        comment.may_edit = access.can_edit_comment(user, comment)
        comment.may_delete = access.can_delete_comment(user, comment, moderates=moderates)
        comment.may_reply = can_post and not comment.is_deleted and not comment.thread_frozen
        comment.quote = by_id.get(comment.paragraph) if comment.parent_id is None else None
        comment.anchored = bool(comment.paragraph) and comment.parent_id is None
        comment.reply_to = None
    for comment in everything:
        if comment.depth < NESTED_DEPTH:
            comment.shown_replies = children[comment.pk]
        elif comment.depth == NESTED_DEPTH:
            comment.shown_replies = sorted(descendants(comment), key=lambda c: (c.created_at, c.pk))
            for reply in comment.shown_replies:
                reply.reply_to = named.get(reply.parent_id)
        else:
            comment.shown_replies = []
    return Threads(
        part=part,
        page=page,
        paragraph=chosen,
        paragraph_counts=paragraph_comment_counts(part, body_paragraphs),
        paragraphs=body_paragraphs,
        can_post=can_post,
        comments=top,
    )


def paragraph_comment_counts(
    part: Part, body_paragraphs: tuple[paragraphs.Paragraph, ...] | None = None
) -> dict[str, int]:
    """How many comments (replies included) each paragraph of the part has, by anchor id."""
    body_paragraphs = body_paragraphs or paragraphs.paragraphs(part.body)
    present = {p.id for p in body_paragraphs}
    counted = (
        Comment.objects.filter(
            part=part, deleted_at__isnull=True, hidden_at__isnull=True, held_at__isnull=True
        )
        .exclude(paragraph="")
        .values_list("paragraph")
        .annotate(n=Count("id"))
    )
    return {anchor: n for anchor, n in counted if anchor in present}


# Reading progress


@dataclass
class ContinueAt:
    """Where "continue reading" takes a reader in one book."""

    part: Part
    paragraph: str
    next_part: bool  # the reader finished the part they were in: this is the next one

    @property
    def url(self) -> str:
        url = self.part.get_absolute_url()
        return f"{url}#{self.paragraph}" if self.paragraph else url


def continue_reading(user: AnyUser, stories: list[Story]) -> dict[int, ContinueAt]:
    """For each book, the part and paragraph where this reader stopped: the part they read
    last, at the furthest paragraph they reached; the next part if they finished it."""
    if not user.is_authenticated or not stories:
        return {}
    rows = (
        PartProgress.objects.filter(
            user=user,
            story_id__in=[story.pk for story in stories],
            part__in=access.viewable_parts(user),
        )
        .select_related("part", "part__story")
        .order_by("story_id", "-last_read_at", "-id")
    )
    latest: dict[int, PartProgress] = {}
    for row in rows:
        latest.setdefault(row.story_id, row)
    finished = {story_id for story_id, row in latest.items() if row.finished}
    following: dict[int, list[Part]] = defaultdict(list)
    if finished:
        for part in (
            access.viewable_parts(user)
            .filter(story_id__in=finished)
            .select_related("story")
            .order_by("story_id", "position", "id")
        ):
            following[part.story_id].append(part)
    targets = {}
    for story_id, row in latest.items():
        target = ContinueAt(part=row.part, paragraph=row.paragraph, next_part=False)
        if story_id in finished:
            order = [(p.position, p.pk) for p in following[story_id]]
            here = (row.part.position, row.part.pk)
            later = [p for p, key in zip(following[story_id], order, strict=True) if key > here]
            if later:
                target = ContinueAt(part=later[0], paragraph="", next_part=True)
        targets[story_id] = target
    return targets


def history(user: User) -> QuerySet[PartProgress]:
    """The parts this reader opened, the latest first."""
    return (
        PartProgress.objects.filter(user=user, part__in=access.viewable_parts(user))
        .select_related("part", "part__story")
        .order_by("-last_read_at", "-id")
    )


# Library and reading lists


def library_stories(user: User) -> list[Story]:
    """The books in this reader's library that they may still see, the latest added first."""
    entries = LibraryEntry.objects.filter(user=user).order_by("-added_at", "-id")
    order = list(entries.values_list("story_id", flat=True))
    return _in_order(user, order)


def _in_order(viewer: AnyUser, story_ids: list[int]) -> list[Story]:
    found = story_queries.with_card_data(access.listed_stories(viewer).filter(pk__in=story_ids))
    by_id = {story.pk: story for story in found}
    return [by_id[story_id] for story_id in story_ids if story_id in by_id]


def reading_lists(owner: User, *, public_only: bool = False) -> QuerySet[ReadingList]:
    lists = ReadingList.objects.filter(owner=owner).annotate(books=Count("entries"))
    return lists.filter(public=True) if public_only else lists


def reading_list_stories(viewer: AnyUser, reading_list: ReadingList) -> list[Story]:
    """The books on a list in its order, leaving out any the viewer may not see."""
    order = list(
        ReadingListEntry.objects.filter(reading_list=reading_list)
        .order_by("position", "id")
        .values_list("story_id", flat=True)
    )
    return _in_order(viewer, order)


def lists_holding(user: AnyUser, story: Story) -> list[ReadingList]:
    """The reader's lists, each marked with whether the book is on it."""
    if not user.is_authenticated:
        return []
    lists = list(ReadingList.objects.filter(owner=user).order_by("title", "id"))
    holding = set(
        ReadingListEntry.objects.filter(reading_list__owner=user, story=story).values_list(
            "reading_list_id", flat=True
        )
    )
    for reading_list in lists:
        reading_list.holds = reading_list.pk in holding
    return lists


# Follows


def follower_count(writer: User) -> int:
    return Follow.objects.filter(writer=writer, follower__is_active=True).count()


def is_following(user: AnyUser, writer: User) -> bool:
    return user.is_authenticated and Follow.objects.filter(follower=user, writer=writer).exists()


def following(user: User) -> QuerySet[Follow]:
    return (
        Follow.objects.filter(follower=user, writer__is_active=True)
        .select_related("writer")
        .order_by("writer__username")
    )


# Notifications


def _notifications(user: User) -> QuerySet[Notification]:
    # A notification about a part the person may no longer see is not shown, nor counted;
    # nor is one about a book they muted, nor one from someone they blocked. The moderators'
    # answers always are: what they hid is what they answer about (and they link to
    # /reports/ for whoever cannot open it).
    answer = Q(kind=NotificationKind.MODERATION)
    muted = Q(story_id__in=access.muted_stories(user)) & ~answer
    blocked = Block.objects.filter(blocker_id=user.pk).values("blocked_id")
    return (
        Notification.objects.filter(recipient=user)
        .filter(Q(part__in=access.viewable_parts(user)) | answer)
        .exclude(muted)
        .exclude(actor_id__in=blocked)
    )


def unread_count(user: User) -> int:
    return _notifications(user).filter(read_at__isnull=True).count()


def notifications(user: User) -> QuerySet[Notification]:
    return _notifications(user).select_related("actor", "story", "part", "part__story", "comment")
