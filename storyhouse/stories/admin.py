"""The admin edits books, parts and tags through the same services as every other write."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from . import services
from .models import Authorship, Change, Part, PartRevision, Series, SeriesEntry, Story, Tag


class AuthorshipInline(admin.TabularInline):
    model = Authorship
    extra = 0
    autocomplete_fields = ["user"]
    fields = ["user", "position", "accepted", "invited_by", "invited_at", "accepted_at"]
    readonly_fields = ["invited_by", "invited_at", "accepted_at"]


class PartInline(admin.TabularInline):
    model = Part
    extra = 0
    fields = ["position", "title", "state", "published_at", "word_count"]
    readonly_fields = ["title", "state", "published_at", "word_count"]
    show_change_link = True
    can_delete = False


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "canonical", "synonym_of", "slug"]
    list_filter = ["type", "canonical", "archive_defined"]
    search_fields = ["name", "slug"]
    autocomplete_fields = ["synonym_of", "parents"]
    readonly_fields = ["slug", "archive_defined"]

    def get_readonly_fields(self, request: HttpRequest, obj: Tag | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.archive_defined:
            fields += ["name", "type", "canonical"]
        return fields

    def has_delete_permission(self, request: HttpRequest, obj: Tag | None = None) -> bool:
        if obj is not None and obj.archive_defined:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Tag, form, change: bool) -> None:
        services.tag_save(obj, parents=form.cleaned_data.get("parents"))

    def delete_model(self, request: HttpRequest, obj: Tag) -> None:
        services.tag_delete(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Tag]) -> None:
        for tag in queryset:
            if tag.archive_defined:
                messages.warning(request, f"{tag.name} is defined by the archive and was kept.")
            else:
                services.tag_delete(tag)


@admin.register(Story)
class StoryAdmin(admin.ModelAdmin):
    list_display = ["title", "visibility", "status", "parts_count", "word_count", "published_at"]
    list_filter = ["visibility", "status", "rating"]
    search_fields = ["title"]
    autocomplete_fields = ["tags"]
    inlines = [AuthorshipInline, PartInline]
    readonly_fields = ["slug", "parts_count", "word_count", "reads_count", "votes_count",
                       "comments_count", "created_at", "published_at", "updated_at"]  # fmt: skip

    def save_model(self, request: HttpRequest, obj: Story, form, change: bool) -> None:
        services.story_save(obj, tags=form.cleaned_data.get("tags"))

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        services.story_refresh(form.instance)

    def delete_model(self, request: HttpRequest, obj: Story) -> None:
        services.story_delete(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Story]) -> None:
        for story in queryset:
            services.story_delete(story)


class PartRevisionInline(admin.TabularInline):
    model = PartRevision
    extra = 0
    fields = ["created_at", "updated_at", "kind", "edited_by", "title", "word_count"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Part | None = None) -> bool:
        return False


@admin.register(Part)
class PartAdmin(admin.ModelAdmin):
    list_display = ["title", "story", "position", "state", "word_count", "published_at"]
    list_filter = ["state"]
    search_fields = ["title", "story__title"]
    autocomplete_fields = ["story", "tags"]
    readonly_fields = ["slug", "word_count", "reads_count", "votes_count", "comments_count",
                       "created_at", "updated_at"]  # fmt: skip
    inlines = [PartRevisionInline]

    def save_model(self, request: HttpRequest, obj: Part, form, change: bool) -> None:
        services.part_save(obj, tags=form.cleaned_data.get("tags"), edited_by=request.user)

    def delete_model(self, request: HttpRequest, obj: Part) -> None:
        services.part_delete(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Part]) -> None:
        for part in queryset:
            services.part_delete(part)


class SeriesEntryInline(admin.TabularInline):
    model = SeriesEntry
    extra = 0
    autocomplete_fields = ["story"]


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["title", "owner"]
    search_fields = ["title"]
    autocomplete_fields = ["owner"]
    inlines = [SeriesEntryInline]
    readonly_fields = ["slug"]

    def save_model(self, request: HttpRequest, obj: Series, form, change: bool) -> None:
        services.series_save(obj)


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "object_id", "story_id", "created_at"]
    list_filter = ["kind"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Change | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Change | None = None) -> bool:
        return False
