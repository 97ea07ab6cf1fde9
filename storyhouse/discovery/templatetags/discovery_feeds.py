"""Template helpers for feeds: the Atom feed address of a search."""

from dataclasses import replace

from django import template
from django.urls import reverse

from storyhouse.discovery.query import SearchQuery

register = template.Library()


@register.simple_tag
def search_feed_url(query: SearchQuery) -> str:
    """The feed of this search: the same parameters, from its first page."""
    params = replace(query, page=1).urlencode()
    base = reverse("discovery:search_feed")
    return f"{base}?{params}" if params else base
