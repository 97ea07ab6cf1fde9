"""Accounts in the admin. Deleting one goes through the service, which keeps its stories."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from . import services
from .models import User


@admin.register(User)
class AccountAdmin(UserAdmin):
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Profile", {"fields": ("display_name", "bio")}),
        ("Email", {"fields": ("email_verified", "pending_email")}),
        ("Reader preferences", {"fields": ("hidden_tags", "shows_adult_content")}),
    )
    autocomplete_fields = ["hidden_tags"]
    list_display = [
        "username",
        "display_name",
        "email",
        "email_verified",
        "is_staff",
        "date_joined",
    ]
    list_filter = [*UserAdmin.list_filter, "email_verified"]
    search_fields = ["username", "display_name", "email"]

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # The orphan account holds the books of writers who left; it stays.
        if obj is not None and obj.username == services.ORPHAN_ACCOUNT:
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: User) -> None:
        # Staff removing an account keep its stories on the site, as the orphan account's.
        services.account_delete(obj, keep_stories=True)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset.exclude(username=services.ORPHAN_ACCOUNT):
            services.account_delete(user, keep_stories=True)
