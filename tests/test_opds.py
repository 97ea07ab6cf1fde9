"""The OPDS catalog at /opds/: e-reader apps browse new, popular and tagged books, search, and
download EPUBs; members-only books only for a client signed in with a personal token."""

import base64
from xml.etree import ElementTree

import feedparser
import pytest
from django.test import Client

from storyhouse.accounts import tokens
from storyhouse.discovery import fulltext, opds_views
from storyhouse.stories import services
from storyhouse.stories.models import Part, PartState, Story, Tag, TagType, Visibility
from tests.helpers import write_book

pytestmark = pytest.mark.django_db

NAVIGATION = "application/atom+xml;profile=opds-catalog;kind=navigation"
ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition"
E_READER = "KOReader/2024.04 (https://koreader.rocks/)"


def tag(name: str, type: str = TagType.TROPE, **fields) -> Tag:
    return services.tag_save(Tag(name=name, type=type, **fields))


def e_reader(**headers) -> Client:
    return Client(HTTP_USER_AGENT=E_READER, **headers)


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def catalog(client: Client, url: str, kind: str = ACQUISITION) -> feedparser.FeedParserDict:
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == kind
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def titles(parsed: feedparser.FeedParserDict) -> list[str]:
    return [entry.title for entry in parsed.entries]


def link(item: feedparser.FeedParserDict, rel: str) -> feedparser.FeedParserDict:
    found = [each for each in item.links if each.rel == rel]
    assert len(found) == 1, (rel, item.links)
    return found[0]


def path_of(url: str) -> str:
    return url.removeprefix("http://testserver")


@pytest.fixture
def shelf(alice, bob) -> dict[str, Story]:
    found = tag("Found Family", canonical=True)
    angst = tag("Angst", canonical=True)
    books = {
        "older": write_book(alice, "The Older Book", tags=[found]),
        "bobs": write_book(bob, "Bob Writes Too", tags=[angst]),
        "members": write_book(
            alice, "For Members Only", tags=[found], visibility=Visibility.MEMBERS
        ),
        "draft": write_book(alice, "Not Yet Shared", tags=[found], visibility=Visibility.DRAFT),
        "hidden": write_book(alice, "Hidden Away", tags=[found], visibility=Visibility.HIDDEN),
        "newest": write_book(
            alice, "The Newest Book", tags=[found], description="<p>Warm and <em>kind</em>.</p>"
        ),
    }
    # Bob's book is the most read, the older book next.
    Story.objects.filter(pk=books["bobs"].pk).update(reads_count=40)
    Story.objects.filter(pk=books["older"].pk).update(reads_count=5, imported_reads=10)
    fulltext.rebuild()
    return books


@pytest.fixture
def bobs_token(bob) -> str:
    _token, raw = tokens.token_create(bob, "Kobo")
    return raw


def test_the_root_is_a_navigation_feed_to_new_popular_updated_tags_and_sign_in(shelf):
    parsed = catalog(e_reader(), "/opds/", NAVIGATION)

    assert titles(parsed) == [
        "New stories",
        "Popular",
        "Recently updated",
        "Browse by tag",
        "Sign in (for members-only stories)",
    ]
    new, popular, updated, by_tag, signin = parsed.entries
    assert link(new, "http://opds-spec.org/sort/new").href == "http://testserver/opds/new/"
    assert link(new, "http://opds-spec.org/sort/new").type == ACQUISITION
    assert link(popular, "http://opds-spec.org/sort/popular").href.endswith("/opds/popular/")
    assert link(updated, "subsection").type == ACQUISITION
    assert link(by_tag, "subsection").type == NAVIGATION
    assert path_of(link(signin, "subsection").href) == "/opds/signin/"
    assert link(parsed.feed, "self").type == NAVIGATION
    assert path_of(link(parsed.feed, "start").href) == "/opds/"
    search = link(parsed.feed, "search")
    assert search.type == "application/opensearchdescription+xml"
    assert path_of(search.href) == "/opds/search.xml"


