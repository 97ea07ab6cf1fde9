"""Addresses of the community app, included from storyhouse/urls.py at the root."""

from django.urls import path

from . import views

app_name = "community"

urlpatterns = [
    path("about/", views.site_page, {"slug": "about"}, name="about"),
    path("rules/", views.site_page, {"slug": "rules"}, name="rules"),
    path("privacy/", views.site_page, {"slug": "privacy"}, name="privacy"),
    path("community/signups/", views.signup_queue, name="signup_queue"),
]
