"""The search page: a search box, story cards, and a sidebar to narrow the search by tags and
the other filters, all plain links and GET forms in the one URL form of `query.py`."""

import functools
from dataclasses import dataclass, replace

from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.cache import cache
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import get_language_info, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from storyhouse import pagecache
from storyhouse.stories import access
from storyhouse.stories.models import Story, Tag, TagSlug, TagType, Visibility

from . import fulltext, index
from .query import SORTS, SearchQuery, parse
from .search import search

# How long the list of languages books are written in is kept when no index is built.
LANGUAGES_CACHE_SECONDS = 10 * 60

FACET_LABELS = {
    TagType.RATING: gettext_lazy("Ratings"),
    TagType.WARNING: gettext_lazy("Warnings"),
    TagType.CATEGORY: gettext_lazy("Categories"),
    TagType.FANDOM: gettext_lazy("Fandoms"),
    TagType.RELATIONSHIP: gettext_lazy("Relationships"),
    TagType.CHARACTER: gettext_lazy("Characters"),
    TagType.TROPE: gettext_lazy("Tropes"),
}
SORT_LABELS = {
    "best": gettext_lazy("Best match"),
    "updated": gettext_lazy("Updated"),
    "published": gettext_lazy("Published"),
    "reads": gettext_lazy("Reads"),
    "votes": gettext_lazy("Votes"),
    "comments": gettext_lazy("Comments"),
    "words": gettext_lazy("Words"),
    "title": gettext_lazy("Title"),
}


@dataclass
class FacetLink:
    tag: Tag
    count: int
    included: bool
    include_url: str
    exclude_url: str


@dataclass
class Chip:
    """A tag the search names, with the address of the same search without it."""

    name: str
    kind: str  # "include", "exclude" or "rating"
    remove_url: str


def _url(query: SearchQuery) -> str:
    encoded = query.urlencode()
    return _search_path() + (f"?{encoded}" if encoded else "")


@functools.cache
def _search_path() -> str:
    # A page has some 150 links to searches: finding the address once is noticeably faster.
    return reverse("discovery:search")


def _with_typed_names_as_slugs(query: SearchQuery) -> tuple[SearchQuery, bool]:
    """The search with tags typed by name (or by a slug they used to have) in the form's
    free-text fields named by their slugs, so the address says what the reader meant; and
    whether any was."""
    named = set(query.include + query.exclude + query.rating)
    if not named:
        return query, False
    missing = named - set(Tag.objects.filter(slug__in=named).values_list("slug", flat=True))
    found: dict[str, str] = {}
    for typed in missing:
        tag = Tag.objects.filter(name__iexact=typed).only("slug").first()
        if tag is None:
            old = TagSlug.objects.filter(slug=typed, tag__isnull=False).select_related("tag")
            tag = getattr(old.first(), "tag", None)
        if tag is not None:
            found[typed] = tag.slug
    if not found:
        return query, False

    def slugs(values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(found.get(value, value) for value in values))

    include = slugs(query.include)
    exclude = tuple(slug for slug in slugs(query.exclude) if slug not in include)
    return replace(query, include=include, exclude=exclude, rating=slugs(query.rating)), True


def _tidy(request: HttpRequest, query: SearchQuery, *, renamed: bool) -> str | None:
    """The tidy address of this search, when the request's differs: the sidebar form sends
    every field, empty ones included, and tag names where slugs belong."""
    if query.errors:
        return None  # redirecting would drop the words the message is about
    empty = any(value.strip() == "" for _key, values in request.GET.lists() for value in values)
    tidy = _url(query)
    if (renamed or empty) and tidy != request.get_full_path():
        return tidy
    return None


def _filter_chips(query: SearchQuery) -> list[Chip]:
    """The search's other filters as chips too, each removable in one click."""
    chips = []

    def chip(name: str, **cleared) -> None:
        chips.append(Chip(name, "filter", _url(replace(query, page=1, **cleared))))

    if query.complete is not None:
        chip(_("Complete only") if query.complete else _("Ongoing only"), complete=None)
    if query.words_min is not None:
        words = intcomma(query.words_min)
        chip(_("At least %(words)s words") % {"words": words}, words_min=None)
    if query.words_max is not None:
        words = intcomma(query.words_max)
        chip(_("At most %(words)s words") % {"words": words}, words_max=None)
    if query.language:
        chip(_("In %(language)s") % {"language": _language_name(query.language)}, language="")
    if query.updated_since:
        since = date_format(query.updated_since, "DATE_FORMAT")
        chip(_("Updated since %(date)s") % {"date": since}, updated_since=None)
    return chips


def _language_name(code: str) -> str:
    try:
        return get_language_info(code.lower())["name_local"]
    except KeyError:
        return code