def test_new_stories_lists_public_books_newest_first_with_what_an_e_reader_needs(shelf):
    parsed = catalog(e_reader(), "/opds/new/")

    assert titles(parsed) == ["The Newest Book", "Bob Writes Too", "The Older Book"]
    newest = parsed.entries[0]
    book = shelf["newest"]
    assert newest.id.startswith("tag:testserver,") and newest.id.endswith(f"/stories/{book.pk}")
    assert newest.updated_parsed is not None
    assert newest.authors == [{"name": "Alice Liddell", "href": "http://testserver/authors/alice/"}]
    assert newest.dcterms_language == "en"
    assert newest.content[0].type == "text/html"
    assert newest.content[0].value == "<p>Warm and <em>kind</em>.</p>"
    assert [(t.term, t.label, t.scheme) for t in newest.tags] == [
        ("not-rated", "Not Rated", "http://testserver/opds/tags/rating/"),
        ("found-family", "Found Family", "http://testserver/opds/tags/trope/"),
    ]
    acquisition = link(newest, "http://opds-spec.org/acquisition")
    assert acquisition.type == "application/epub+zip"
    assert path_of(acquisition.href) == f"/stories/{book.pk}-{book.slug}/download.epub"
    page = link(newest, "alternate")
    assert (page.href, page.type) == ("http://testserver" + book.get_absolute_url(), "text/html")
    assert path_of(link(parsed.feed, "up").href) == "/opds/"
    assert link(parsed.feed, "self").type == ACQUISITION


def test_a_book_with_a_cover_links_its_image_and_thumbnail(shelf):
    Story.objects.filter(pk=shelf["newest"].pk).update(cover="c0ffee")

    entry = catalog(e_reader(), "/opds/new/").entries[0]

    image = link(entry, "http://opds-spec.org/image")
    thumbnail = link(entry, "http://opds-spec.org/image/thumbnail")
    assert (path_of(image.href), image.type) == ("/media/covers/c0ffee-page.jpg", "image/jpeg")
    assert path_of(thumbnail.href) == "/media/covers/c0ffee-thumb.jpg"
    # A book without a cover has no image links at all.
    older = catalog(e_reader(), "/opds/new/").entries[2]
    assert not [each for each in older.links if "image" in each.rel]


def test_popular_lists_the_most_read_first(shelf):
    parsed = catalog(e_reader(), "/opds/popular/")

    assert titles(parsed) == ["Bob Writes Too", "The Older Book", "The Newest Book"]


def test_recently_updated_lists_books_by_their_latest_part(shelf, alice):
    services.part_save(
        Part(story=shelf["older"], title="More", body="<p>More.</p>", state=PartState.PUBLISHED),
        edited_by=alice,
    )

    parsed = catalog(e_reader(), "/opds/updated/")

    assert titles(parsed)[0] == "The Older Book"


def test_browsing_by_tag_goes_from_types_to_tags_with_counts_to_books(shelf):
    client = e_reader()
    types = catalog(client, "/opds/tags/", NAVIGATION)
    assert "Tropes" in titles(types)
    tropes_link = link(types.entries[titles(types).index("Tropes")], "subsection")
    assert tropes_link.type == NAVIGATION

    tropes = catalog(client, path_of(tropes_link.href), NAVIGATION)
    assert titles(tropes) == ["Found Family", "Angst"]  # most books first, public ones only
    assert tropes.entries[0].content[0].value == "2 books"
    assert tropes.entries[1].content[0].value == "1 book"
    family_link = link(tropes.entries[0], "subsection")
    assert family_link.type == ACQUISITION
    assert family_link["thr:count"] == "2"

    family = catalog(client, path_of(family_link.href))
    assert titles(family) == ["The Newest Book", "The Older Book"]
    assert path_of(link(family.feed, "up").href) == "/opds/tags/trope/"


def test_tag_counts_and_feeds_for_a_member_include_members_only_books(shelf, bobs_token):
    client = e_reader(HTTP_AUTHORIZATION=f"Bearer {bobs_token}")

    tropes = catalog(client, "/opds/tags/trope/", NAVIGATION)
    assert tropes.entries[0].content[0].value == "3 books"
    family = catalog(client, "/opds/tag/found-family/")
    assert "For Members Only" in titles(family)


def test_unknown_tags_and_tag_types_are_not_found(db):
    assert e_reader().get("/opds/tag/no-such-tag/").status_code == 404
    assert e_reader().get("/opds/tags/spaceships/").status_code == 404


def test_search_finds_books_by_words(shelf):
    parsed = catalog(e_reader(), "/opds/search/?q=newest")

    assert titles(parsed) == ["The Newest Book"]
    assert parsed.feed.opensearch_totalresults == "1"


