"""The adult-content gate's cookie and link: how a reader says "Proceed" for this browser session.

Proceeding is a plain GET of the book or part page with `?adult=proceed`: the page shows, and a
session cookie (no Max-Age: it ends with the browser session) lets every later page of every
Mature or Explicit book show too. No CSRF token is needed, so guests' pages stay cacheable; the
page cache (pagecache/app.py) keeps the gate and the passed page apart by this cookie and query.
Who is asked at all is decided in access.asks_before_opening.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

COOKIE = "storyhouse_adult"
COOKIE_VALUE = "1"
QUERY_NAME, QUERY_VALUE = "adult", "proceed"
PROCEED_QUERY = f"{QUERY_NAME}={QUERY_VALUE}"


def proceeding(request: HttpRequest) -> bool:
    """This request is the gate's Proceed link."""
    return request.GET.get(QUERY_NAME) == QUERY_VALUE


def proceeded(request: HttpRequest) -> bool:
    """The reader chose to proceed in this browser session, or is doing so now."""
    return request.COOKIES.get(COOKIE) == COOKIE_VALUE or proceeding(request)


def remember(request: HttpRequest, response: HttpResponse) -> None:
    """After Proceed: the session cookie, unless the browser holds it already."""
    if proceeding(request) and request.COOKIES.get(COOKIE) != COOKIE_VALUE:
        response.set_cookie(
            COOKIE,
            COOKIE_VALUE,
            path="/",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
