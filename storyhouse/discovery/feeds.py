"""Atom feeds of books: a tag's, an author's, and any search's, newest updated first.

Feed readers cannot sign in, so a feed shows what a guest sees (public books only) unless
it is fetched with a personal token (`?token=`, Bearer or Basic; the accounts middleware
reads it): then it shows what the token's owner may read, members-only books included,
and says `Cache-Control: private` so that no shared cache keeps it. A browser's session
alone does not make a feed personal: a feed's address must show the same books wherever it
is pasted. Django's syndication framework writes the Atom (ids, updated, authors, links),
escaping every title and description as XML.
"""

import datetime
from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.feedgenerator import Atom1Feed
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from storyhouse import pagecache
from storyhouse.accounts.models import User
from storyhouse.stories import queries
from storyhouse.stories.access import AnyUser
from storyhouse.stories.models import Story, Tag, TagSlug

from . import index
from .query import SearchQuery, parse
from .search import search as search_books

FEED_SIZE = 20
# How long a shared cache (or a feed reader) may keep a feed that is the same for everyone.
PUBLIC_MAX_AGE = 5 * 60


def feed_reader(request: HttpRequest) -> AnyUser:
    """Whom a feed is for: the owner of the personal token it was fetched with, else a guest
    (whether or not a browser session is signed in)."""
    if getattr(request, "token", None) is not None:
        return request.user
    return AnonymousUser()


def url_token(request: HttpRequest) -> str:
    """The personal token when the request authenticated with `?token=` (not with a header),
    so that links meant for the same client (feed readers, e-readers) can carry it on; else
    "". Never put it in links meant for browsers."""
    if getattr(request, "token", None) is not None and "HTTP_AUTHORIZATION" not in request.META:
        return request.GET.get("token", "")
    return ""


def with_token(url: str, token: str) -> str:
    """The address with `token=` added, when there is a token to carry."""
    if not token:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'token': token})}"


def cache_for(response: HttpResponse, *, personal: bool) -> HttpResponse:
    """Say who may keep a feed: only the client itself when it shows one person's reach,
    anyone for a few minutes when it is what every guest sees."""
    if personal:
        patch_cache_control(response, private=True, no_cache=True)
    else:
        patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
    # The same address answers differently with a token in a header or a session cookie.
    patch_vary_headers(response, ("Authorization", "Cookie"))
    return response


def index_watermark() -> int | None:
    """Up to which change the search index had applied (None: searches ask the database)."""
    built = index.current()
    return built.watermark if built is not None else None


def story_guid(story: Story, site: str) -> str:
    """An entry's id, a tag URI (RFC 4151) by the book's number: it stays the same when the
    title (and so the address) changes, so readers do not show a renamed book as a new one."""
    host = site.split("://", 1)[-1].split(":", 1)[0]
    day = (story.published_at or story.created_at).date().isoformat()
    return f"tag:{host},{day}:/stories/{story.pk}"


def search_page_url(query: SearchQuery) -> str:
    """The search page's address for a query."""
    params = query.urlencode()
    base = reverse("discovery:search")
    return f"{base}?{params}" if params else base


def origin(request: HttpRequest) -> str:
    """This site's scheme and host as the request reached it, such as https://example.org."""
    return request.build_absolute_uri("/").rstrip("/")


def stamped(stories: list[Story], site: str) -> list[Story]:
    """Give each book what its entry needs beyond the book: the site it is served from."""
    for story in stories:
        story.feed_origin = site
    return stories


class StoryFeed(Feed):
    """What every feed of books shares: how a book becomes an entry.

    Each feed's object carries what the framework does not pass on from the request (set in
    `get_object`, once per request): `feed_origin`, since an entry's author link and id must
    be absolute; `feed_reader`, whose reach the feed shows; and `feed_token`, the `?token=`
    the feed's own address keeps (so a feed reader that follows rel="self" keeps its access).
    Links to book pages never carry it.
    """

    feed_type = Atom1Feed

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        seen_up_to = index_watermark()
        response = super().__call__(request, *args, **kwargs)
        personal = not feed_reader(request).is_anonymous
        if not personal:
            # Every change to a book, part or tag a feed can show is a `listing` change.
            pagecache.depends(request, "listing", seen_up_to=seen_up_to)
        return cache_for(response, personal=personal)

    def author_name(self) -> str:
        return settings.SITE_NAME

    def item_title(self, story: Story) -> str:
        return story.title

    def item_description(self, story: Story) -> str:
        # The description is the HTML readers see, cleaned when it was saved; the feed writes
        # it escaped, as <summary type="html">.
        return story.description

    def item_link(self, story: Story) -> str:
        return story.get_absolute_url()

    def item_author_name(self, story: Story) -> str:
        return ", ".join(author.name for author in story.byline_authors)

    def item_author_link(self, story: Story) -> str | None:
        authors = story.byline_authors
        return story.feed_origin + authors[0].get_absolute_url() if authors else None

    def item_guid(self, story: Story) -> str:
        return story_guid(story, story.feed_origin)

    def item_pubdate(self, story: Story) -> datetime.datetime:
        return story.published_at or story.created_at

    def item_updateddate(self, story: Story) -> datetime.datetime:
        return story.updated_at or story.published_at or story.created_at

    def item_categories(self, story: Story) -> list[str]:
        return [tag.name for tag in story.tags.all()]