def test_the_opensearch_description_gives_the_search_template(db):
    response = e_reader().get("/opds/search.xml")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/opensearchdescription+xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own answer
    ns = {"os": "http://a9.com/-/spec/opensearch/1.1/"}
    assert root.tag == "{http://a9.com/-/spec/opensearch/1.1/}OpenSearchDescription"
    assert root.find("os:ShortName", ns).text == "Storyhouse"
    url = root.find("os:Url", ns)
    assert url.get("type") == ACQUISITION
    assert url.get("template") == "http://testserver/opds/search/?q={searchTerms}"


def test_pages_link_to_each_other(shelf, monkeypatch):
    monkeypatch.setattr(opds_views, "PAGE_SIZE", 2)
    client = e_reader()

    first = catalog(client, "/opds/new/")
    assert titles(first) == ["The Newest Book", "Bob Writes Too"]
    assert path_of(link(first.feed, "next").href) == "/opds/new/?page=2"
    assert path_of(link(first.feed, "last").href) == "/opds/new/?page=2"
    assert not [each for each in first.feed.links if each.rel == "previous"]

    second = catalog(client, path_of(link(first.feed, "next").href))
    assert titles(second) == ["The Older Book"]
    assert path_of(link(second.feed, "previous").href) == "/opds/new/"
    assert path_of(link(second.feed, "first").href) == "/opds/new/"
    assert not [each for each in second.feed.links if each.rel == "next"]
    # A search keeps its words from page to page.
    searched = catalog(client, "/opds/search/?q=alice&page=2")
    assert titles(searched) == []  # two books by Alice: one page
    assert path_of(link(searched.feed, "self").href) == "/opds/search/?q=alice&page=2"
    assert path_of(link(searched.feed, "previous").href) == "/opds/search/?q=alice"


# Members-only books, tokens and sign-in


def test_members_only_books_are_absent_for_a_guest(shelf):
    for url in ("/opds/new/", "/opds/updated/", "/opds/tag/found-family/", "/opds/search/?q=only"):
        assert "For Members Only" not in titles(catalog(e_reader(), url))


def test_a_token_in_the_address_shows_members_only_books_and_is_kept_in_reader_links(
    shelf, bobs_token
):
    client = e_reader()
    root = catalog(client, f"/opds/?token={bobs_token}", NAVIGATION)
    assert "Sign in (for members-only stories)" not in titles(root)
    new_link = link(root.entries[0], "http://opds-spec.org/sort/new").href
    assert new_link == f"http://testserver/opds/new/?token={bobs_token}"

    parsed = catalog(client, path_of(new_link))

    assert "For Members Only" in titles(parsed)
    members = parsed.entries[titles(parsed).index("For Members Only")]
    # The e-reader fetches the EPUB with the token; a browser opening the book page never
    # gets it in its address, history or Referer.
    assert link(members, "http://opds-spec.org/acquisition").href.endswith(f"?token={bobs_token}")
    assert bobs_token not in link(members, "alternate").href
    assert all(bobs_token not in author.href for author in members.authors)
    assert link(parsed.feed, "self").href.endswith(f"token={bobs_token}")
    assert link(parsed.feed, "up").href.endswith(f"token={bobs_token}")
    description = client.get(f"/opds/search.xml?token={bobs_token}").content.decode()
    assert f"q={{searchTerms}}&amp;token={bobs_token}" in description


def test_a_token_as_the_basic_password_shows_members_only_books(shelf, bobs_token):
    client = e_reader(HTTP_AUTHORIZATION=basic("bob", bobs_token))

    parsed = catalog(client, "/opds/new/")

    assert "For Members Only" in titles(parsed)
    # The header goes with every request already: addresses need no token.
    assert all("token=" not in each.href for entry in parsed.entries for each in entry.links)


def test_a_bearer_token_shows_members_only_books(shelf, bobs_token):
    client = e_reader(HTTP_AUTHORIZATION=f"Bearer {bobs_token}")

    assert "For Members Only" in titles(catalog(client, "/opds/search/?q=only"))


