"""Who may see what: the one place views, the API and commands ask.

A story a person may not see is answered with a 404, never a 403 that would
confirm it exists.
"""

from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from storyhouse.accounts.models import User
from storyhouse.moderation import roles

from .models import Authorship, CommentMode, Part, PartState, Story, Tag, Visibility

if TYPE_CHECKING:
    from storyhouse.engagement.models import Comment, ReadingList

    from .models import Series

AnyUser = User | AnonymousUser


def is_moderator(user: AnyUser) -> bool:
    """A moderator (or an admin): works the moderation queue, sees hidden books."""
    return roles.may(user, roles.Action.WORK_QUEUE)


def may_moderate(user: AnyUser, action: "roles.Action") -> bool:
    """Whether this person may take this moderation action (moderation/roles.py)."""
    return roles.may(user, action)


def is_author(user: AnyUser, story: Story) -> bool:
    if not user.is_authenticated:
        return False
    # An invitation counts only once accepted: invitees see nothing of a book's drafts.
    accepted = getattr(story, "accepted_authorships", None)
    if accepted is not None:  # fetched with the book (queries.with_card_data, part page)
        return any(authorship.user_id == user.pk for authorship in accepted)
    return story.authorship_set.filter(user_id=user.pk, accepted=True).exists()


def can_view_story(user: AnyUser, story: Story) -> bool:
    visibility = story.visibility
    if visibility == Visibility.HELD:  # out of lists, but read by whoever read it before
        visibility = story.held_visibility
    if visibility == Visibility.PUBLIC:
        return True
    if visibility == Visibility.MEMBERS and user.is_authenticated:
        return True
    if story.visibility == Visibility.HIDDEN and is_moderator(user):
        return True
    return is_author(user, story)


def can_view_part(user: AnyUser, part: Part) -> bool:
    if not can_view_story(user, part.story):
        return False
    if part.hidden_at is not None and is_moderator(user):
        return True  # a part the moderators hid
    return part.state == PartState.PUBLISHED or is_author(user, part.story)


def can_edit_story(user: AnyUser, story: Story) -> bool:
    return is_author(user, story)


def listed_stories(user: AnyUser) -> QuerySet[Story]:
    """Books that appear in lists for this person: shared with them, with a published part,
    carrying none of the tags they chose to hide, and not muted by them."""
    shared = Q(visibility=Visibility.PUBLIC)
    if user.is_authenticated:
        shared |= Q(visibility=Visibility.MEMBERS)
    listed = Story.objects.filter(shared, parts_count__gt=0)
    return without_muted(user, without_hidden_tags(user, listed))


def readable_parts(user: AnyUser, story: Story) -> QuerySet[Part]:
    """The parts of a book this person may open, in reading order."""
    parts = story.parts.all()
    if not is_author(user, story):
        parts = parts.filter(state=PartState.PUBLISHED)
    return parts.order_by("position", "id")


def sees_part_as_any_reader(user: AnyUser, part: Part) -> bool:
    """Whether the part's page shows this signed-in person what it shows every reader who
    may post, but for their own name, votes, library and comments (pagecache/personal.py
    keeps one page for all of them): not a book's author, not a moderator, not a draft.
    The tags the person hides are the caller's to check."""
    return (
        part.state == PartState.PUBLISHED
        and part.story.visibility in (Visibility.PUBLIC, Visibility.MEMBERS)
        and can_post(user)
        and not is_moderator(user)
        and not is_author(user, part.story)
    )


# The adult-content gate (stories/adult_gate.py holds its cookie).

ADULT_RATINGS = frozenset({"Mature", "Explicit"})


def is_adult(story: Story) -> bool:
    """A book rated Mature or Explicit: it opens behind the gate."""
    return story.rating is not None and story.rating.name in ADULT_RATINGS


def skips_adult_gate(user: AnyUser) -> bool:
    """A signed-in reader who chose to see Mature and Explicit books without being asked."""
    return bool(user.is_authenticated and user.shows_adult_content)


def asks_before_opening(user: AnyUser, story: Story, *, proceeded: bool) -> bool:
    """Whether the book's pages show the gate instead of the book: a Mature or Explicit book,
    for anyone who has not proceeded in this browser session nor switched the gate off. The
    book's own authors are never asked."""
    return (
        is_adult(story)
        and not proceeded
        and not skips_adult_gate(user)
        and not is_author(user, story)
    )


# Posting, and the tags a reader hides.


