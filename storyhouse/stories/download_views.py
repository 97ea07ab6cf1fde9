"""Book downloads: EPUB, a single HTML file or Markdown, from the cached export files."""

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control

from . import access, exporters
from .models import Story, Visibility


def story_download(request: HttpRequest, story_id: int, slug: str, format: str) -> HttpResponse:
    if format not in exporters.FORMATS:
        raise Http404
    story = get_object_or_404(Story, pk=story_id)
    if not access.can_view_story(request.user, story):
        raise Http404
    if slug != story.slug:
        url = reverse(
            "story_download", kwargs={"story_id": story.pk, "slug": story.slug, "format": format}
        )
        # Keep the query: an e-reader's ?token= must reach the right address too.
        query = request.META.get("QUERY_STRING", "")
        return redirect(f"{url}?{query}" if query else url, permanent=True)
    try:
        file = exporters.export_file(story, format).open("rb")
    except FileNotFoundError:
        # A newer edit replaced the file between building and opening it: build that one.
        file = exporters.export_file(story, format).open("rb")
    response = FileResponse(file, content_type=exporters.FORMATS[format].MEDIA_TYPE)
    response["Content-Disposition"] = exporters.content_disposition(story, format)
    response["X-Content-Type-Options"] = "nosniff"
    if story.visibility != Visibility.PUBLIC:
        patch_cache_control(response, private=True)  # not for shared caches to keep
    return response
