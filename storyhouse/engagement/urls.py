"""Addresses of this app, included at the site root from storyhouse/urls.py."""

from django.urls import path

from . import views

app_name = "engagement"

urlpatterns = [
    path("parts/<int:part_id>/vote/", views.vote, name="vote"),
    path("parts/<int:part_id>/comments/", views.comments, name="comments"),
    path("parts/<int:part_id>/comments/guest/", views.guest_comment, name="guest_comment"),
    path("parts/<int:part_id>/progress/", views.progress, name="progress"),
    path("comments/<int:comment_id>/reply/", views.comment_reply, name="comment_reply"),
    path("comments/<int:comment_id>/edit/", views.comment_edit, name="comment_edit"),
    path("comments/<int:comment_id>/delete/", views.comment_delete, name="comment_delete"),
    path("comments/<int:comment_id>/freeze/", views.thread_freeze, name="thread_freeze"),
    path("library/", views.library, name="library"),
    path("library/history/", views.reading_history, name="history"),
    path("library/stories/<int:story_id>/", views.library_change, name="library_change"),
    path("library/lists/", views.reading_lists, name="reading_lists"),
    path("library/lists/<int:list_id>/", views.reading_list_manage, name="reading_list"),
    path(
        "library/lists/<int:list_id>/delete/",
        views.reading_list_delete,
        name="reading_list_delete",
    ),
    path("library/lists/add/", views.reading_list_add, name="reading_list_add"),
    path(
        "library/lists/<int:list_id>/books/<int:story_id>/",
        views.reading_list_book,
        name="reading_list_book",
    ),
    path("lists/<str:username>/", views.public_lists, name="public_lists"),
    path(
        "lists/<str:username>/<int:list_id>/",
        views.reading_list_detail,
        name="reading_list_detail",
    ),
    path("following/", views.following, name="following"),
    path("following/<str:username>/", views.follow, name="follow"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("notifications/settings/", views.notification_settings, name="notification_settings"),
    path("notifications/<int:notification_id>/", views.notification_open, name="notification"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
