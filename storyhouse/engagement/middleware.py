"""Gives each guest a random first-party cookie on their first visit, so reads count once a day."""

import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .readers import guest_token, is_bot


class ReaderCookieMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = guest_token(request)
        new_token = None
        if token is None and request.method == "GET" and not is_bot(request):
            new_token = token = secrets.token_urlsafe(18)
        request.guest_token = token
        response = self.get_response(request)
        if new_token and not request.user.is_authenticated:
            response.set_cookie(
                settings.READER_COOKIE_NAME,
                new_token,
                max_age=settings.READER_COOKIE_MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=settings.HTTPS,
            )
        return response
