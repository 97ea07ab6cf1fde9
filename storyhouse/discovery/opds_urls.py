"""Addresses of the OPDS catalog, included from storyhouse/urls.py under /opds/."""

from django.urls import path

from . import opds_views

app_name = "opds"

urlpatterns = [
    path("", opds_views.root, name="root"),
    path("new/", opds_views.new, name="new"),
    path("popular/", opds_views.popular, name="popular"),
    path("updated/", opds_views.updated, name="updated"),
    path("tags/", opds_views.tag_types, name="tags"),
    path("tags/<str:type>/", opds_views.tag_type, name="tag_type"),
    path("tag/<anyslug:slug>/", opds_views.tag_books, name="tag"),
    path("search/", opds_views.search_books, name="search"),
    path("search.xml", opds_views.opensearch, name="opensearch"),
    path("signin/", opds_views.signin, name="signin"),
]