def test_a_revoked_token_is_refused(shelf, bob):
    token, raw = tokens.token_create(bob, "Old Kobo")
    tokens.token_revoke(token)

    assert e_reader().get(f"/opds/new/?token={raw}").status_code == 401
    assert e_reader(HTTP_AUTHORIZATION=basic("bob", raw)).get("/opds/new/").status_code == 401
    assert e_reader(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/opds/").status_code == 401


def test_a_signed_in_browser_session_sees_members_only_books(shelf, bob):
    client = e_reader()
    client.force_login(bob)

    assert "For Members Only" in titles(catalog(client, "/opds/new/"))


def test_drafts_and_hidden_books_never_appear_even_for_their_author(shelf, alice):
    _token, raw = tokens.token_create(alice, "Kobo")
    for url in ("/opds/new/", "/opds/updated/", "/opds/tag/found-family/", "/opds/search/?q=a"):
        for client in (e_reader(), e_reader(HTTP_AUTHORIZATION=f"Bearer {raw}")):
            body = client.get(url).content.decode()
            assert "Not Yet Shared" not in body
            assert "Hidden Away" not in body


def test_sign_in_asks_for_basic_credentials_then_returns_to_the_catalog(shelf, bob, bobs_token):
    refused = e_reader().get("/opds/signin/")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == 'Basic realm="Storyhouse", charset="UTF-8"'
    assert "personal token" in refused.content.decode()
    assert "password is never accepted" in refused.content.decode()

    # The account password is not a token: still asked to sign in.
    with_password = e_reader(HTTP_AUTHORIZATION=basic("bob", "bob-password-1"))
    assert with_password.get("/opds/signin/").status_code == 401

    signed_in = e_reader(HTTP_AUTHORIZATION=basic("bob", bobs_token)).get("/opds/signin/")
    assert signed_in.status_code == 302
    assert signed_in["Location"] == "http://testserver/opds/"
    by_address = e_reader().get(f"/opds/signin/?token={bobs_token}")
    assert by_address["Location"] == f"http://testserver/opds/?token={bobs_token}"


def test_personal_answers_are_private_and_public_ones_may_be_cached(shelf, bobs_token):
    public = e_reader().get("/opds/new/")
    assert "public" in public["Cache-Control"]
    assert "max-age" in public["Cache-Control"]

    for client, url in (
        (e_reader(), f"/opds/new/?token={bobs_token}"),
        (e_reader(HTTP_AUTHORIZATION=f"Bearer {bobs_token}"), "/opds/"),
        (e_reader(HTTP_AUTHORIZATION=basic("bob", bobs_token)), "/opds/search.xml"),
    ):
        response = client.get(url)
        assert "private" in response["Cache-Control"]
        assert "public" not in response["Cache-Control"]


# What titles may hold


def test_titles_with_markup_characters_and_emoji_are_escaped(alice):
    write_book(alice, 'Tea & <Biscuits> "at" 5 🍪🐉', description="<p>Fish &amp; chips</p>")
    fulltext.rebuild()

    response = e_reader().get("/opds/new/")
    parsed = catalog(e_reader(), "/opds/new/")

    assert b"<Biscuits>" not in response.content
    assert parsed.entries[0].title == 'Tea & <Biscuits> "at" 5 🍪🐉'
    assert parsed.entries[0].content[0].value == "<p>Fish &amp; chips</p>"
    found = catalog(e_reader(), "/opds/search/?q=biscuits")
    assert titles(found) == ['Tea & <Biscuits> "at" 5 🍪🐉']


# Downloads


def test_the_acquisition_link_downloads_the_epub(shelf):
    entry = catalog(e_reader(), "/opds/new/").entries[0]

    response = e_reader().get(path_of(link(entry, "http://opds-spec.org/acquisition").href))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/epub+zip"
    assert b"".join(response).startswith(b"PK")


def test_a_members_only_epub_downloads_with_the_token_in_its_link(shelf, bobs_token):
    parsed = catalog(e_reader(), f"/opds/new/?token={bobs_token}")
    members = parsed.entries[titles(parsed).index("For Members Only")]
    download = path_of(link(members, "http://opds-spec.org/acquisition").href)

    assert e_reader().get(download).status_code == 200
    assert e_reader().get(download.split("?")[0]).status_code == 404


def test_a_feeds_queries_do_not_grow_with_its_books(shelf, alice, django_assert_max_num_queries):
    client = e_reader()
    client.get("/opds/new/")  # the first request of a process reads the tag graph
    with django_assert_max_num_queries(12) as few:
        client.get("/opds/new/")
    for number in range(6):
        write_book(alice, f"Another Book {number}")

    with django_assert_max_num_queries(len(few.captured_queries)):
        parsed = catalog(client, "/opds/new/")
    assert len(parsed.entries) == 9


def test_every_page_points_e_readers_to_the_catalog(db):
    page = Client().get("/").content.decode()
    assert (
        '<link rel="related" href="/opds/" '
        'type="application/atom+xml;profile=opds-catalog;kind=navigation"'
    ) in page