class TagFeed(StoryFeed):
    def get_object(self, request: HttpRequest, slug: str) -> Tag:
        tag = Tag.objects.select_related("synonym_of").filter(slug=slug).first()
        if tag is None:  # a tag renamed since the feed was subscribed to
            old = get_object_or_404(TagSlug.objects.select_related("tag"), slug=slug)
            if old.tag is None:
                raise Http404
            tag = old.tag
        tag.feed_origin = origin(request)
        tag.feed_reader = feed_reader(request)
        tag.feed_token = url_token(request)
        return tag

    def title(self, tag: Tag) -> str:
        return _("%(tag)s · %(site)s") % {"tag": tag.name, "site": settings.SITE_NAME}

    def subtitle(self, tag: Tag) -> str:
        return _("Stories tagged “%(tag)s”, newest updated first.") % {"tag": tag.name}

    def link(self, tag: Tag) -> str:
        return tag.get_absolute_url()

    def feed_url(self, tag: Tag) -> str:
        return with_token(reverse("discovery:tag_feed", kwargs={"slug": tag.slug}), tag.feed_token)

    def items(self, tag: Tag) -> list[Story]:
        stories = queries.stories_with_tags(tag.feed_reader, queries.tag_family_ids(tag))
        found = queries.with_card_data(stories.order_by("-updated_at", "-id"))[:FEED_SIZE]
        return stamped(list(found), tag.feed_origin)


class AuthorFeed(StoryFeed):
    def get_object(self, request: HttpRequest, username: str) -> User:
        author = get_object_or_404(User, username=username, is_active=True)
        author.feed_origin = origin(request)
        author.feed_reader = feed_reader(request)
        author.feed_token = url_token(request)
        return author

    def title(self, author: User) -> str:
        return _("%(author)s · %(site)s") % {"author": author.name, "site": settings.SITE_NAME}

    def subtitle(self, author: User) -> str:
        return _("Stories by %(author)s, newest updated first.") % {"author": author.name}

    def link(self, author: User) -> str:
        return author.get_absolute_url()

    def feed_url(self, author: User) -> str:
        url = reverse("discovery:author_feed", kwargs={"username": author.username})
        return with_token(url, author.feed_token)

    def items(self, author: User) -> list[Story]:
        stories = queries.stories_by_author(author.feed_reader, author)
        stories = stories.order_by("-updated_at", "-id")
        return stamped(list(queries.with_card_data(stories)[:FEED_SIZE]), author.feed_origin)


@dataclass(frozen=True)
class FeedSearch:
    query: SearchQuery
    feed_origin: str
    feed_reader: AnyUser
    feed_token: str = ""


class SearchFeed(StoryFeed):
    """Any search, by the search page's own parameters; newest updated first unless the
    search says how to sort."""

    def get_object(self, request: HttpRequest) -> FeedSearch:
        return FeedSearch(
            query=parse(request.GET),
            feed_origin=origin(request),
            feed_reader=feed_reader(request),
            feed_token=url_token(request),
        )

    def title(self, search: FeedSearch) -> str:
        return _("A search · %(site)s") % {"site": settings.SITE_NAME}

    def subtitle(self, search: FeedSearch) -> str:
        if search.query.q:
            return _("Stories found for “%(words)s”.") % {"words": search.query.q}
        return _("Stories found by a search.")

    def link(self, search: FeedSearch) -> str:
        return search_page_url(search.query)

    def feed_url(self, search: FeedSearch) -> str:
        params = search.query.urlencode()
        base = reverse("discovery:search_feed")
        return with_token(f"{base}?{params}" if params else base, search.feed_token)

    def items(self, search: FeedSearch) -> list[Story]:
        query = search.query
        if not query.sort:
            query = replace(query, sort="updated")
        found = search_books(query, search.feed_reader, facets=False, page_size=FEED_SIZE)
        return stamped(found.stories, search.feed_origin)
