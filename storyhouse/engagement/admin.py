from django.contrib import admin
from django.http import HttpRequest

from .models import Read


@admin.register(Read)
class ReadAdmin(admin.ModelAdmin):
    """Reads are records of what happened: listed, never edited by hand."""

    list_display = ["part", "reader", "user", "day"]
    list_filter = ["day"]
    raw_id_fields = ["part", "user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Read | None = None) -> bool:
        return False
