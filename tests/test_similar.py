"""The bottom of a book page: similar stories (shared tags, the rarer the closer) and what
this book's readers also read, shown only as far as the reader may see them."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from storyhouse.accounts import services as account_services
from storyhouse.accounts.models import User
from storyhouse.engagement.models import Read
from storyhouse.stories import services
from storyhouse.stories.models import Story, Tag, TagType, Visibility
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db


def tag(name: str, type: str = TagType.TROPE, **fields) -> Tag:
    return services.tag_save(Tag(name=name, type=type, **fields))


def section(client: Client, book: Story, heading: str) -> list[str]:
    """The titles under one heading at the bottom of a book page, in order ([] if absent)."""
    html = client.get(book.get_absolute_url()).content.decode()
    start = html.find(f'id="{heading}-heading"')
    if start < 0:
        return []
    end = html.index("</section>", start)
    return re.findall(r'story-card__title"><a href="[^"]+">([^<]+)</a>', html[start:end])


def read_by(book: Story, *readers: str, days_ago: int = 0) -> None:
    """These readers (u<id> for an account, g<cookie> for a guest) read the book, today or
    some days ago."""
    part = book.parts.first()
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    for key in readers:
        user_id = int(key[1:]) if key.startswith("u") else None
        Read.objects.create(part=part, reader=key, user_id=user_id, day=day)


def signed_in(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(user)
    return client


@pytest.fixture
def shelf(alice) -> dict[str, Story]:
    """A rare pairing two books share, and a trope most books carry."""
    pairing = tag("Wren/Kestrel", TagType.RELATIONSHIP)
    fluff = tag("Fluff")
    books = {
        "origin": write_book(alice, "The Origin", tags=[pairing, fluff]),
        "rare": write_book(alice, "Shares The Pairing", tags=[pairing]),
        "common": write_book(alice, "Shares The Fluff", tags=[fluff]),
    }
    for n in range(4):
        books[f"filler{n}"] = write_book(alice, f"Filler {n}", tags=[fluff] if n < 2 else [])
    return books


def test_a_rare_shared_tag_brings_books_closer_than_a_common_one(shelf, reader):
    similar = section(reader, shelf["origin"], "similar")

    assert similar[0] == "Shares The Pairing"
    assert similar.index("Shares The Pairing") < similar.index("Shares The Fluff")
    assert "The Origin" not in similar
    assert "Filler 3" not in similar  # shares nothing


def test_sharing_more_tags_beats_sharing_fewer(alice, shelf, reader):
    cache.clear()
    write_book(alice, "Shares Everything", tags=list(shelf["origin"].tags.all()))

    assert section(reader, shelf["origin"], "similar")[:2] == [
        "Shares Everything",
        "Shares The Pairing",
    ]


def test_ratings_and_archive_warnings_do_not_make_books_similar(alice, reader):
    no_warnings = Tag.objects.get(name="No Archive Warnings Apply")
    gen = Tag.objects.get(name="Gen")
    origin = write_book(alice, "The Origin", tags=[no_warnings, gen])
    write_book(alice, "Same Warning Only", tags=[no_warnings])
    write_book(alice, "Same Category", tags=[gen])
    write_book(alice, "Nothing In Common")

    # Every book has the same rating (Not Rated) and only one shares the archive warning:
    # the category is the only thing that makes two of them alike.
    assert section(reader, origin, "similar") == ["Same Category"]


def test_a_synonym_or_a_tag_on_a_part_is_shared_too(alice, reader):
    found = tag("Found Family", canonical=True)
    chosen = tag("Chosen Family", synonym_of=found)
    origin = write_book(alice, "The Origin", tags=[found])
    write_book(alice, "Says It Differently", tags=[chosen])
    one_shots = write_book(alice, "A Book Of One-Shots", 2)
    one_shots.parts.last().tags.add(found)
    write_book(alice, "Unrelated One")

    assert sorted(section(reader, origin, "similar")) == [
        "A Book Of One-Shots",
        "Says It Differently",
    ]


def test_readers_of_this_also_liked_counts_shared_readers(alice, bob, reader):
    origin = write_book(alice, "The Origin")
    favourite = write_book(alice, "Read By Three")
    liked = write_book(alice, "Read By Two")
    once = write_book(alice, "Read By One")
    read_by(origin, f"u{bob.pk}", "gcookie-a", "gcookie-b", "gcookie-c")
    read_by(favourite, f"u{bob.pk}", "gcookie-a", "gcookie-b")
    read_by(liked, "gcookie-b", "gcookie-c", "gsomeone-else")
    read_by(once, "gcookie-a")

    assert section(reader, origin, "co-read") == ["Read By Three", "Read By Two"]


def test_readers_count_for_what_they_read_lately_only(alice, bob, reader):
    origin = write_book(alice, "The Origin")
    lately = write_book(alice, "Read Lately")
    long_ago = write_book(alice, "Read Long Ago")
    read_by(origin, f"u{bob.pk}", "gcookie-a")
    read_by(lately, f"u{bob.pk}", "gcookie-a", days_ago=20)
    read_by(long_ago, f"u{bob.pk}", "gcookie-a", days_ago=200)

    assert section(reader, origin, "co-read") == ["Read Lately"]


def test_a_book_without_shared_readers_shows_no_such_section(alice, reader):
    origin = write_book(alice, "The Origin")
    other = write_book(alice, "Another")
    read_by(origin, "gsolo")
    read_by(other, "gsolo")

    html = reader.get(origin.get_absolute_url()).content.decode()

    assert "Readers of this also liked" not in html


def test_only_what_the_reader_may_see_and_does_not_hide_is_suggested(alice, bob, reader):
    pairing = tag("Wren/Kestrel", TagType.RELATIONSHIP)
    angst = tag("Angst")
    origin = write_book(alice, "The Origin", tags=[pairing])
    write_book(alice, "Members Only", tags=[pairing], visibility=Visibility.MEMBERS)
    write_book(alice, "A Draft", tags=[pairing], visibility=Visibility.DRAFT)
    write_book(alice, "Sad And Public", tags=[pairing, angst])
    write_book(alice, "Unrelated")
    for title in ("Members Only", "A Draft", "Sad And Public"):
        read_by(Story.objects.get(title=title), "gone", "gtwo")
    read_by(origin, "gone", "gtwo")
    account_services.preferences_hide_tag(bob, angst)

    assert section(reader, origin, "similar") == ["Sad And Public"]
    assert section(reader, origin, "co-read") == ["Sad And Public"]
    assert section(signed_in(bob), origin, "similar") == ["Members Only"]
    assert section(signed_in(bob), origin, "co-read") == ["Members Only"]


def test_the_book_page_costs_a_fixed_number_of_queries(
    alice, shelf, reader, django_assert_max_num_queries
):
    """However many books are alike, the page asks the same; once ranked, it asks less."""
    origin = shelf["origin"]
    read_by(origin, "ga", "gb")
    read_by(shelf["rare"], "ga", "gb")
    with django_assert_max_num_queries(100) as cold:
        reader.get(origin.get_absolute_url())
    with django_assert_max_num_queries(100) as warm:
        reader.get(origin.get_absolute_url())
    assert len(warm.captured_queries) < len(cold.captured_queries)

    tags = list(origin.tags.all())
    for n in range(8):
        book = write_book(alice, f"Another Like It {n}", tags=tags)
        read_by(book, "ga", "gb", "gc")
    cache.clear()

    with django_assert_max_num_queries(len(cold.captured_queries)):
        reader.get(origin.get_absolute_url())
    with django_assert_max_num_queries(len(warm.captured_queries)):
        reader.get(origin.get_absolute_url())
