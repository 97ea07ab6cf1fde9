"""Muting and blocking: what a reader does to keep away from a writer, a book or a person.

Nothing here tells the other person, and nothing here is a post: a suspended account may
still mute and block. Each change drops what pagecache/personal.py keeps of the people
concerned, since their part pages and notification counts depend on it.
"""

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from storyhouse.accounts.models import User
from storyhouse.engagement.models import Follow
from storyhouse.stories import access
from storyhouse.stories.models import Story
from storyhouse.stories.services import accounts_changed

from .models import Block, Mute


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _once(make) -> None:
    """Make a row that may already exist (a double click, two tabs): the second is a no-op."""
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        pass


@transaction.atomic
def mute_writer(*, reader: User, writer: User) -> None:
    _require(access.can_mute_or_block(reader, writer), _("You cannot mute this person."))
    _once(lambda: Mute.objects.create(reader=reader, writer=writer))
    accounts_changed([reader.pk])


@transaction.atomic
def unmute_writer(*, reader: User, writer: User) -> None:
    Mute.objects.filter(reader=reader, writer=writer).delete()
    accounts_changed([reader.pk])


@transaction.atomic
def mute_story(*, reader: User, story: Story) -> None:
    _require(access.can_mute_story(reader, story), _("You cannot mute this book."))
    _once(lambda: Mute.objects.create(reader=reader, story=story))
    accounts_changed([reader.pk])


@transaction.atomic
def unmute_story(*, reader: User, story: Story) -> None:
    Mute.objects.filter(reader=reader, story=story).delete()
    accounts_changed([reader.pk])


@transaction.atomic
def block(*, blocker: User, blocked: User) -> None:
    """Block a person. They stop following the blocker at once (they could not follow again)."""
    _require(access.can_mute_or_block(blocker, blocked), _("You cannot block this person."))
    _once(lambda: Block.objects.create(blocker=blocker, blocked=blocked))
    Follow.objects.filter(follower=blocked, writer=blocker).delete()
    accounts_changed([blocker.pk, blocked.pk])


@transaction.atomic
def unblock(*, blocker: User, blocked: User) -> None:
    Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    accounts_changed([blocker.pk, blocked.pk])


def muted_writers(reader: User):
    return Mute.objects.filter(reader=reader, writer__isnull=False).select_related("writer")


def muted_books(reader: User):
    return Mute.objects.filter(reader=reader, story__isnull=False).select_related("story")


def blocked(blocker: User):
    return Block.objects.filter(blocker=blocker).select_related("blocked")
