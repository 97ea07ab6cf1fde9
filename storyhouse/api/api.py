"""The API's one NinjaAPI instance: routers, errors as JSON, rate limits, local docs."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path
from ninja import NinjaAPI

from . import authors, books, docs, errors, parts, search, stats, tags
from .ratelimit import PerMinute

DESCRIPTION = """Read the books, parts, tags and authors of this Storyhouse, search them as
the search page does, and write your own books and parts.

Reads need no account: a guest reads what guests may. With a personal token (made on your
account page) sent as `Authorization: Bearer <token>`, or as the password of HTTP Basic, you
read what you may read on the site, and you can create and change your books and parts.
Every error is JSON with a `message`. Too many requests get a 429 with `Retry-After`."""


class StoryhouseAPI(NinjaAPI):
    """A NinjaAPI whose every answer under /api/ is JSON, even for an address that names no
    operation, or a method an address does not take."""

    def _get_urls(self) -> list[URLPattern | URLResolver]:
        patterns = super()._get_urls()
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_405(pattern.callback)
        return [
            *patterns,
            path("docs/files/<str:name>", docs.docs_file, name="docs_file"),
            path("<path:rest>", errors.api_not_found),
        ]

    def get_openapi_operation_id(self, operation) -> str:
        # Short ids (book_list, part_edit) for clients generated from the schema.
        return operation.view_func.__name__


def _json_405(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405:
            return errors.method_not_allowed(response)
        return response

    return wrapped


api = StoryhouseAPI(
    title="Storyhouse API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    docs=docs.LocalSwagger(),
    throttle=[PerMinute()],
)
errors.install(api)
api.add_router("/books/", books.router)
api.add_router("/parts/", parts.router)
api.add_router("/tags/", tags.router)
api.add_router("/authors/", authors.router)
api.add_router("/search/", search.router)
api.add_router("/stats/", stats.router)
