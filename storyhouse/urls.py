"""Every address Storyhouse answers, in one list."""

from django.contrib import admin
from django.urls import include, path, register_converter

from storyhouse.accounts import views as accounts
from storyhouse.api.api import api
from storyhouse.stories import download_views, series_views
from storyhouse.stories import views as stories
from storyhouse.stories import wrangle_views as wrangling


class SlugConverter:
    """Slugs may hold letters of any script, so tag and title slugs stay readable."""

    regex = r"[^/]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(SlugConverter, "anyslug")

urlpatterns = [
    path("", stories.home, name="home"),
    path("stories/<int:story_id>-<anyslug:slug>/", stories.story_detail, name="story"),
    path(
        "stories/<int:story_id>-<anyslug:story_slug>/parts/<int:part_id>-<anyslug:slug>/",
        stories.part_detail,
        name="part",
    ),
    path(
        "stories/<int:story_id>-<anyslug:slug>/download.<str:format>",
        download_views.story_download,
        name="story_download",
    ),
    path("series/<int:series_id>-<anyslug:slug>/", series_views.series_detail, name="series"),
    path("tags/", wrangling.tag_list, name="tags"),
    path("tags/<anyslug:slug>/", stories.tag_detail, name="tag"),
    path("tags/<anyslug:slug>/wrangle/", wrangling.tag_wrangle, name="tag_wrangle"),
    path("authors/<str:username>/", accounts.author_detail, name="author"),
    path("accounts/", include("storyhouse.accounts.urls")),
    path("desk/", include("storyhouse.stories.desk_urls")),
    path("media/<path:path>", stories.media_file, name="media"),
    path("", include("storyhouse.engagement.urls")),
    path("", include("storyhouse.moderation.urls")),
    path("", include("storyhouse.boundaries.urls")),
    path("", include("storyhouse.discovery.urls")),
    path("opds/", include("storyhouse.discovery.opds_urls")),
    path("", include("storyhouse.community.urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

# An unreachable database gets a friendly 503 page instead of the 500 (see outage.py).
handler500 = "storyhouse.outage.server_error"
