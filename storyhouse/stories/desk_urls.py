"""Addresses of the writer's desk (/desk/), included from storyhouse/urls.py."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