def can_post(user: AnyUser) -> bool:
    """Whether this person may put anything before others (books, parts, comments, votes).

    Guests, accounts whose email address is not yet confirmed, suspended accounts and
    deactivated accounts may read, but not post.
    """
    return bool(
        user.is_authenticated and user.is_active and user.email_verified and not is_suspended(user)
    )


def is_suspended(user: AnyUser) -> bool:
    """Suspended by the moderators: reads, but cannot post, vote or comment for now."""
    return bool(getattr(user, "is_suspended", False))


def hidden_tags(user: AnyUser) -> QuerySet[Tag]:
    """The tags this reader chose to hide, each with its canonical tag and all its synonyms.

    One query (or a subquery of another), however many tags are hidden. Guests hide nothing.
    """
    if not user.is_authenticated:
        return Tag.objects.none()
    # Hiding a synonym hides its canonical tag, and hiding a canonical tag hides its synonyms.
    heads = Tag.objects.filter(
        Q(hidden_by=user, synonym_of__isnull=True) | Q(synonyms__hidden_by=user)
    ).values("id")
    return Tag.objects.filter(Q(id__in=heads) | Q(synonym_of__in=heads))


def without_hidden_tags(user: AnyUser, stories: QuerySet[Story]) -> QuerySet[Story]:
    """Leave out books carrying a tag the reader hides: as their rating, on the book or on a
    published part. Subqueries, so a list costs the same number of queries as before."""
    if not user.is_authenticated:
        return stories
    hidden = hidden_tags(user).values("id")
    on_book = Story.tags.through.objects.filter(tag_id__in=hidden).values("story_id")
    on_part = Part.tags.through.objects.filter(
        tag_id__in=hidden, part__state=PartState.PUBLISHED
    ).values("part__story_id")
    return stories.exclude(Q(rating_id__in=hidden) | Q(id__in=on_book) | Q(id__in=on_part))


def hidden_tags_on_part(user: AnyUser, part: Part) -> list[Tag]:
    """The hidden tags a part carries itself or through its book (rating included): when there
    are any, the part page asks before showing the text."""
    if not user.is_authenticated:
        return []
    # Most readers hide nothing: one look at their own list spares them the search below.
    if not User.hidden_tags.through.objects.filter(user_id=user.pk).exists():
        return []
    on_part = Part.tags.through.objects.filter(part_id=part.pk).values("tag_id")
    on_book = Story.tags.through.objects.filter(story_id=part.story_id).values("tag_id")
    return list(
        hidden_tags(user)
        .filter(Q(id__in=on_part) | Q(id__in=on_book) | Q(id=part.story.rating_id))
        .order_by("name")
    )


# Muting and blocking (storyhouse/boundaries): mutes leave books out where lists and
# searches are made, so what a reader sees and what the counts say agree.


def muted_stories(user: AnyUser) -> QuerySet[Story]:
    """The ids of the books this reader muted, one by one or as all of a writer's (a book
    with a muted co-author among its accepted authors included). A subquery; no query for
    guests."""
    from storyhouse.boundaries.models import Mute

    if not user.is_authenticated:
        return Story.objects.none().values("id")
    mutes = Mute.objects.filter(reader_id=user.pk)
    by_writer = Authorship.objects.filter(
        user_id__in=mutes.filter(writer__isnull=False).values("writer_id"), accepted=True
    ).values("story_id")
    one_by_one = mutes.filter(story__isnull=False).values("story_id")
    return Story.objects.filter(Q(id__in=one_by_one) | Q(id__in=by_writer)).values("id")


def without_muted(user: AnyUser, stories: QuerySet[Story]) -> QuerySet[Story]:
    if not user.is_authenticated:
        return stories
    return stories.exclude(id__in=muted_stories(user))


def mutes_writer(user: AnyUser, writer: User) -> bool:
    from storyhouse.boundaries.models import Mute

    return bool(
        user.is_authenticated and Mute.objects.filter(reader_id=user.pk, writer=writer).exists()
    )


def mutes_story(user: AnyUser, story: Story) -> bool:
    from storyhouse.boundaries.models import Mute

    return bool(
        user.is_authenticated and Mute.objects.filter(reader_id=user.pk, story=story).exists()
    )


def blocked_people(user: AnyUser) -> frozenset[int]:
    """The ids of the people this person blocked: their comments are not shown to them."""
    from storyhouse.boundaries.models import Block

    if not user.is_authenticated:
        return frozenset()
    return frozenset(Block.objects.filter(blocker_id=user.pk).values_list("blocked_id", flat=True))


