"""Reading pages: home, book, part, tag and author. Parse, ask the selectors, render."""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils._os import safe_join
from django.utils.http import url_has_allowed_host_and_scheme

from storyhouse import pagecache
from storyhouse.discovery.similar import related_stories
from storyhouse.engagement import paragraphs
from storyhouse.engagement.services import progress_opened, read_record

from . import access, adult_gate, queries
from .archive_tags import NOT_RATED
from .models import Part, Story, Tag, TagSlug, TagType
from .series import neighbours as series_neighbours

PAGE_SIZE = 20


def _story_keys(stories) -> list[str]:
    return [f"story:{story.pk}" for story in stories]


def home(request: HttpRequest) -> HttpResponse:
    new_stories = queries.stories_new(request.user)
    popular_stories = queries.stories_popular(request.user)
    pagecache.depends(request, "listing", *_story_keys(new_stories + popular_stories))
    return render(
        request,
        "stories/home.html",
        {"new_stories": new_stories, "popular_stories": popular_stories},
    )


def _warnings(story: Story, part: Part | None = None) -> list[Tag]:
    """The warning tags on the book (and on the part) that the gate and Not Rated notice name."""
    tags = story.tags.filter(type=TagType.WARNING)
    if part is not None:
        tags = tags | part.tags.filter(type=TagType.WARNING)
    return list(tags.distinct().order_by("name"))


def _back_url(request: HttpRequest, story: Story) -> str:
    """Where the gate's Go back leads: the page the reader came from when it is one of ours and
    not this book, else home. Guests' gate is kept for every guest, so it never holds theirs."""
    referer = request.META.get("HTTP_REFERER", "")
    if request.user.is_authenticated and referer:
        ours = url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        if ours and story.get_absolute_url() not in referer:
            return referer
    return reverse("home")


def _adult_gate(request: HttpRequest, story: Story, part: Part | None = None) -> HttpResponse:
    """The page in place of a Mature or Explicit book until the reader proceeds: the same URL,
    so Proceed is this page with adult_gate.PROCEED_QUERY. Kept for guests like any page."""
    warnings = _warnings(story, part)
    pagecache.depends(
        request,
        f"story:{story.pk}",
        f"tag:{story.rating_id}",
        *[f"tag:{tag.pk}" for tag in warnings],
        *([f"part:{part.pk}"] if part is not None else []),
    )
    context = {
        "story": story,
        "part": part,
        "warnings": warnings,
        "proceed_url": f"{request.path}?{adult_gate.PROCEED_QUERY}",
        "back_url": _back_url(request, story),
    }
    return render(request, "stories/adult_gate.html", context)


def story_detail(request: HttpRequest, story_id: int, slug: str) -> HttpResponse:
    story = get_object_or_404(Story.objects.select_related("rating"), pk=story_id)
    if not access.can_view_story(request.user, story):
        raise Http404
    if slug != story.slug:
        return redirect(story, permanent=True)
    if access.asks_before_opening(request.user, story, proceeded=adult_gate.proceeded(request)):
        return _adult_gate(request, story)
    parts = list(access.readable_parts(request.user, story).prefetch_related("tags"))
    tags = list(story.tags.all())
    related = related_stories(story, request.user)
    series_places = series_neighbours(request.user, story)
    pagecache.depends(
        request,
        f"story:{story.pk}",
        f"tag:{story.rating_id}",
        *[f"tag:{tag.pk}" for tag in tags],
        *[f"part:{part.pk}" for part in parts],
        *_story_keys(related.similar + related.co_read),
        *_story_keys(
            book for place in series_places for book in (place.previous, place.next) if book
        ),
    )
    response = render(
        request,
        "stories/story.html",
        {
            "story": story,
            "authors": queries.byline(story),
            "tag_groups": queries.tags_grouped(tags),
            "not_rated_warnings": _not_rated_warnings(story, tags),
            "parts": parts,
            "first_part": parts[0] if parts else None,
            "can_edit": access.can_edit_story(request.user, story),
            "related": related,
            "series_places": series_places,
        },
    )
    adult_gate.remember(request, response)
    return response


