"""The unread notification count the header shows: one query when a page shows it, none for
guests."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import queries


def notifications(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Lazy: a partial that never shows the header (an htmx answer) costs no query.
    return {"notifications_unread": SimpleLazyObject(lambda: queries.unread_count(user))}
