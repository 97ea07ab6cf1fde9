"""The OPDS 1.2 catalog as XML: navigation feeds, acquisition feeds of books, and the
OpenSearch description e-readers search with.

Builds documents (lxml writes them, so every title and description is escaped); which books
go in them `opds_views` asks `search` (so visibility, hidden tags and sorts stay in one
place), and the tags to browse by `popular_tags` below. Links that an e-reader follows
(navigation, pagination, acquisition, search) carry `?token=` when the request came with
one, because most e-readers can only keep a token in the catalog's address; links meant for
browsers (a book's page, an author's page) never do.
"""

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from lxml import etree

from storyhouse.stories import access
from storyhouse.stories.access import AnyUser
from storyhouse.stories.models import Story, Tag

from . import oracle, search
from .feeds import story_guid, with_token
from .filters import TagGraph, resolve
from .query import SearchQuery

ATOM = "http://www.w3.org/2005/Atom"
DC = "http://purl.org/dc/terms/"
OPDS = "http://opds-spec.org/2010/catalog"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
THREAD = "http://purl.org/syndication/thread/1.0"
NAMESPACES = {None: ATOM, "dc": DC, "opds": OPDS, "opensearch": OPENSEARCH, "thr": THREAD}

NAVIGATION = "application/atom+xml;profile=opds-catalog;kind=navigation"
ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition"
OPENSEARCH_TYPE = "application/opensearchdescription+xml"
EPUB = "application/epub+zip"

REL_ACQUISITION = "http://opds-spec.org/acquisition"
REL_IMAGE = "http://opds-spec.org/image"
REL_THUMBNAIL = "http://opds-spec.org/image/thumbnail"
REL_NEW = "http://opds-spec.org/sort/new"
REL_POPULAR = "http://opds-spec.org/sort/popular"

# Characters XML 1.0 cannot hold at all (lxml refuses them): dropped from text we write.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def _stamp(moment: datetime.datetime) -> str:
    """An RFC 3339 time, as Atom wants it."""
    return moment.astimezone(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Catalog:
    """Where a catalog is served from, and the token its links carry on ("" for none)."""

    origin: str  # https://example.org
    token: str = ""

    def browser_url(self, path: str) -> str:
        """An absolute address for a browser: never with the token."""
        return self.origin + path

    def reader_url(self, path: str, params: Iterable[tuple[str, str]] = ()) -> str:
        """An absolute address the e-reader follows: with the token when there is one."""
        query = urlencode(list(params))
        return with_token(self.origin + path + (f"?{query}" if query else ""), self.token)

    @property
    def host(self) -> str:
        return self.origin.split("://", 1)[-1].split(":", 1)[0]


@dataclass
class Link:
    rel: str
    href: str
    type: str
    title: str = ""
    count: int | None = None  # thr:count, how many books a navigation link leads to


@dataclass
class NavigationEntry:
    """An entry of a navigation feed: a titled link to another feed of the catalog."""

    id: str
    title: str
    content: str
    link: Link


@dataclass
class Page:
    """Which page of an acquisition feed this is, and how many there are."""

    number: int
    size: int
    total: int

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))


@dataclass
class FeedHead:
    """What every feed of the catalog says about itself."""

    id: str
    title: str
    self_link: Link
    updated: datetime.datetime = field(default_factory=timezone.now)
    subtitle: str = ""
    links: list[Link] = field(default_factory=list)


def _element(parent: etree._Element, name: str, text: str = "", ns: str = ATOM, **attrs):
    node = etree.SubElement(parent, f"{{{ns}}}{name}")
    for key, value in attrs.items():
        if value is not None and value != "":
            node.set(key, _text(value))
    if text:
        node.text = _text(text)
    return node


def _link(parent: etree._Element, link: Link) -> None:
    node = _element(parent, "link", rel=link.rel, href=link.href, type=link.type, title=link.title)
    if link.count is not None:
        node.set(f"{{{THREAD}}}count", str(link.count))


def _feed(catalog: Catalog, head: FeedHead) -> etree._Element:
    root = etree.Element(f"{{{ATOM}}}feed", nsmap=NAMESPACES)
    _element(root, "id", head.id)
    _element(root, "title", head.title)
    if head.subtitle:
        _element(root, "subtitle", head.subtitle)
    _element(root, "updated", _stamp(head.updated))
    author = _element(root, "author")
    _element(author, "name", settings.SITE_NAME)
    _element(author, "uri", catalog.browser_url("/"))
    _link(root, head.self_link)
    for link in head.links:
        _link(root, link)
    return root


