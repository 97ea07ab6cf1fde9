"""Addresses of the writer's desk (/desk/), included from storyhouse/urls.py."""

from django.urls import path

from . import desk_views as views

app_name = "desk"

urlpatterns = [
    path("", views.desk_home, name="home"),
    path("stories/new/", views.story_new, name="story_new"),
    path("stories/<int:story_id>/", views.story_desk, name="story"),
    path("stories/<int:story_id>/edit/", views.story_edit, name="story_edit"),
    path("stories/<int:story_id>/delete/", views.story_delete, name="story_delete"),
    path("stories/<int:story_id>/parts/new/", views.part_new, name="part_new"),
    path("stories/<int:story_id>/coauthors/", views.coauthor_invite, name="coauthor_invite"),
    path(
        "stories/<int:story_id>/coauthors/<int:authorship_id>/remove/",
        views.coauthor_remove,
        name="coauthor_remove",
    ),
    path("invitations/<int:authorship_id>/accept/", views.invitation_accept, name="accept"),
    path("invitations/<int:authorship_id>/decline/", views.invitation_decline, name="decline"),
    path("parts/<int:part_id>/edit/", views.part_edit, name="part_edit"),
    path("parts/<int:part_id>/autosave/", views.part_autosave, name="part_autosave"),
    path("parts/<int:part_id>/discard/", views.part_pending_discard, name="part_discard"),
    path("parts/<int:part_id>/preview/", views.part_preview, name="part_preview"),
    path("parts/<int:part_id>/move/", views.part_move, name="part_move"),
    path("parts/<int:part_id>/delete/", views.part_delete, name="part_delete"),
    path("parts/<int:part_id>/revisions/", views.part_revisions, name="part_revisions"),
    path("parts/<int:part_id>/revisions/compare/", views.revision_diff, name="revision_diff"),
    path(
        "parts/<int:part_id>/revisions/<int:revision_id>/restore/",
        views.revision_restore,
        name="revision_restore",
    ),
    path("tags/", views.tag_options, name="tag_options"),
    path("render/", views.render_markdown, name="render_markdown"),
]
