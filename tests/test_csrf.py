"""Every form that changes something carries a CSRF token and is refused without one.

Each area's tests post its own forms without a token (accounts, desk, votes, comments,
library, follows, notifications). This one makes sure no address slips past the check: the
middleware is on, and the only view exempt from it is the one-click unsubscribe link, which
mail programs post to without a page (RFC 8058) and which is guarded by its signed token,
and the API, whose writes take a personal token only, never a session cookie
(`tests/test_api_write.py` shows a signed-in browser refused there).
"""

from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver

EXEMPT = {"engagement:unsubscribe"}


def patterns(resolver: URLResolver, namespace: str = ""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from patterns(entry, inner)
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", entry.callback


def test_the_csrf_check_is_on():
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE


def test_no_view_but_one_click_unsubscribe_skips_the_csrf_check():
    exempt = {
        name
        for name, view in patterns(get_resolver())
        if getattr(view, "csrf_exempt", 0) and not name.startswith("api:")
    }
    assert exempt == EXEMPT
