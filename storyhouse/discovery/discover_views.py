"""The Discover page: what is being read now, what is new and rising, finished favourites."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import discover


def discover_page(request: HttpRequest) -> HttpResponse:
    rows = discover.discover_rows(request.user)
    return render(request, "discovery/discover.html", {"rows": rows})
