"""Gives each guest a random first-party cookie on their first visit, so reads count once a day."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .readers import guest_token, is_bot, new_guest_token, reader_cookie_set


class ReaderCookieMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = guest_token(request)
        new_token = None
        if token is None and request.method == "GET" and not is_bot(request):
            new_token = token = new_guest_token()
        request.guest_token = token
        response = self.get_response(request)
        if new_token and not request.user.is_authenticated:
            reader_cookie_set(response, new_token)
        return response
