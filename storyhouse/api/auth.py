"""Who is asking. `PersonalTokenMiddleware` has already set request.user and request.token;
these classes only decide whether an operation may go on, and describe the token in OpenAPI.

Reads need nothing (a guest reads what guests may, a token or a session what its owner may).
Changes need a token: a session cookie alone never authorises a write, since the API does not
ask for the CSRF token the site's forms carry.
"""

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import HttpBasicAuth, HttpBearer

from storyhouse.accounts.models import User


def _token_owner(request: HttpRequest) -> User | None:
    if getattr(request, "token", None) is None:
        return None
    # A page on another site can make a browser post a form here, with HTTP Basic credentials
    # it remembers, but never with a JSON content type: insisting on one keeps the token's
    # changes to the token's holder.
    if request.content_type != "application/json":
        raise HttpError(415, _("Send changes as JSON, with “Content-Type: application/json”."))
    return request.user


class PersonalToken(HttpBearer):
    """`Authorization: Bearer <token>`: a personal token made on the account page."""

    def __call__(self, request: HttpRequest) -> User | None:
        return _token_owner(request)

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return _token_owner(request)


class PersonalTokenAsPassword(HttpBasicAuth):
    """HTTP Basic with the personal token as the password (any user name)."""

    def __call__(self, request: HttpRequest) -> User | None:
        return _token_owner(request)

    def authenticate(self, request: HttpRequest, username: str, password: str) -> User | None:
        return _token_owner(request)


TOKEN = [PersonalToken(), PersonalTokenAsPassword()]

# Reads say in OpenAPI that a token is welcome but not needed.
OPTIONAL_TOKEN = {
    "security": [{}, {"PersonalToken": []}, {"PersonalTokenAsPassword": []}],
}