def people_blocking(user: AnyUser) -> frozenset[int]:
    """The ids of the people who blocked this person: they may not reply to their comments."""
    from storyhouse.boundaries.models import Block

    if not user.is_authenticated:
        return frozenset()
    return frozenset(Block.objects.filter(blocked_id=user.pk).values_list("blocker_id", flat=True))


def is_blocked_by(user: AnyUser, others: list[int]) -> bool:
    """Whether any of these people (ids) blocked this person."""
    from storyhouse.boundaries.models import Block

    if not user.is_authenticated or not others:
        return False
    return Block.objects.filter(blocked_id=user.pk, blocker_id__in=others).exists()


def blocks(user: AnyUser, other: User) -> bool:
    """Whether this person blocked the other."""
    return other.pk in blocked_people(user) if user.is_authenticated else False


def _author_ids(story: Story) -> list[int]:
    accepted = getattr(story, "accepted_authorships", None)
    if accepted is not None:
        return [authorship.user_id for authorship in accepted]
    return list(story.authorship_set.filter(accepted=True).values_list("user_id", flat=True))


def is_blocked_by_author(user: AnyUser, story: Story) -> bool:
    """Whether one of the book's writers blocked this person: they may still read it, but
    not vote for it or comment on it."""
    return user.is_authenticated and is_blocked_by(user, _author_ids(story))


def can_mute_or_block(user: AnyUser, other: User) -> bool:
    """Any signed-in, active account may mute or block anyone but themselves; even a
    suspended one, since keeping away from someone is never a post."""
    return bool(user.is_authenticated and user.is_active and other.pk != user.pk)


def can_mute_story(user: AnyUser, story: Story) -> bool:
    return bool(user.is_authenticated and user.is_active and not is_author(user, story))


# What readers do: votes, comments, reading lists, follows, notifications.


def can_engage_with_part(user: AnyUser, part: Part) -> bool:
    """Vote for or comment on: a published part the person may read, by a person who may
    post, whom none of the book's writers blocked."""
    return (
        part.is_published
        and can_post(user)
        and can_view_part(user, part)
        and not is_blocked_by_author(user, part.story)
    )


def can_comment_on_part(user: AnyUser, part: Part) -> bool:
    """Write a comment on a part (which may then wait for approval), as the book's comment
    mode allows: guests only where it is open to everyone, nobody where comments are closed."""
    mode = part.story.comment_mode
    if mode == CommentMode.CLOSED:
        return False
    if not user.is_authenticated:
        return mode == CommentMode.OPEN and part.is_published and can_view_part(user, part)
    return can_engage_with_part(user, part)


def is_thread_frozen(comment: "Comment") -> bool:
    """Whether the comment's thread was frozen: no more replies or edits in it."""
    known = getattr(comment, "thread_frozen", None)  # set for a page of threads at once
    if known is not None:
        return known
    if comment.parent_id is None:
        return comment.frozen_at is not None
    return type(comment).objects.filter(pk=comment.root_id, frozen_at__isnull=False).exists()


def can_reply_to(user: AnyUser, comment: "Comment") -> bool:
    """Reply to a comment: as for any comment on its part, unless its writer blocked them or
    its thread is frozen."""
    return (
        not comment.is_deleted
        and not comment.is_held
        and can_comment_on_part(user, comment.part)
        and not (comment.author_id and is_blocked_by(user, [comment.author_id]))
        and not is_thread_frozen(comment)
    )


def can_freeze_thread(user: AnyUser, comment: "Comment") -> bool:
    """The book's writers and moderators freeze (and thaw) a thread."""
    return comment.parent_id is None and can_moderate_comments(user, comment.part)


def can_approve_comments(user: AnyUser, story: Story) -> bool:
    """Who approves, deletes or marks as spam the comments held on a book: its writers and
    the moderators."""
    return user.is_authenticated and (is_author(user, story) or is_moderator(user))


def can_edit_comment(user: AnyUser, comment: "Comment") -> bool:
    """Only the person who wrote a comment may change its words, while it stands."""
    return (
        comment.deleted_at is None
        and getattr(comment, "hidden_at", None) is None
        and comment.author_id is not None
        and comment.author_id == user.pk
        and can_post(user)
        and not is_thread_frozen(comment)
    )


def can_moderate_comments(user: AnyUser, part: Part) -> bool:
    """The story's authors (on their own story) and moderators may delete anyone's comment."""
    return user.is_authenticated and (is_author(user, part.story) or is_moderator(user))


