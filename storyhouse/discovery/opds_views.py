"""The OPDS catalog at /opds/, for e-reader apps: what is new, popular and recently updated,
books by tag, search, and a sign-in that asks for a personal token.

A client without credentials sees public books only; a signed-in session, or a personal token
(`?token=`, Bearer, or the password of HTTP Basic, read by the accounts middleware) sees what
its owner may read, and such answers are marked private so no shared cache keeps them.
"""

from dataclasses import replace

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from storyhouse import pagecache
from storyhouse.stories.models import Tag, TagSlug

from . import opds
from .feeds import cache_for, index_watermark, origin, url_token
from .filters import FACET_TYPES
from .opds import ACQUISITION, NAVIGATION, OPENSEARCH_TYPE, Catalog, FeedHead, Link, Page
from .query import SearchQuery, parse
from .search import search
from .views import FACET_LABELS

PAGE_SIZE = 25


def _catalog(request: HttpRequest) -> Catalog:
    return Catalog(origin=origin(request), token=url_token(request))


def _respond(request: HttpRequest, body: bytes, content_type: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    if not request.user.is_authenticated:
        pagecache.depends(request, "listing")
    return cache_for(response, personal=request.user.is_authenticated)


def _common_links(catalog: Catalog) -> list[Link]:
    return [
        Link("start", catalog.reader_url(reverse("opds:root")), NAVIGATION, settings.SITE_NAME),
        Link(
            "search",
            catalog.reader_url(reverse("opds:opensearch")),
            OPENSEARCH_TYPE,
            _("Search"),
        ),
    ]


def _navigation(
    request: HttpRequest,
    catalog: Catalog,
    *,
    path: str,
    title: str,
    entries: list[opds.NavigationEntry],
    up: str | None,
) -> HttpResponse:
    links = _common_links(catalog)
    if up is not None:
        links.append(Link("up", catalog.reader_url(up), NAVIGATION))
    head = FeedHead(
        id=catalog.browser_url(path),
        title=title,
        self_link=Link("self", catalog.reader_url(path), NAVIGATION),
        links=links,
    )
    return _respond(request, opds.navigation_feed(catalog, head, entries), NAVIGATION)


def _entry(
    catalog: Catalog,
    path: str,
    title: str,
    content: str,
    *,
    kind: str = ACQUISITION,
    rel: str = "subsection",
    count: int | None = None,
) -> opds.NavigationEntry:
    return opds.NavigationEntry(
        id=catalog.browser_url(path),
        title=title,
        content=content,
        link=Link(rel, catalog.reader_url(path), kind, title, count),
    )


def _books(
    request: HttpRequest,
    query: SearchQuery,
    *,
    path: str,
    title: str,
    up: tuple[str, str],
    rel: str = "",
    params: list[tuple[str, str]] | None = None,
) -> HttpResponse:
    """An acquisition feed: one page of a search's books. `params` are what the feed's
    address says besides the page (the search's own, for a search; none for a fixed list)."""
    pagecache.depends(request, seen_up_to=index_watermark())  # the page shows the index's view
    catalog = _catalog(request)
    found = search(query, request.user, facets=False, page_size=PAGE_SIZE)
    page = Page(number=query.page, size=PAGE_SIZE, total=found.result.total)
    params = params or []
    here = params + ([("page", str(page.number))] if page.number > 1 else [])
    self_url = catalog.reader_url(path, here)
    up_path, up_kind = up
    links = [
        *_common_links(catalog),
        Link("up", catalog.reader_url(up_path), up_kind),
        *opds.pagination_links(catalog, path, params, page),
    ]
    if rel:  # what kind of list this is (new, popular), for clients that care
        links.append(Link(rel, self_url, ACQUISITION))
    updated = [s.updated_at or s.published_at or s.created_at for s in found.stories]
    head = FeedHead(
        id=catalog.browser_url(path + (f"?{urlencode(here)}" if here else "")),
        title=title,
        self_link=Link("self", self_url, ACQUISITION),
        links=links,
        updated=max(updated, default=timezone.now()),
    )
    body = opds.acquisition_feed(catalog, head, found.stories, page)
    return _respond(request, body, ACQUISITION)


def _page(request: HttpRequest) -> int:
    return parse(request.GET).page


@require_safe
def root(request: HttpRequest) -> HttpResponse:
    catalog = _catalog(request)
    entries = [
        _entry(
            catalog,
            reverse("opds:new"),
            _("New stories"),
            _("The newest books, first published most recently."),
            rel=opds.REL_NEW,
        ),
        _entry(
            catalog,
            reverse("opds:popular"),
            _("Popular"),
            _("The most read books."),
            rel=opds.REL_POPULAR,
        ),
        _entry(
            catalog,
            reverse("opds:updated"),
            _("Recently updated"),
            _("Books with a new part, most recent first."),
        ),
        _entry(
            catalog,
            reverse("opds:tags"),
            _("Browse by tag"),
            _("Fandoms, relationships, characters, tropes and more."),
            kind=NAVIGATION,
        ),
    ]
    if not request.user.is_authenticated:
        entries.append(
            _entry(
                catalog,
                reverse("opds:signin"),
                _("Sign in (for members-only stories)"),
                _("Your username, and a personal token as the password."),
                kind=NAVIGATION,
            )
        )
    return _navigation(
        request,
        catalog,
        path=reverse("opds:root"),
        title=settings.SITE_NAME,
        entries=entries,
        up=None,
    )


@require_safe
def new(request: HttpRequest) -> HttpResponse:
    return _books(
        request,
        SearchQuery(sort="published", page=_page(request)),
        path=reverse("opds:new"),
        title=_("New stories"),
        up=(reverse("opds:root"), NAVIGATION),
        rel=opds.REL_NEW,
    )


@require_safe
def popular(request: HttpRequest) -> HttpResponse:
    return _books(
        request,
        SearchQuery(sort="reads", page=_page(request)),
        path=reverse("opds:popular"),
        title=_("Popular"),
        up=(reverse("opds:root"), NAVIGATION),
        rel=opds.REL_POPULAR,
    )


@require_safe
def updated(request: HttpRequest) -> HttpResponse:
    return _books(
        request,
        SearchQuery(sort="updated", page=_page(request)),
        path=reverse("opds:updated"),
        title=_("Recently updated"),
        up=(reverse("opds:root"), NAVIGATION),
    )


@require_safe
def tag_types(request: HttpRequest) -> HttpResponse:
    catalog = _catalog(request)
    entries = [
        _entry(
            catalog,
            reverse("opds:tag_type", kwargs={"type": tag_type}),
            str(FACET_LABELS[tag_type]),
            _("The most used %(kind)s tags.") % {"kind": str(FACET_LABELS[tag_type]).lower()},
            kind=NAVIGATION,
        )
        for tag_type in FACET_TYPES
    ]
    return _navigation(
        request,
        catalog,
        path=reverse("opds:tags"),
        title=_("Browse by tag"),
        entries=entries,
        up=reverse("opds:root"),
    )


@require_safe
def tag_type(request: HttpRequest, type: str) -> HttpResponse:
    if type not in FACET_TYPES:
        raise Http404
    catalog = _catalog(request)
    entries = [
        _entry(
            catalog,
            reverse("opds:tag", kwargs={"slug": tag.slug}),
            tag.name,
            ngettext("%(count)d book", "%(count)d books", books) % {"count": books},
            count=books,
        )
        for tag, books in opds.popular_tags(request.user, type)
    ]
    return _navigation(
        request,
        catalog,
        path=reverse("opds:tag_type", kwargs={"type": type}),
        title=str(FACET_LABELS[type]),
        entries=entries,
        up=reverse("opds:tags"),
    )


@require_safe
def tag_books(request: HttpRequest, slug: str) -> HttpResponse:
    tag = Tag.objects.filter(slug=slug).first()
    if tag is None:  # a tag renamed since the client saved the address
        old = get_object_or_404(TagSlug.objects.select_related("tag"), slug=slug)
        if old.tag is None:
            raise Http404
        tag = old.tag
    return _books(
        request,
        SearchQuery(include=(tag.slug,), sort="updated", page=_page(request)),
        path=reverse("opds:tag", kwargs={"slug": tag.slug}),
        title=tag.name,
        up=(reverse("opds:tag_type", kwargs={"type": tag.type}), NAVIGATION),
    )


@require_safe
def search_books(request: HttpRequest) -> HttpResponse:
    """Any search, by the search page's parameters (e-readers send `q`)."""
    query = parse(request.GET)
    return _books(
        request,
        query,
        params=replace(query, page=1).params(),
        path=reverse("opds:search"),
        title=_("Search: %(words)s") % {"words": query.q} if query.q else _("Search"),
        up=(reverse("opds:root"), NAVIGATION),
    )


@require_safe
def opensearch(request: HttpRequest) -> HttpResponse:
    body = opds.opensearch_description(_catalog(request))
    return _respond(request, body, f"{OPENSEARCH_TYPE}; charset=utf-8")


@require_safe
def signin(request: HttpRequest) -> HttpResponse:
    """Where an e-reader is asked for credentials: 401 with a Basic challenge until the
    request carries a personal token (or a session), then back to the catalog."""
    if request.user.is_authenticated:
        return redirect(_catalog(request).reader_url(reverse("opds:root")))
    message = _(
        "Sign in with your username, and a personal token as the password. Make a token in "
        "your account settings on %(site)s. Your account password is never accepted here: "
        "a token can be revoked on its own, without changing your password."
    ) % {"site": settings.SITE_NAME}
    response = HttpResponse(message, status=401, content_type="text/plain; charset=utf-8")
    realm = settings.SITE_NAME.replace('"', "").replace("\\", "")
    response["WWW-Authenticate"] = f'Basic realm="{realm}", charset="UTF-8"'
    return cache_for(response, personal=True)
