"""Site pages are edited here by admins; sign-up requests are listed (moderators release them
from the queue page, /community/signups/)."""

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from storyhouse.stories import access

from . import services
from .defaults import DEFAULT_PAGES
from .models import SignupRequest, SitePage


class SitePageForm(forms.ModelForm):
    class Meta:
        model = SitePage
        fields = ("slug", "title", "body")
        widgets = {"body": forms.Textarea(attrs={"rows": 24, "cols": 100})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A new page starts from the text readers see until it is written.
        slug = self.initial.get("slug")
        if self.instance.pk is None and slug in DEFAULT_PAGES:
            title, body = DEFAULT_PAGES[slug]
            self.initial.setdefault("title", str(title))
            self.initial.setdefault("body", str(body))


@admin.register(SitePage)
class SitePageAdmin(admin.ModelAdmin):
    form = SitePageForm
    list_display = ("title", "slug", "updated_at", "updated_by")

    # Admins edit the site pages (moderation/roles.py: Action.EDIT_SITE_PAGES).
    def has_module_permission(self, request: HttpRequest) -> bool:
        return access.can_edit_site_pages(request.user)

    def has_view_permission(self, request: HttpRequest, obj: SitePage | None = None) -> bool:
        return access.can_edit_site_pages(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.can_edit_site_pages(request.user)

    def has_change_permission(self, request: HttpRequest, obj: SitePage | None = None) -> bool:
        return access.can_edit_site_pages(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: SitePage | None = None) -> bool:
        return access.can_edit_site_pages(request.user)

    def get_readonly_fields(self, request: HttpRequest, obj: SitePage | None = None) -> tuple:
        return ("slug",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: SitePage, form, change: bool) -> None:
        saved = services.site_page_save(
            slug=obj.slug, title=obj.title, body=obj.body, by=request.user
        )
        obj.pk, obj.body, obj.updated_at = saved.pk, saved.body, saved.updated_at


@admin.register(SignupRequest)
class SignupRequestAdmin(admin.ModelAdmin):
    list_display = ("email", "state", "requested_at", "invited_at", "invited_by", "joined_at")
    list_filter = ("state",)
    search_fields = ("email",)
    readonly_fields = (
        "email",
        "state",
        "requested_at",
        "invited_at",
        "invited_by",
        "token_hash",
        "joined_at",
        "user",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