def can_delete_comment(user: AnyUser, comment: "Comment", *, moderates: bool | None = None) -> bool:
    """Its writer may delete a comment, and so may whoever `can_moderate_comments` on its part.
    A page of comments passes `moderates`, decided once, instead of asking for each one."""
    if comment.deleted_at is not None or not user.is_authenticated:
        return False
    if comment.author_id is not None and comment.author_id == user.pk:
        return True
    return can_moderate_comments(user, comment.part) if moderates is None else moderates


def can_view_reading_list(user: AnyUser, reading_list: "ReadingList") -> bool:
    return reading_list.public or (user.is_authenticated and reading_list.owner_id == user.pk)


def can_edit_reading_list(user: AnyUser, reading_list: "ReadingList") -> bool:
    return user.is_authenticated and reading_list.owner_id == user.pk


def can_follow(user: AnyUser, writer: User) -> bool:
    return (
        can_post(user)
        and writer.is_active
        and writer.pk != user.pk
        and not is_blocked_by(user, [writer.pk])
    )


def can_be_notified(user: AnyUser, part: Part) -> bool:
    """Whether to tell this person about a part: an active account that may read it."""
    return user.is_authenticated and user.is_active and can_view_part(user, part)


def may_receive_email(user: AnyUser) -> bool:
    """Mail goes only to confirmed addresses of active accounts."""
    return bool(user.is_authenticated and user.is_active and user.email and user.email_verified)


def viewable_parts(user: AnyUser) -> QuerySet[Part]:
    """Every part this person may open, as a query: `can_view_part` for many parts at once."""
    shared = Q(story__visibility=Visibility.PUBLIC)
    if user.is_authenticated:
        shared |= Q(story__visibility=Visibility.MEMBERS)
    if is_moderator(user):
        shared |= Q(story__visibility=Visibility.HIDDEN)
    readable = Q(shared, state=PartState.PUBLISHED)
    if user.is_authenticated:
        mine = Story.objects.filter(authorship__user=user, authorship__accepted=True)
        readable |= Q(story__in=mine.values("id"))
    return Part.objects.filter(readable)


def can_report(user: AnyUser) -> bool:
    """Any signed-in, active account may tell the moderators about something."""
    return bool(user.is_authenticated and user.is_active)


def can_keep_library(user: AnyUser) -> bool:
    """A library and reading progress are private: any signed-in, active account keeps them."""
    return bool(user.is_authenticated and user.is_active)


# Writing: the desk, co-authors.


def authored_stories(user: AnyUser) -> QuerySet[Story]:
    """The books this person writes: accepted authorships only, never pending invitations."""
    if not user.is_authenticated:
        return Story.objects.none()
    return Story.objects.filter(authorship__user=user, authorship__accepted=True)


def can_write(user: AnyUser) -> bool:
    """Whether this person may start a book or change one they write (see can_post)."""
    return can_post(user)


def can_answer_invitation(user: AnyUser, authorship) -> bool:
    """Only the invited person may accept or decline an invitation to co-write a book."""
    return bool(user.is_authenticated and authorship.user_id == user.pk and not authorship.accepted)


def can_edit_series(user: AnyUser, series: "Series") -> bool:
    """Only the writer who made a series may rename, describe, order or delete it."""
    return bool(user.is_authenticated and series.owner_id == user.pk)


def can_add_to_series(user: AnyUser, series: "Series", story: Story) -> bool:
    """A writer puts only books they write into series they made."""
    return can_edit_series(user, series) and can_edit_story(user, story)


# Tag wrangling


def can_wrangle_tags(user: AnyUser) -> bool:
    """Whether this person may wrangle tags (canonical tags, synonyms, merges, parents), as
    tag wranglers do on Archive of Our Own: tag wranglers and admins."""
    return roles.may(user, roles.Action.WRANGLE_TAGS)


# Writers' statistics (storyhouse/stats)


def is_admin(user: AnyUser) -> bool:
    return roles.may(user, roles.Action.GRANT_ROLES)


def can_view_stats(user: AnyUser, story: Story) -> bool:
    """A book's statistics are for its writers and the site's admins alone."""
    return bool(user.is_authenticated and (is_author(user, story) or is_admin(user)))


# The community: sign-ups by invitation, the site's own pages


def can_release_invitations(user: AnyUser) -> bool:
    """Who sees the queue of people asking to join (STORYHOUSE_SIGNUP=invite) and sends them
    sign-up links: moderators."""
    return is_moderator(user)


def can_edit_site_pages(user: AnyUser) -> bool:
    """Who edits the about, rules and privacy pages (in the Django admin): admins."""
    return bool(user.is_staff and roles.may(user, roles.Action.EDIT_SITE_PAGES))
