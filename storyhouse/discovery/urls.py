"""Addresses of the discovery app (included at the site's root): search, and what the
other discovery pages add below."""

from django.urls import path

from . import discover_views, feeds, views

app_name = "discovery"

urlpatterns = [
    path("search/", views.search_page, name="search"),
    path("search/tags/", views.tag_options, name="tag_options"),
    # The Discover page and the Atom feeds (discover_views.py, feeds.py).
    path("discover/", discover_views.discover_page, name="discover"),
    path("search/feed.atom", feeds.SearchFeed(), name="search_feed"),
    path("tags/<anyslug:slug>/feed.atom", feeds.TagFeed(), name="tag_feed"),
    path("authors/<str:username>/feed.atom", feeds.AuthorFeed(), name="author_feed"),
]
