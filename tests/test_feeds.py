"""Atom feeds of a tag, an author and a search: valid Atom that feed readers parse, showing
only what a guest may see, with every title and description escaped."""

import re

import feedparser
import pytest
from django.test import Client

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


def test_members_only_books_never_reach_a_feed_even_for_a_signed_in_member(shelf, bob):
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
