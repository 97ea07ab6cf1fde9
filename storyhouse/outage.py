"""When the database cannot be reached: a friendly 503 page that needs no database.

Where it hooks in: Django's `handler500` (set in storyhouse/urls.py), not a middleware or a
WSGI wrapper. Django turns an exception into a response at every middleware layer
(`convert_exception_to_response`), so an outer middleware never sees the exception of an
inner one (the session and authentication middleware meet the database first), and neither
does a WSGI wrapper; a middleware's `process_exception` sees only the view's. Every
exception nobody handled ends in `handler500`, with the exception still at hand, whether it
came from a view, a middleware or a 404 page that needed the database. The API answers its
own errors (storyhouse/api/errors.py) and asks `outage_response` there.

With DEBUG on, Django shows its traceback page instead, as for any other error.

Recovery needs nothing of ours: Django closes a connection that failed at the end of the
request (`close_old_connections` on request_finished, `errors_occurred`), so the next
request after the database is back opens a fresh one.
"""

import logging
import sqlite3
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import Context, Engine
from django.utils.translation import gettext as _
from django.views import defaults

log = logging.getLogger("storyhouse.outage")

# Seconds the page asks browsers and clients to wait before trying again.
RETRY_AFTER = 30

# What a request meets when PostgreSQL is down or restarting (refused or broken connections,
# psycopg_pool's PoolTimeout, which is a psycopg OperationalError), or when SQLite stays
# locked past its busy timeout. Django wraps the driver's errors in its own; the drivers'
# are listed for errors raised outside Django's wrapper (a pool opened by hand).
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    sqlite3.OperationalError,
)
try:
    import psycopg

    OUTAGE_ERRORS += (psycopg.OperationalError, psycopg.InterfaceError)
except ImportError:  # pragma: no cover - psycopg is a dependency; SQLite-only sites need not
    pass

# SQLite reports a schema that does not match the code (migrations not run) as an
# OperationalError too: that is a bug to fix, not a break to wait out.
NOT_AN_OUTAGE = ("no such table", "no such column", "has no column")

# Plain HTML with its style inline: it is shown when nothing else can be trusted to work,
# so it extends no base template, runs no context processor and looks nothing up.
PAGE = Engine(libraries={"i18n": "django.templatetags.i18n"}).from_string(
    """{% load i18n %}<!doctype html>
<html lang="{{ language }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% translate "Storyhouse is taking a short break" %}</title>
<style>
body { font: 1.125rem/1.6 Georgia, "DejaVu Serif", serif; margin: 0; padding: 12vh 1.5rem;
  background: #fbf8f3; color: #2b2622; }
main { max-width: 34rem; margin: 0 auto; }
h1 { font-size: 1.75rem; line-height: 1.25; margin: 0 0 1rem; }
a { color: #7a3b12; }
@media (prefers-color-scheme: dark) {
  body { background: #1d1a17; color: #eee6dc; } a { color: #f0b27a; }
}
</style></head>
<body><main>
<h1>{% translate "Storyhouse is taking a short break" %}</h1>
<p>{% translate "We can't reach our bookshelves just now. Your stories, votes and comments are safe: nothing you saved is lost." %}</p>
{% if sent %}<p>{% translate "What you just sent did not reach us: go back in your browser and send it again in a minute." %}</p>
{% else %}<p>{% translate "Please try again in a minute." %} <a href="{{ retry_url }}">{% translate "Try again" %}</a></p>{% endif %}
</main></body></html>
"""  # noqa: E501 - one sentence per line reads better to translators
)


def is_outage(error: BaseException | None) -> bool:
    """Whether `error` (or the error it was raised from) means the database cannot answer
    right now, rather than a bug."""
    while error is not None:
        if isinstance(error, OUTAGE_ERRORS):
            return not any(words in str(error) for words in NOT_AN_OUTAGE)
        error = error.__cause__
    return False


def outage_response(request: HttpRequest) -> HttpResponse:
    """The 503 a person (HTML) or an API client (JSON, under /api/) gets during an outage."""
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {
                "message": _(
                    "Storyhouse is taking a short break: the database cannot be reached. "
                    "Nothing saved is lost; try again in %(seconds)d seconds."
                )
                % {"seconds": RETRY_AFTER}
            },
            status=503,
        )
    else:
        sent = request.method not in {"GET", "HEAD"}
        context = Context(
            {
                "language": getattr(request, "LANGUAGE_CODE", None) or "en",
                "sent": sent,
                "retry_url": "" if sent else request.get_full_path(),
            }
        )
        response = HttpResponse(PAGE.render(context), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    # Neither a browser, a proxy nor the page cache may keep this page in place of the real one.
    response["Cache-Control"] = "no-store"
    return response


def log_outage(request: HttpRequest, error: BaseException) -> None:
    log.error(
        "The database could not be reached for %s %s; answered 503: %s",
        request.method,
        request.path,
        error,
        exc_info=error,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the 503 page for an outage, Django's own 500 page for anything else."""
    error = sys.exc_info()[1]
    if not is_outage(error):
        return defaults.server_error(request)
    log_outage(request, error)
    response = outage_response(request)
    # Logged above, once: Django would log it again as "Service Unavailable".
    response._has_been_logged = True
    return response
