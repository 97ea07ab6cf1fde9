"""Requests signed with a personal token act as the token's owner (see tokens.py)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _

from . import tokens


class PersonalTokenMiddleware:
    """Set `request.user` from a personal token, and `request.token` (None without one).

    A token that is wrong or revoked is refused outright with a 401, rather than quietly
    reading as a guest: an e-reader would otherwise show an archive that seems to have lost
    its members-only books.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.token = None
        raw = tokens.token_in_request(request)
        if raw is None:
            return self.get_response(request)
        token = tokens.token_find(raw)
        if token is None:
            return refused()
        request.user = token.user
        request.token = token
        response = self.get_response(request)
        # What a token reads is personal: no shared cache may keep it.
        patch_cache_control(response, private=True)
        patch_vary_headers(response, ["Authorization"])
        return response


def refused() -> HttpResponse:
    message = _(
        "This token is not valid: it may have been revoked, or mistyped. You can make a new "
        "one on your account page."
    )
    response = JsonResponse({"message": message}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="Storyhouse", error="invalid_token"'
    return response
