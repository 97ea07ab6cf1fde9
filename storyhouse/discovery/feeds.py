"""Atom feeds of books: a tag's, an author's, and any search's, newest updated first.

Feed readers fetch without signing in, so a feed shows what a guest sees: public books only,
never members-only ones. Django's syndication framework writes the Atom (ids, updated,
authors, links), escaping every title and description as XML.
"""

import datetime
from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from storyhouse.accounts.models import User
from storyhouse.stories import queries
from storyhouse.stories.models import Story, Tag, TagSlug

from .query import SearchQuery, parse
from .search import search as search_books

FEED_SIZE = 20


def guest() -> AnonymousUser:
    """Whom a feed is for: anyone, signed in or not."""
    return AnonymousUser()


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

    Each feed's object carries `feed_origin` (set in `get_object`, once per request), since
    an entry's author link and id must be absolute and the framework does not make them so.
    """

    feed_type = Atom1Feed

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
        # A tag URI (RFC 4151) by the book's number: it stays the same when the title (and so
        # the address) changes, so feed readers do not show a renamed book as a new one.
        host = story.feed_origin.split("://", 1)[-1].split(":", 1)[0]
        day = (story.published_at or story.created_at).date().isoformat()
        return f"tag:{host},{day}:/stories/{story.pk}"

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
        return tag

    def title(self, tag: Tag) -> str:
        return _("%(tag)s · %(site)s") % {"tag": tag.name, "site": settings.SITE_NAME}

    def subtitle(self, tag: Tag) -> str:
        return _("Stories tagged “%(tag)s”, newest updated first.") % {"tag": tag.name}

    def link(self, tag: Tag) -> str:
        return tag.get_absolute_url()

    def feed_url(self, tag: Tag) -> str:
        return reverse("discovery:tag_feed", kwargs={"slug": tag.slug})

    def items(self, tag: Tag) -> list[Story]:
        stories = queries.stories_with_tags(guest(), queries.tag_family_ids(tag))
        found = queries.with_card_data(stories.order_by("-updated_at", "-id"))[:FEED_SIZE]
        return stamped(list(found), tag.feed_origin)


class AuthorFeed(StoryFeed):
    def get_object(self, request: HttpRequest, username: str) -> User:
        author = get_object_or_404(User, username=username, is_active=True)
        author.feed_origin = origin(request)
        return author

    def title(self, author: User) -> str:
        return _("%(author)s · %(site)s") % {"author": author.name, "site": settings.SITE_NAME}

    def subtitle(self, author: User) -> str:
        return _("Stories by %(author)s, newest updated first.") % {"author": author.name}

    def link(self, author: User) -> str:
        return author.get_absolute_url()

    def feed_url(self, author: User) -> str:
        return reverse("discovery:author_feed", kwargs={"username": author.username})

    def items(self, author: User) -> list[Story]:
        stories = queries.stories_by_author(guest(), author).order_by("-updated_at", "-id")
        return stamped(list(queries.with_card_data(stories)[:FEED_SIZE]), author.feed_origin)


@dataclass(frozen=True)
class FeedSearch:
    query: SearchQuery
    feed_origin: str


class SearchFeed(StoryFeed):
    """Any search, by the search page's own parameters; newest updated first unless the
    search says how to sort."""

    def get_object(self, request: HttpRequest) -> FeedSearch:
        return FeedSearch(query=parse(request.GET), feed_origin=origin(request))

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
        return f"{base}?{params}" if params else base

    def items(self, search: FeedSearch) -> list[Story]:
        query = search.query
        if not query.sort:
            query = replace(query, sort="updated")
        found = search_books(query, guest(), facets=False, page_size=FEED_SIZE).stories
        return stamped(found, search.feed_origin)
