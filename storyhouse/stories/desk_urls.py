"""Addresses of the writer's desk (/desk/), included from storyhouse/urls.py."""

from django.urls import path

from storyhouse.engagement import desk_views as comments
from storyhouse.stats import views as stats

from . import desk_views as views
from . import import_views, series_views

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
    path("comments/", comments.comments_desk, name="comments"),
    path("stats/", stats.writer_stats, name="stats"),
    path("stories/<int:story_id>/stats/", stats.book_stats, name="story_stats"),
    path("comments/<int:comment_id>/", comments.comment_decide, name="comment_decide"),
    path("tags/", views.tag_options, name="tag_options"),
    path("render/", views.render_markdown, name="render_markdown"),
    path("import/", import_views.import_upload, name="import"),
    path("series/", series_views.series_list, name="series_list"),
    path("series/new/", series_views.series_new, name="series_new"),
    path("series/<int:series_id>/", series_views.series_desk, name="series"),
    path("series/<int:series_id>/edit/", series_views.series_edit, name="series_edit"),
    path("series/<int:series_id>/delete/", series_views.series_delete, name="series_delete"),
    path("series/<int:series_id>/books/", series_views.series_add, name="series_add"),
    path(
        "series/<int:series_id>/books/<int:story_id>/move/",
        series_views.series_move,
        name="series_move",
    ),
    path(
        "series/<int:series_id>/books/<int:story_id>/remove/",
        series_views.series_remove,
        name="series_remove",
    ),
]
