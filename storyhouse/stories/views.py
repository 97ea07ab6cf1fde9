"""Reading pages: home, book, part, tag and author. Parse, ask the selectors, render."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils._os import safe_join

from storyhouse.discovery.similar import related_stories
from storyhouse.engagement.services import progress_record, read_record

from . import access, queries
from .models import Part, Story, Tag, TagSlug
from .series import neighbours as series_neighbours

PAGE_SIZE = 20


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "stories/home.html",
        {
            "new_stories": queries.stories_new(request.user),
            "popular_stories": queries.stories_popular(request.user),
        },
    )


def story_detail(request: HttpRequest, story_id: int, slug: str) -> HttpResponse:
    story = get_object_or_404(Story.objects.select_related("rating"), pk=story_id)
    if not access.can_view_story(request.user, story):
        raise Http404
    if slug != story.slug:
        return redirect(story, permanent=True)
    parts = list(access.readable_parts(request.user, story).prefetch_related("tags"))
    tags = list(story.tags.all())
    return render(
        request,
        "stories/story.html",
        {
            "story": story,
            "authors": queries.byline(story),
            "tag_groups": queries.tags_grouped(tags),
            "parts": parts,
            "first_part": parts[0] if parts else None,
            "can_edit": access.can_edit_story(request.user, story),
            "related": related_stories(story, request.user),
            "series_places": series_neighbours(request.user, story),
        },
    )


def part_detail(
    request: HttpRequest, story_id: int, story_slug: str, part_id: int, slug: str
) -> HttpResponse:
    part = get_object_or_404(
        Part.objects.select_related("story", "story__rating"), pk=part_id, story_id=story_id
    )
    if not access.can_view_part(request.user, part):
        raise Http404
    story = part.story
    if story_slug != story.slug or slug != part.slug:
        return redirect(part, permanent=True)
    # A part carrying a tag this reader hides asks first (accounts/hidden_warning.html).
    hidden = access.hidden_tags_on_part(request.user, part)
    if hidden and request.GET.get("show") != "hidden":
        context = {"story": story, "part": part, "hidden": hidden}
        return render(request, "accounts/hidden_warning.html", context)
    siblings = list(access.readable_parts(request.user, story).only("id", "title", "slug", "story"))
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == part.pk)
    response = render(
        request,
        "stories/part.html",
        {
            "story": story,
            "part": part,
            "authors": queries.byline(story),
            "tag_groups": queries.tags_grouped(list(part.tags.all())),
            "previous_part": siblings[index - 1] if index > 0 else None,
            "next_part": siblings[index + 1] if index + 1 < len(siblings) else None,
            "part_number": index + 1,
            "parts_total": len(siblings),
            "can_edit": access.can_edit_story(request.user, story),
        },
    )
    # Counted after rendering: the page shows the counts as they were before this visit.
    read_record(part=part, request=request)
    if request.method == "GET":  # reading progress: this reader reached this part
        progress_record(user=request.user, part=part)
    return response


def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tag = Tag.objects.select_related("synonym_of").filter(slug=slug).first()
    if tag is None:
        old = get_object_or_404(TagSlug.objects.select_related("tag"), slug=slug, tag__isnull=False)
        # Not permanent: a renamed tag may take an old name, and its address, back.
        return redirect(old.tag)
    # The books of the whole family, as search finds them: synonyms and sub-tags included.
    stories = queries.stories_with_tags(request.user, queries.tag_family_ids(tag))
    page = Paginator(
        queries.with_card_data(stories.order_by("-updated_at", "-id")), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "stories/tag.html",
        {
            "tag": tag,
            "canonical": tag.filter_tag,
            **queries.tag_relations(tag),
            "page": page,
            "can_wrangle": access.can_wrangle_tags(request.user),
        },
    )


# Uploaded files (covers) in development and small installs; see the README for nginx.
MEDIA_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
}


def media_file(request: HttpRequest, path: str) -> FileResponse:
    """An image under MEDIA_ROOT, with a content type fixed by its extension (never guessed
    from its bytes), so nothing stored there can be served as a page."""
    content_type = MEDIA_TYPES.get(Path(path).suffix.lower())
    if content_type is None:
        raise Http404
    try:
        full = Path(safe_join(settings.MEDIA_ROOT, path))
    except SuspiciousFileOperation as error:
        raise Http404 from error
    if not full.is_file():
        raise Http404
    response = FileResponse(full.open("rb"), content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # Names are random and never reused: a cover that changes gets a new name.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