def _not_rated_warnings(story: Story, tags: list[Tag] | None = None) -> list[Tag] | None:
    """For a Not Rated book, its warnings, shown prominently in place of a gate; else None."""
    if story.rating is None or story.rating.name != NOT_RATED:
        return None
    if tags is None:
        return _warnings(story)
    return sorted((tag for tag in tags if tag.type == TagType.WARNING), key=lambda t: t.name)


def part_detail(
    request: HttpRequest, story_id: int, story_slug: str, part_id: int, slug: str
) -> HttpResponse:
    part = queries.part_for_page(part_id, story_id)
    if part is None or not access.can_view_part(request.user, part):
        raise Http404
    story = part.story
    if story_slug != story.slug or slug != part.slug:
        return redirect(part, permanent=True)
    if access.asks_before_opening(request.user, story, proceeded=adult_gate.proceeded(request)):
        return _adult_gate(request, story, part)
    # A part carrying a tag this reader hides asks first (accounts/hidden_warning.html).
    hidden = access.hidden_tags_on_part(request.user, part)
    if hidden and request.GET.get("show") != "hidden":
        context = {"story": story, "part": part, "hidden": hidden}
        return render(request, "accounts/hidden_warning.html", context)
    siblings = queries.part_siblings(request.user, story)
    if all(sibling.pk != part.pk for sibling in siblings):  # a hidden part, for a moderator
        siblings = sorted([*siblings, part], key=lambda each: (each.position, each.pk))
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == part.pk)
    context = {
        "story": story,
        "part": part,
        "authors": queries.byline(story),
        "previous_part": siblings[index - 1] if index > 0 else None,
        "next_part": siblings[index + 1] if index + 1 < len(siblings) else None,
        "part_number": index + 1,
        "parts_total": len(siblings),
        "can_edit": access.can_edit_story(request.user, story),
        "not_rated_warnings": _not_rated_warnings(story),
    }
    if hidden:  # the tags this reader hides are marked: not the text everyone shares
        part_tags = list(part.tags.all())
        context["tag_groups"] = queries.tags_grouped(part_tags)
        text_keys = [f"part:{part.pk}", f"story:{story.pk}", *[f"tag:{t.pk}" for t in part_tags]]
    else:
        context["part_text"], text_keys = queries.part_text(part)
    if context["not_rated_warnings"] is not None:
        text_keys = [*text_keys, *[f"tag:{tag.pk}" for tag in context["not_rated_warnings"]]]
    pagecache.depends(request, *text_keys)
    pagecache.counts_read(request, part_id=part.pk, story_id=story.pk)
    if not hidden and access.sees_part_as_any_reader(request.user, part):
        pagecache.personal_shell(
            request,
            *text_keys,
            read=(part.pk, story.pk),
            tags=queries.part_tag_ids(part),
            authors=frozenset(a.user_id for a in story.accepted_authorships),
            paragraphs=len(paragraphs.paragraphs(part.body)),
            adult=access.is_adult(story),
        )
    response = render(request, "stories/part.html", context)
    adult_gate.remember(request, response)
    # Counted after rendering: the page shows the counts as they were before this visit.
    read_record(part=part, request=request)
    if request.method == "GET":  # reading progress: this reader reached this part
        progress_opened(user=request.user, part=part)
    return response


def tag_detail(request: HttpRequest, slug: str) -> HttpResponse:
    tag = Tag.objects.select_related("synonym_of").filter(slug=slug).first()
    if tag is None:
        old = get_object_or_404(TagSlug.objects.select_related("tag"), slug=slug, tag__isnull=False)
        # Not permanent: a renamed tag may take an old name, and its address, back.
        return redirect(old.tag)
    # The books of the whole family, as search finds them: synonyms and sub-tags included.
    family = queries.tag_family_ids(tag)
    stories = queries.stories_with_tags(request.user, family)
    page = Paginator(
        queries.with_card_data(stories.order_by("-updated_at", "-id")), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    pagecache.depends(
        request,
        "listing",
        f"tag:{tag.pk}",
        *[f"tag:{tag_id}" for tag_id in family],
        *_story_keys(page.object_list),
    )
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
