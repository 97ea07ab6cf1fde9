"""The Discover page: what readers are reading this week, new books on the rise, and finished
favourites, each shown only as far as the reader may see it and does not hide it."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from storyhouse import worker
from storyhouse.accounts import services as account_services
from storyhouse.accounts.models import User
from storyhouse.discovery import discover, jobs
from storyhouse.engagement import services as engagement
from storyhouse.engagement.models import Read, Vote
from storyhouse.stories import services
from storyhouse.stories.models import Status, Story, Tag, TagType, Visibility
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db


def reads(book: Story, count: int, *, days_ago: int = 0, prefix: str = "g") -> None:
    """`count` different readers opened the book's first part, `days_ago` days ago."""
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    part = book.parts.first()
    for n in range(count):
        Read.objects.create(part=part, reader=f"{prefix}{book.pk}-{days_ago}-{n}", day=day)


def readers(count: int) -> list[User]:
    return [
        User.objects.create_user(f"reader{n}", f"reader{n}@example.org", "a-password-1")
        for n in range(count)
    ]


def votes(book: Story, people: list[User], *, days_ago: int = 0) -> None:
    part = book.parts.first()
    for person in people:
        engagement.vote_toggle(user=person, part=part, voted=True)
    Vote.objects.filter(part=part, user__in=people).update(
        created_at=timezone.now() - datetime.timedelta(days=days_ago)
    )


def completed(book: Story) -> Story:
    book.status = Status.COMPLETE
    return services.story_save(book)


def row(client: Client, section: str) -> list[str]:
    """The titles a section of the Discover page shows, in order."""
    html = client.get("/discover/").content.decode()
    start = html.index(f'id="{section}-heading"')
    end = html.index("</section>", start)
    return re.findall(r'story-card__title"><a href="[^"]+">([^<]+)</a>', html[start:end])


def signed_in(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(user)
    return client


def test_trending_puts_this_weeks_most_read_and_voted_books_first(alice, reader):
    steady = write_book(alice, "Steady Reads")
    loved = write_book(alice, "Fewer Reads, More Love")
    last_week = write_book(alice, "Busy Six Days Ago")
    forgotten = write_book(alice, "Busy Last Month")
    write_book(alice, "Never Opened")
    reads(steady, 5)
    reads(loved, 3)
    votes(loved, readers(1))  # a vote outweighs a read: 3 reads and a vote beat 5 reads
    reads(last_week, 20, days_ago=6)  # long ago enough to have faded below both
    reads(forgotten, 50, days_ago=10)  # outside the week: not trending at all

    assert row(reader, "trending") == [
        "Fewer Reads, More Love",
        "Steady Reads",
        "Busy Six Days Ago",
    ]


def test_older_activity_counts_less_than_the_same_activity_today(alice, reader):
    early = write_book(alice, "Read Four Days Ago")
    fresh = write_book(alice, "Read Yesterday")
    reads(early, 4, days_ago=4)
    reads(fresh, 4, days_ago=1)

    assert row(reader, "trending") == ["Read Yesterday", "Read Four Days Ago"]
    # Two days of age halve a day's weight.
    assert discover.day_weight(2) == pytest.approx(0.5)
    assert discover.day_weight(4) == pytest.approx(0.25)


def test_new_and_rising_shows_new_books_with_the_most_recent_readers_first(alice, reader):
    quiet = write_book(alice, "A Quiet Debut")
    rising = write_book(alice, "On The Rise")
    veteran = write_book(alice, "An Old Favourite")
    Story.objects.filter(pk=veteran.pk).update(
        published_at=timezone.now() - datetime.timedelta(days=90)
    )
    reads(rising, 6)
    reads(quiet, 1, days_ago=3)
    reads(veteran, 40)  # trending, but not new

    assert row(reader, "rising") == ["On The Rise", "A Quiet Debut"]
    assert "An Old Favourite" in row(reader, "trending")


def test_completed_favourites_are_finished_books_with_the_most_votes(alice, reader):
    people = readers(3)
    modest = completed(write_book(alice, "Finished, Fairly Liked"))
    adored = completed(write_book(alice, "Finished And Adored"))
    ongoing = write_book(alice, "Still Being Written")
    completed(write_book(alice, "Finished, No Votes Yet"))
    votes(modest, people[:1])
    votes(adored, people, days_ago=200)  # old votes count in full here
    votes(ongoing, people)

    assert row(reader, "favourites") == [
        "Finished And Adored",
        "Finished, Fairly Liked",
        "Finished, No Votes Yet",
    ]


def test_hidden_tags_and_members_only_books_are_respected(alice, bob, reader):
    angst = services.tag_get_or_create("Angst", type=TagType.TROPE)
    sad = write_book(alice, "A Sad One", tags=[angst])
    members = write_book(alice, "For Members", visibility=Visibility.MEMBERS)
    plain = write_book(alice, "Plain Sailing")
    for book in (sad, members, plain):
        reads(book, 3)
    account_services.preferences_hide_tag(bob, angst)

    assert sorted(row(reader, "trending")) == ["A Sad One", "Plain Sailing"]
    assert sorted(row(signed_in(bob), "trending")) == ["For Members", "Plain Sailing"]
    assert sorted(row(signed_in(bob), "rising")) == ["For Members", "Plain Sailing"]


def test_a_book_no_longer_shared_leaves_the_page_even_while_the_cache_remembers_it(alice, reader):
    book = write_book(alice, "Soon A Draft Again")
    reads(book, 3)
    jobs.discover_rankings_refresh()
    book.visibility = Visibility.DRAFT
    services.story_save(book)

    assert row(reader, "trending") == []


def test_the_worker_job_fills_the_cache_and_the_page_reads_it(alice, reader):
    first = write_book(alice, "Ranked First")
    later = write_book(alice, "Read Since The Ranking")
    reads(first, 2)
    assert cache.get(discover.CACHE_KEY) is None

    assert jobs.discover_rankings_refresh() == 1
    assert "storyhouse.discovery.jobs.discover_rankings_refresh" in worker.discover()

    assert cache.get(discover.CACHE_KEY).trending == [first.pk]
    reads(later, 10)
    # The page shows what the job ranked, without ranking the read log again...
    assert row(reader, "trending") == ["Ranked First"]
    # ...until the job runs again.
    jobs.discover_rankings_refresh()
    assert row(reader, "trending") == ["Read Since The Ranking", "Ranked First"]


def test_with_the_cache_empty_the_page_ranks_for_itself_and_fills_it(alice, reader):
    book = write_book(alice, "Read Today")
    reads(book, 1)

    assert row(reader, "trending") == ["Read Today"]
    assert cache.get(discover.CACHE_KEY).trending == [book.pk]


def test_an_empty_archive_has_a_friendly_discover_page_linked_from_every_page(db, reader):
    home = reader.get("/").content.decode()
    assert 'href="/discover/"' in home

    page = reader.get("/discover/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Nothing has been read this week yet" in html
    assert "No finished stories yet." in html


def test_the_discover_page_costs_the_same_queries_however_many_books_it_shows(
    alice, reader, django_assert_max_num_queries
):
    for n in range(3):
        reads(write_book(alice, f"Book {n}"), n + 1)
    jobs.discover_rankings_refresh()
    with django_assert_max_num_queries(6) as few:
        reader.get("/discover/")
    for n in range(3, 15):
        reads(write_book(alice, f"Book {n}", tags=[Tag.objects.get(name="Gen")]), n + 1)
    jobs.discover_rankings_refresh()

    with django_assert_max_num_queries(len(few.captured_queries)):
        reader.get("/discover/")
