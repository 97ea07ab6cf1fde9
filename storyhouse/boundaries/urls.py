"""Addresses of this app, included at the site root from storyhouse/urls.py."""

from django.urls import path

from . import views

app_name = "boundaries"

urlpatterns = [
    path("authors/<str:username>/mute-or-block/", views.person, name="person"),
    path("stories/<int:story_id>/mute/", views.story, name="story"),
    path("accounts/muted-and-blocked/", views.overview, name="overview"),
]
