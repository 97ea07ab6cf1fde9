"""Personal tokens: how e-readers, feed readers and scripts act as a person without a password.

A request carries a token in one of three ways: `Authorization: Bearer <token>`; HTTP Basic
with the token as the password (e-reader apps only offer a user name and a password); or
`?token=` in the address of a feed, the OPDS catalog or a download, since feed readers and
e-readers keep nothing but an address. Such a request reads what the token's owner may read;
writes with a token go through the API only (the site's forms still want their CSRF token).
"""

import base64
import binascii
import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import PersonalToken, User

PREFIX = "sh_"
TOKENS_PER_PERSON = 20
# Noting each use would write on every request; once in a while is enough to show "last used".
USE_NOTED_EVERY = timedelta(minutes=5)


def _digest(raw: str) -> str:
    # Tokens are long random strings, not passwords: a plain digest cannot be guessed back.
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_create(user: User, name: str) -> tuple[PersonalToken, str]:
    """A new token for `user`, and its key, which is never shown again."""
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": _("Give the token a name, such as the app you use it in.")})
    User.objects.select_for_update().filter(pk=user.pk).exists()  # one count at a time
    if user.tokens.filter(revoked_at=None).count() >= TOKENS_PER_PERSON:
        raise ValidationError(
            _("You have %(count)d tokens already: revoke one you no longer use first.")
            % {"count": TOKENS_PER_PERSON}
        )
    raw = PREFIX + secrets.token_urlsafe(32)
    token = PersonalToken(user=user, name=name, digest=_digest(raw), hint=raw[:8])
    token.full_clean(exclude=["digest", "hint"])
    token.save()
    return token, raw


def token_revoke(token: PersonalToken) -> PersonalToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_find(raw: str) -> PersonalToken | None:
    """The active token with this key, its owner still able to sign in; None otherwise."""
    if not raw.startswith(PREFIX) or len(raw) > 100:
        return None
    token = (
        PersonalToken.objects.select_related("user")
        .filter(digest=_digest(raw), revoked_at=None, user__is_active=True)
        .first()
    )
    if token is not None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > USE_NOTED_EVERY:
            PersonalToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
    return token


def user_for_token(raw: str) -> User | None:
    token = token_find(raw)
    return token.user if token else None


def query_token_allowed(path: str) -> bool:
    """Addresses where `?token=` is accepted: feeds, the OPDS catalog and book downloads,
    the ones feed readers and e-readers fetch by address alone."""
    return (
        path.startswith("/opds/")
        or path.endswith("/feed.atom")
        or (path.startswith("/stories/") and "/download." in path)
    )


def token_in_request(request: HttpRequest) -> str | None:
    """The token a request carries, if it carries one; "" for a bearer header with no key."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _space, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        password = decoded.partition(":")[2]
        # Only a token counts: a Basic password that is not one (a proxy's own, say) is
        # left alone, and account passwords are never accepted here.
        return password if password.startswith(PREFIX) else None
    if request.method in ("GET", "HEAD") and query_token_allowed(request.path):
        return request.GET.get("token")
    return None