def _document(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def navigation_feed(catalog: Catalog, head: FeedHead, entries: list[NavigationEntry]) -> bytes:
    root = _feed(catalog, head)
    for item in entries:
        entry = _element(root, "entry")
        _element(entry, "title", item.title)
        _element(entry, "id", item.id)
        _element(entry, "updated", _stamp(head.updated))
        _element(entry, "content", item.content, type="text")
        _link(entry, item.link)
    return _document(root)


def pagination_links(
    catalog: Catalog, path: str, params: list[tuple[str, str]], page: Page
) -> list[Link]:
    """first / previous / next / last for an acquisition feed's page."""

    def at(number: int) -> str:
        return catalog.reader_url(path, params + ([("page", str(number))] if number > 1 else []))

    links = [Link("first", at(1), ACQUISITION)]
    if page.number > 1:
        links.append(Link("previous", at(min(page.number - 1, page.last)), ACQUISITION))
    if page.number < page.last:
        links.append(Link("next", at(page.number + 1), ACQUISITION))
    links.append(Link("last", at(page.last), ACQUISITION))
    return links


def _book_entry(root: etree._Element, catalog: Catalog, story: Story) -> None:
    entry = _element(root, "entry")
    _element(entry, "title", story.title)
    _element(entry, "id", story_guid(story, catalog.origin))
    updated = story.updated_at or story.published_at or story.created_at
    _element(entry, "updated", _stamp(updated))
    if story.published_at:
        _element(entry, "published", _stamp(story.published_at))
        _element(entry, "issued", story.published_at.date().isoformat(), ns=DC)
    for author in story.byline_authors:
        node = _element(entry, "author")
        _element(node, "name", author.name)
        _element(node, "uri", catalog.browser_url(author.get_absolute_url()))
    _element(entry, "language", story.language, ns=DC)
    tags: list[Tag] = list(story.tags.all())
    if story.rating is not None:
        tags.insert(0, story.rating)
    for tag in tags:
        _element(
            entry,
            "category",
            term=tag.slug,
            label=tag.name,
            scheme=catalog.browser_url(reverse("opds:tag_type", kwargs={"type": tag.type})),
        )
    if story.description:
        # Cleaned HTML (nh3) when it was saved; written escaped, as Atom's type="html" says.
        _element(entry, "content", story.description, type="html")
    download = reverse(
        "story_download", kwargs={"story_id": story.pk, "slug": story.slug, "format": "epub"}
    )
    _link(entry, Link(REL_ACQUISITION, catalog.reader_url(download), EPUB))
    if story.cover:
        _link(entry, Link(REL_IMAGE, catalog.browser_url(story.cover_url("page")), "image/jpeg"))
        _link(
            entry, Link(REL_THUMBNAIL, catalog.browser_url(story.cover_url("thumb")), "image/jpeg")
        )
    _link(
        entry,
        Link("alternate", catalog.browser_url(story.get_absolute_url()), "text/html", story.title),
    )


def acquisition_feed(catalog: Catalog, head: FeedHead, stories: list[Story], page: Page) -> bytes:
    root = _feed(catalog, head)
    _element(root, "totalResults", str(page.total), ns=OPENSEARCH)
    _element(root, "itemsPerPage", str(page.size), ns=OPENSEARCH)
    _element(root, "startIndex", str((page.number - 1) * page.size + 1), ns=OPENSEARCH)
    for story in stories:
        _book_entry(root, catalog, story)
    return _document(root)


def opensearch_description(catalog: Catalog) -> bytes:
    """Tells an e-reader how to search: `/opds/search/?q={searchTerms}` (with the token)."""
    root = etree.Element(f"{{{OPENSEARCH}}}OpenSearchDescription", nsmap={None: OPENSEARCH})
    _element(root, "ShortName", settings.SITE_NAME[:16], ns=OPENSEARCH)
    _element(
        root,
        "Description",
        _("Search the stories of %(site)s.") % {"site": settings.SITE_NAME},
        ns=OPENSEARCH,
    )
    _element(root, "InputEncoding", "UTF-8", ns=OPENSEARCH)
    _element(root, "OutputEncoding", "UTF-8", ns=OPENSEARCH)
    # The template's braces must stay as they are: build the address around them.
    search = catalog.reader_url(reverse("opds:search"), [("q", "SEARCH_TERMS")])
    template = search.replace("SEARCH_TERMS", "{searchTerms}")
    _element(root, "Url", ns=OPENSEARCH, type=ACQUISITION, template=template)
    return _document(root)


# What the catalog lists beyond searches: the tags to browse by.

TAG_LIST_SIZE = 100
TAG_COUNTS_SECONDS = 5 * 60


def popular_tags(viewer: AnyUser, tag_type: str) -> list[tuple[Tag, int]]:
    """The tags of one type that the most books this person may list carry, with how many
    (counted as search counts them: synonyms and sub-tags included, hidden tags and muted
    books left out)."""
    hidden = frozenset(access.hidden_tags(viewer).values_list("id", flat=True))
    muted = frozenset(access.muted_stories(viewer).values_list("id", flat=True))
    members = viewer.is_authenticated

    def count() -> list[tuple[int, int]]:
        built = search.engine()
        graph = built.graph if built is not None else TagGraph.load()
        f, _unknown = resolve(SearchQuery(), graph, members=members, hidden=hidden, muted=muted)
        counts = oracle.facet_counts(oracle.matching(f), graph).get(tag_type, {})
        return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:TAG_LIST_SIZE]

    if hidden or muted:  # one reader's own choice: not worth keeping
        top = count()
    else:  # counting every book is slow on a big archive; what every guest (or member) sees
        key = f"opds:tags:{tag_type}:{'members' if members else 'guests'}"
        top = cache.get_or_set(key, count, TAG_COUNTS_SECONDS)
    tags = Tag.objects.in_bulk([pk for pk, _books in top])
    return [(tags[pk], books) for pk, books in top if pk in tags]
