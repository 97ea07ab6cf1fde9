"""The API's docs page (/api/docs): Swagger UI from django-ninja's own files, served from the
installed package, never from a CDN, and left out of collectstatic: compressing its megabytes
would slow every `storyhouse serve` start for a page few people open."""

import json
from pathlib import Path

import ninja
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from ninja.openapi.docs import DocsBase

from .errors import api_not_found

SWAGGER_FILES = Path(ninja.__file__).parent / "static" / "ninja"
CONTENT_TYPES = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "swagger-ui.css": "text/css",
}


class LocalSwagger(DocsBase):
    def render_page(self, request: HttpRequest, api, **kwargs) -> HttpResponse:
        settings = {"url": self.get_openapi_url(api, kwargs), "layout": "BaseLayout"}
        return render(
            request,
            "api/docs.html",
            {"title": api.title, "swagger_settings": json.dumps(settings), "files": docs_files()},
        )


def docs_files() -> dict[str, str]:
    return {
        name.split(".")[0].replace("-", "_"): reverse("api:docs_file", kwargs={"name": name})
        for name in CONTENT_TYPES
    }


def docs_file(request: HttpRequest, name: str) -> HttpResponse:
    """One of Swagger UI's files, by a name from a fixed list."""
    if name not in CONTENT_TYPES:
        return api_not_found(request)
    response = FileResponse((SWAGGER_FILES / name).open("rb"), content_type=CONTENT_TYPES[name])
    patch_cache_control(response, public=True, max_age=24 * 60 * 60)
    return response
