"""Who may see what: the one place views, the API and commands ask.

A story a person may not see is answered with a 404, never a 403 that would
confirm it exists.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from storyhouse.accounts.models import User

from .models import Part, PartState, Story, Visibility

AnyUser = User | AnonymousUser


def is_moderator(user: AnyUser) -> bool:
    # Staff stand in for moderators until roles arrive with the moderation work.
    return bool(user.is_authenticated and (user.is_staff or user.is_superuser))


def is_author(user: AnyUser, story: Story) -> bool:
    if not user.is_authenticated:
        return False
    return story.authorship_set.filter(user_id=user.pk).exists()


def can_view_story(user: AnyUser, story: Story) -> bool:
    if story.visibility == Visibility.PUBLIC:
        return True
    if story.visibility == Visibility.MEMBERS and user.is_authenticated:
        return True
    if story.visibility == Visibility.HIDDEN and is_moderator(user):
        return True
    return is_author(user, story)


def can_view_part(user: AnyUser, part: Part) -> bool:
    if not can_view_story(user, part.story):
        return False
    return part.state == PartState.PUBLISHED or is_author(user, part.story)


def can_edit_story(user: AnyUser, story: Story) -> bool:
    return is_author(user, story)


def listed_stories(user: AnyUser) -> QuerySet[Story]:
    """Books that appear in lists for this person: shared with them and with a published part."""
    shared = Q(visibility=Visibility.PUBLIC)
    if user.is_authenticated:
        shared |= Q(visibility=Visibility.MEMBERS)
    return Story.objects.filter(shared, parts_count__gt=0)


def readable_parts(user: AnyUser, story: Story) -> QuerySet[Part]:
    """The parts of a book this person may open, in reading order."""
    parts = story.parts.all()
    if not is_author(user, story):
        parts = parts.filter(state=PartState.PUBLISHED)
    return parts.order_by("position", "id")
