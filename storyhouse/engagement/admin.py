"""What readers did, for staff to look over. Records are not edited by hand; deleting a
comment goes through the same service as on the site, so counts stay exact."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from . import services
from .models import (
    Comment,
    Follow,
    LibraryEntry,
    Notification,
    NotificationSettings,
    PartProgress,
    Read,
    ReadingList,
    ReadingListEntry,
    Vote,
)


class RecordAdmin(admin.ModelAdmin):
    """Records of what happened: listed, never added or changed by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Read)
class ReadAdmin(RecordAdmin):
    list_display = ["part", "reader", "user", "day"]
    list_filter = ["day"]
    raw_id_fields = ["part", "user"]


@admin.register(Vote)
class VoteAdmin(RecordAdmin):
    list_display = ["part", "user", "created_at"]
    raw_id_fields = ["part", "user"]

    def has_delete_permission(self, request: HttpRequest, obj: Vote | None = None) -> bool:
        return False  # a count writers saw; readers take their own votes back


@admin.register(Comment)
class CommentAdmin(RecordAdmin):
    list_display = ["__str__", "author", "part", "paragraph", "created_at", "deleted_at"]
    list_filter = ["created_at", "deleted_at"]
    search_fields = ["body", "author__username"]
    raw_id_fields = ["part", "author", "parent", "root"]

    def delete_model(self, request: HttpRequest, obj: Comment) -> None:
        services.comment_delete(user=request.user, comment=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        # Replies first, so each deletion sees the thread as it stands.
        for comment in queryset.select_related("part__story").order_by("-depth", "-id"):
            comment.refresh_from_db()
            if not comment.is_deleted:
                services.comment_delete(user=request.user, comment=comment)


@admin.register(LibraryEntry)
class LibraryEntryAdmin(RecordAdmin):
    list_display = ["story", "user", "added_at"]
    raw_id_fields = ["story", "user"]


class ReadingListEntryInline(admin.TabularInline):
    model = ReadingListEntry
    extra = 0
    raw_id_fields = ["story"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ReadingList)
class ReadingListAdmin(RecordAdmin):
    list_display = ["title", "owner", "public", "updated_at"]
    list_filter = ["public"]
    search_fields = ["title", "owner__username"]
    raw_id_fields = ["owner"]
    inlines = [ReadingListEntryInline]


@admin.register(PartProgress)
class PartProgressAdmin(RecordAdmin):
    list_display = ["user", "part", "paragraph", "last_read_at"]
    raw_id_fields = ["user", "part", "story"]


@admin.register(Follow)
class FollowAdmin(RecordAdmin):
    list_display = ["follower", "writer", "created_at"]
    raw_id_fields = ["follower", "writer"]


@admin.register(Notification)
class NotificationAdmin(RecordAdmin):
    list_display = ["recipient", "kind", "part", "count", "updated_at", "read_at", "email_state"]
    list_filter = ["kind", "email_state"]
    raw_id_fields = ["recipient", "actor", "story", "part", "comment"]


@admin.register(NotificationSettings)
class NotificationSettingsAdmin(RecordAdmin):
    list_display = ["user", "new_part", "reply", "comment", "vote", "digest_sent_at"]
    raw_id_fields = ["user"]