def _languages(query: SearchQuery, viewer) -> list[tuple[str, str]]:
    """The languages books are written in here, as (code, name) for the form's choices: from
    the search index when it is built, else from the database, remembered for a while (it
    reads every book)."""
    built = index.current()
    if built is not None:
        codes = set(built.languages(members=viewer.is_authenticated))
    else:
        key = f"discovery:languages:{int(viewer.is_authenticated)}"
        codes = cache.get(key)
        if codes is None:
            shown = [Visibility.PUBLIC]
            if viewer.is_authenticated:
                shown.append(Visibility.MEMBERS)
            listed = Story.objects.filter(visibility__in=shown, parts_count__gt=0)
            codes = {code.lower() for code in listed.values_list("language", flat=True).distinct()}
            cache.set(key, codes, LANGUAGES_CACHE_SECONDS)
        codes = set(codes)
    if query.language:
        codes.add(query.language.lower())
    choices = [(code, _language_name(code)) for code in codes]
    return sorted(choices, key=lambda choice: choice[1].lower())


@require_safe
def search_page(request: HttpRequest) -> HttpResponse:
    query, renamed = _with_typed_names_as_slugs(parse(request.GET))
    tidy = _tidy(request, query, renamed=renamed)
    if tidy is not None:
        return redirect(tidy)
    errors = list(query.errors)
    searched = query
    if query.q and not fulltext.words(query.q):
        # Only punctuation: nothing to look for, so the rest of the search stands alone.
        searched = replace(query, q="", sort="" if query.sort == "best" else query.sort)
        errors.append(_("“%(q)s” holds no words to look for.") % {"q": query.q})
    built = index.current()
    # The index follows the change log on its own: the page shows what it had applied.
    seen_up_to = built.watermark if built is not None else None
    if searched.q:
        # So does the text table that words are looked up in.
        text_seen = fulltext.caught_up_to()
        seen_up_to = text_seen if seen_up_to is None else min(seen_up_to, text_seen)
    result = search(searched, request.user)
    pagecache.depends(
        request,
        "listing",
        *[f"story:{story.pk}" for story in result.stories],
        seen_up_to=seen_up_to,
    )

    named_tags = {
        tag.slug: tag
        for tag in Tag.objects.filter(slug__in=query.include + query.exclude + query.rating)
    }
    chips = [
        Chip(named_tags[slug].name, kind, _url(query.without_tag(slug)))
        for kind, slugs in (
            ("include", query.include),
            ("exclude", query.exclude),
            ("rating", query.rating),
        )
        for slug in slugs
        if slug in named_tags
    ]
    chips += _filter_chips(query)
    included = {named_tags[slug].filter_tag.pk for slug in query.include if slug in named_tags}
    facets = [
        (
            FACET_LABELS.get(group.type, group.type),
            [
                FacetLink(
                    tag=tag,
                    count=count,
                    included=tag.pk in included,
                    include_url=_url(query.with_tag(tag.slug)),
                    exclude_url=_url(query.with_tag(tag.slug, exclude=True)),
                )
                for tag, count in group.tags
            ],
        )
        for group in result.facets
    ]

    hidden_slugs = set(access.hidden_tags(request.user).values_list("slug", flat=True))
    hidden_included = [
        named_tags[slug] for slug in query.include if slug in named_tags and slug in hidden_slugs
    ]

    sorts = [
        (sort, SORT_LABELS[sort], _url(replace(query, sort=sort, page=1)))
        for sort in SORTS
        if sort != "best" or searched.q
    ]
    page_past_end = query.page > result.pages and result.result.total > 0
    return render(
        request,
        "discovery/search.html",
        {
            "query": query,
            "result": result,
            "total": result.result.total,
            "facets": facets,
            "chips": chips,
            "errors": errors,
            "unknown": result.unknown,
            "hides_tags": bool(hidden_slugs),
            "hidden_included": hidden_included,
            "sorts": sorts,
            "order": searched.order,
            "ratings": Tag.objects.filter(type=TagType.RATING, synonym_of__isnull=True).order_by(
                "id"
            ),
            "languages": _languages(query, request.user),
            "previous_url": _url(replace(query, page=query.page - 1))
            if 1 < query.page <= result.pages
            else "",
            "next_url": _url(replace(query, page=query.page + 1))
            if query.page < result.pages
            else "",
            "page_past_end": page_past_end,
            "first_page_url": _url(replace(query, page=1)),
            # Clearing the filters keeps the words.
            "clear_url": ""
            if replace(query, q="").is_empty
            else _url(SearchQuery(q=query.q, sort=query.sort)),
        },
    )


@require_safe
def tag_options(request: HttpRequest) -> HttpResponse:
    """<option>s for the sidebar's tag fields: tags whose names hold the words typed, those
    starting with them first. Names, not slugs: the page turns a typed name into its tag."""
    term = " ".join(request.GET.get("q", "")[:150].split())
    names: list[str] = []
    if term:
        found = list(
            Tag.objects.filter(Q(name__icontains=term))
            .exclude(type=TagType.LANGUAGE)
            .order_by("name")
            .values_list("name", flat=True)[:40]
        )
        found.sort(key=lambda name: (not name.lower().startswith(term.lower()), name.lower()))
        names = found[:12]
    return render(request, "desk/tag_options.html", {"options": names})
