"""Addresses of this app, included at the site root from storyhouse/urls.py."""

from django.urls import path

from . import views

app_name = "moderation"

urlpatterns = [
    path("report/<str:kind>/<int:object_id>/", views.report_new, name="report"),
    path("reports/", views.my_reports, name="reports"),
    path("moderation/", views.queue, name="queue"),
    path("moderation/reports/<int:report_id>/", views.report_detail, name="report_detail"),
    path("moderation/log/", views.audit_log, name="audit_log"),
    path("moderation/accounts/<str:username>/", views.account, name="account"),
]
