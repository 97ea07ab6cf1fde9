from django.contrib import admin

from .models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log, read only: nobody edits or deletes what was done."""

    list_display = ("created_at", "actor_name", "action", "target", "reason")
    list_filter = ("action",)
    search_fields = ("actor_name", "target", "reason")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
