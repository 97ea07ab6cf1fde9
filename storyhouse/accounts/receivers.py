"""Changes to an account that its own pages show, or that end a signed-in session: logged in,
logged out, renamed, password or address changed, deactivated, deleted, tags hidden. Each
writes an `account` change, which drops what pagecache/personal.py keeps of the person in
every process."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import User


def _changed(user_id: int | None) -> None:
    from storyhouse.stories.services import accounts_changed

    if user_id is not None:
        accounts_changed([user_id])


def user_saved(sender, instance: User, **kwargs) -> None:
    _changed(instance.pk)


def signed_in_or_out(sender, request, user: User | None, **kwargs) -> None:
    _changed(user.pk if user is not None else None)


def hidden_tags_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if not action.startswith("post_"):
        return
    if not reverse:
        _changed(instance.pk)
    elif pk_set:  # from the tag's side: the people who hide it
        for user_id in pk_set:
            _changed(user_id)


def connect() -> None:
    post_save.connect(user_saved, sender=User, dispatch_uid="account-saved")
    post_delete.connect(user_saved, sender=User, dispatch_uid="account-deleted")
    user_logged_in.connect(signed_in_or_out, dispatch_uid="account-signed-in")
    user_logged_out.connect(signed_in_or_out, dispatch_uid="account-signed-out")
    m2m_changed.connect(
        hidden_tags_changed, sender=User.hidden_tags.through, dispatch_uid="account-hidden-tags"
    )
