"""Atom feeds of a tag, an author and a search: valid Atom that feed readers parse, showing
what a guest may see (or, with a personal token, what its owner may read), with every title
and description escaped."""

import base64
import re

import feedparser
import pytest
from django.test import Client

from storyhouse.accounts import tokens
from storyhouse.accounts.models import User
from storyhouse.stories import services
from storyhouse.stories.models import Story, Tag, TagType, Visibility
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db


def tag(name: str, type: str = TagType.TROPE, **fields) -> Tag:
    return services.tag_save(Tag(name=name, type=type, **fields))


def feed(client: Client, url: str) -> feedparser.FeedParserDict:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def titles(parsed: feedparser.FeedParserDict) -> list[str]:
    return [entry.title for entry in parsed.entries]


def signed_in(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(user)
    return client


@pytest.fixture
def shelf(alice, bob) -> dict[str, Story]:
    found = tag("Found Family", canonical=True)
    chosen = tag("Chosen Family", synonym_of=found)
    angst = tag("Angst")
    return {
        "older": write_book(alice, "The Older Book", tags=[found]),
        "synonym": write_book(bob, "Says It Differently", tags=[chosen, angst]),
        "members": write_book(
            alice, "For Members Only", tags=[found], visibility=Visibility.MEMBERS
        ),
        "draft": write_book(alice, "Not Yet Shared", tags=[found], visibility=Visibility.DRAFT),
        "newest": write_book(
            alice, "The Newest Book", tags=[found], description="<p>Warm and <em>kind</em>.</p>"
        ),
    }


def test_a_tag_feed_lists_the_tag_familys_newest_updated_public_books(shelf, reader):
    parsed = feed(reader, "/tags/found-family/feed.atom")

    assert titles(parsed) == ["The Newest Book", "Says It Differently", "The Older Book"]
    newest = parsed.entries[0]
    assert newest.link == "http://testserver" + shelf["newest"].get_absolute_url()
    assert newest.author == "Alice Liddell"
    assert newest.author_detail.href == "http://testserver/authors/alice/"
    assert newest.summary == "<p>Warm and <em>kind</em>.</p>"
    assert newest.id.startswith("tag:testserver,")
    assert newest.updated_parsed is not None
    assert parsed.feed.link == "http://testserver/tags/found-family/"
    assert parsed.feed.title.startswith("Found Family")
    # A synonym's feed is the same family's.
    assert titles(feed(reader, "/tags/chosen-family/feed.atom")) == titles(parsed)


def test_an_author_feed_lists_their_public_books(shelf, alice, bob):
    parsed = feed(signed_in(bob), "/authors/alice/feed.atom")

    assert titles(parsed) == ["The Newest Book", "The Older Book"]
    assert {entry.author for entry in parsed.entries} == {"Alice Liddell"}
    assert parsed.feed.link == "http://testserver/authors/alice/"


def test_members_only_books_never_reach_a_feed_without_a_token_even_for_a_signed_in_member(
    shelf, bob
):
    member = signed_in(bob)
    for url in (
        "/tags/found-family/feed.atom",
        "/authors/alice/feed.atom",
        "/search/feed.atom",
        "/search/feed.atom?include=found-family",
    ):
        body = member.get(url).content.decode()
        assert "For Members Only" not in body
        assert "Not Yet Shared" not in body


def test_a_search_feed_follows_the_search_parameters(shelf, reader):
    everything = feed(reader, "/search/feed.atom")
    assert titles(everything) == ["The Newest Book", "Says It Differently", "The Older Book"]

    found = feed(reader, "/search/feed.atom?include=found-family&exclude=angst")
    assert titles(found) == ["The Newest Book", "The Older Book"]
    assert found.feed.link == "http://testserver/search/?include=found-family&exclude=angst"

    by_title = feed(reader, "/search/feed.atom?include=found-family&sort=title")
    assert titles(by_title) == ["Says It Differently", "The Newest Book", "The Older Book"]


def test_a_search_feed_with_parameters_it_cannot_read_still_answers(shelf, reader):
    parsed = feed(reader, "/search/feed.atom?words_min=lots&sort=sideways&include=no-such-tag")

    assert titles(parsed) == []


def test_unknown_tags_and_authors_have_no_feed(db, reader):
    assert reader.get("/tags/no-such-tag/feed.atom").status_code == 404
    assert reader.get("/authors/nobody/feed.atom").status_code == 404


def test_titles_and_descriptions_are_escaped_in_the_xml(alice, reader):
    write_book(
        alice,
        '<script>alert("title")</script> & Friends',
        description='<p>Hi <img src="x" onerror="alert(1)"> <script>alert(2)</script></p>',
    )

    body = reader.get("/authors/alice/feed.atom").content
    parsed = feed(reader, "/authors/alice/feed.atom")

    assert b"<script" not in body
    assert b"<img" not in body
    assert b"onerror" not in body  # the writer's HTML was cleaned before it was stored
    assert parsed.entries[0].title == '<script>alert("title")</script> & Friends'


def test_an_entry_keeps_its_id_when_the_book_is_renamed(alice, reader):
    book = write_book(alice, "First Title")
    before = feed(reader, "/authors/alice/feed.atom").entries[0]
    book.title = "A Better Title"
    services.story_save(book)

    after = feed(reader, "/authors/alice/feed.atom").entries[0]

    assert after.title == "A Better Title"
    assert after.id == before.id
    assert after.link != before.link


@pytest.mark.parametrize(
    "page, feed_url",
    [
        ("/tags/found-family/", "/tags/found-family/feed.atom"),
        ("/authors/alice/", "/authors/alice/feed.atom"),
    ],
)
def test_each_page_with_a_feed_links_to_it(shelf, reader, page, feed_url):
    html = reader.get(page).content.decode()

    head = html[: html.index("</head>")]
    assert re.search(
        rf'<link rel="alternate" type="application/atom\+xml" href="{re.escape(feed_url)}"', head
    )
    assert re.search(rf'<a href="{re.escape(feed_url)}"[^>]*>Feed', html)


def test_the_search_page_links_to_the_feed_of_the_same_search(shelf, reader):
    html = reader.get("/search/?include=found-family&exclude=angst").content.decode()

    feed_url = "/search/feed.atom?include=found-family&amp;exclude=angst"
    head = html[: html.index("</head>")]
    assert f'<link rel="alternate" type="application/atom+xml" href="{feed_url}"' in head
    assert re.search(rf'<a href="{re.escape(feed_url)}"[^>]*>Feed', html)


# Personal tokens: what a feed reader reads for its owner


FEED_URLS = (
    "/tags/found-family/feed.atom",
    "/authors/alice/feed.atom",
    "/search/feed.atom",
    "/search/feed.atom?include=found-family",
)


def with_token(url: str, raw: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}token={raw}"


@pytest.fixture
def bobs_token(bob) -> str:
    _token, raw = tokens.token_create(bob, "Feed reader")
    return raw


def test_a_token_in_the_address_shows_the_owners_members_only_books(shelf, bobs_token):
    for url in FEED_URLS:
        parsed = feed(Client(), with_token(url, bobs_token))
        assert "For Members Only" in titles(parsed), url
        assert "Not Yet Shared" not in titles(parsed), url


@pytest.mark.parametrize("scheme", ["Bearer", "Basic"])
def test_a_token_in_a_header_shows_the_owners_members_only_books(shelf, bobs_token, scheme):
    if scheme == "Basic":
        credentials = "Basic " + base64.b64encode(f"bob:{bobs_token}".encode()).decode()
    else:
        credentials = f"Bearer {bobs_token}"
    client = Client(HTTP_AUTHORIZATION=credentials)

    for url in FEED_URLS:
        assert "For Members Only" in titles(feed(client, url)), url


def test_a_revoked_token_is_refused(shelf, bob):
    token, raw = tokens.token_create(bob, "Old reader")
    tokens.token_revoke(token)

    response = Client().get(with_token("/tags/found-family/feed.atom", raw))

    assert response.status_code == 401
    assert b"For Members Only" not in response.content


def test_a_token_stays_in_the_feeds_own_address_but_never_in_links_to_pages(shelf, bobs_token):
    response = Client().get(with_token("/tags/found-family/feed.atom", bobs_token))
    parsed = feed(Client(), with_token("/tags/found-family/feed.atom", bobs_token))

    self_link = [link for link in parsed.feed.links if link.rel == "self"][0]
    assert self_link.href == f"http://testserver/tags/found-family/feed.atom?token={bobs_token}"
    assert parsed.feed.link == "http://testserver/tags/found-family/"
    for entry in parsed.entries:
        assert bobs_token not in entry.link
        assert bobs_token not in entry.author_detail.href
    # Nowhere else in the document.
    assert response.content.decode().count(bobs_token) == 1


def test_the_owners_hidden_tags_apply_to_their_token(shelf, bob, bobs_token):
    bob.hidden_tags.add(Tag.objects.get(slug="angst"))

    parsed = feed(Client(), with_token("/search/feed.atom", bobs_token))

    assert "Says It Differently" not in titles(parsed)
    assert "Says It Differently" in titles(feed(Client(), "/search/feed.atom"))


def test_feeds_with_a_token_are_private_and_others_may_be_cached(shelf, bob, bobs_token):
    for url in FEED_URLS:
        public = Client().get(url)
        assert "public" in public["Cache-Control"] and "max-age" in public["Cache-Control"]
        # A signed-in browser reads the guest's feed: still the same for everyone.
        assert "public" in signed_in(bob).get(url)["Cache-Control"]

        personal = Client().get(with_token(url, bobs_token))
        assert "private" in personal["Cache-Control"]
        assert "public" not in personal["Cache-Control"]
        bearer = Client(HTTP_AUTHORIZATION=f"Bearer {bobs_token}").get(url)
        assert "private" in bearer["Cache-Control"]
        assert "Authorization" in bearer["Vary"]
