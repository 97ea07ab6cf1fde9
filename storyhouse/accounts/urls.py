"""Addresses of this app, included from storyhouse/urls.py."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
