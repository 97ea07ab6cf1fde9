"""Keeping the search text current for writes that leave no trace in the change log: a
writer's new display name must find their books at once."""

from django.db import transaction

from storyhouse.stories.models import Authorship

from . import fulltext

NAME_FIELDS = {"display_name", "username"}


def author_renamed(sender, instance, created: bool, update_fields=None, **kwargs) -> None:
    """After an account is saved with a (possibly) new name, re-write its books' rows.

    Saves that name other fields only (a log-in stamps `last_login`) cost nothing."""
    if created or (update_fields is not None and not NAME_FIELDS & set(update_fields)):
        return
    story_ids = list(
        Authorship.objects.filter(user_id=instance.pk, accepted=True).values_list(
            "story_id", flat=True
        )
    )
    if story_ids:
        transaction.on_commit(lambda: fulltext.refresh(story_ids))
