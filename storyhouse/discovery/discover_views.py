"""The Discover page: what is being read now, what is new and rising, finished favourites."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from storyhouse import pagecache

from . import discover


def discover_page(request: HttpRequest) -> HttpResponse:
    rows = discover.discover_rows(request.user)
    shown = rows.trending + rows.rising + rows.favourites
    pagecache.depends(request, "listing", *[f"story:{story.pk}" for story in shown])
    return render(request, "discovery/discover.html", {"rows": rows})
