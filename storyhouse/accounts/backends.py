"""Signing in with a username or an email address, in any letter case."""

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .models import User


class AccountBackend(ModelBackend):
    """Usernames are unique ignoring case, and so are email addresses: either names one person.

    A username may itself contain "@", so a username match wins over an email match.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if not username or password is None:
            return None
        login = username.strip()
        user = User.objects.filter(username__iexact=login).first()
        if user is None and "@" in login:
            user = User.objects.filter(email__iexact=login).first()
        if user is None:
            # Hash anyway, so that a missing account takes as long to refuse as a wrong password.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
