"""Reads: opening a part counts once per reader per part per day; robots never count; a guest is
known only by a random cookie, and no address is kept."""

import contextlib
import datetime
from collections.abc import Iterator
from unittest import mock

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from storyhouse.engagement import read_buffer
from storyhouse.engagement.models import Read
from storyhouse.engagement.readers import new_guest_token, valid_guest_token
from storyhouse.stories import services
from storyhouse.stories.importers import read_book
from storyhouse.stories.imports import book_import, import_account
from storyhouse.stories.models import Part, Story
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db

COOKIE = settings.READER_COOKIE_NAME


@pytest.fixture
def part(alice) -> Part:
    return write_book(alice, "The Lighthouse", 2).parts.first()


def reads_of(part: Part) -> tuple[int, int]:
    """(reads of the part, reads of its book) as the database counts them, once the reads
    taken so far are written (a web process writes them within a second)."""
    read_buffer.flush()
    part.refresh_from_db()
    return part.reads_count, Story.objects.get(pk=part.story_id).reads_count


@contextlib.contextmanager
def on(day: datetime.date) -> Iterator[None]:
    """Pretend today is `day`. (The read buffer looks at the date at most once a second: here
    it looks again at once, as it would a second after midnight.)"""
    with mock.patch("django.utils.timezone.localdate", return_value=day):
        read_buffer.default._today_until = 0.0
        yield
    read_buffer.default._today_until = 0.0


def test_a_guest_gets_a_cookie_on_the_first_visit_and_counts_once(part, reader):
    first = reader.get(part.get_absolute_url())
    assert first.status_code == 200
    cookie = first.cookies[COOKIE]
    assert len(cookie.value) >= 16
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert reads_of(part) == (1, 1)
    (read,) = Read.objects.all()
    assert (read.reader, read.user, read.day) == (f"g{cookie.value}", None, timezone.localdate())

    again = reader.get(part.get_absolute_url())
    assert COOKIE not in again.cookies  # the same cookie goes on being used
    assert reads_of(part) == (1, 1)
    assert Read.objects.count() == 1


@pytest.mark.parametrize(
    "cookie",
    ["", "too-short", "x" * 65, "a" * 20 + "\n", "a" * 20 + ";b", "é" * 20, "a" * 19 + "="],
)
def test_only_a_cookie_we_could_have_given_names_a_reader(cookie):
    assert valid_guest_token(new_guest_token())
    assert valid_guest_token(cookie) is None


def test_each_part_counts_on_its_own(part, reader):
    other = part.story.parts.last()
    reader.get(part.get_absolute_url())
    reader.get(other.get_absolute_url())
    assert reads_of(part) == (1, 2)
    assert reads_of(other) == (1, 2)


def test_another_guest_is_another_reader(part, reader):
    reader.get(part.get_absolute_url())
    Client(HTTP_USER_AGENT=BROWSER_AGENT).get(part.get_absolute_url())
    assert reads_of(part) == (2, 2)


def test_the_next_day_counts_again(part, reader):
    today = timezone.localdate()
    reader.get(part.get_absolute_url())
    with on(today + datetime.timedelta(days=1)):
        reader.get(part.get_absolute_url())
        reader.get(part.get_absolute_url())
    assert reads_of(part) == (2, 2)
    assert sorted(Read.objects.values_list("day", flat=True)) == [
        today,
        today + datetime.timedelta(days=1),
    ]


def test_a_signed_in_reader_counts_as_their_account(part, bob):
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(bob)
    first = client.get(part.get_absolute_url())
    assert COOKIE not in first.cookies
    # On another device, the same account: still one read.
    elsewhere = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    elsewhere.force_login(bob)
    elsewhere.get(part.get_absolute_url())
    read_buffer.flush()
    (read,) = Read.objects.all()
    assert (read.reader, read.user) == (f"u{bob.pk}", bob)
    assert reads_of(part) == (1, 1)


@pytest.mark.parametrize(
    "agent",
    [
        "",
        "curl/8.5.0",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/126.0.0.0 Safari/537.36",
        "python-requests/2.32.3",
    ],
    ids=["no-agent", "curl", "googlebot", "headless-chrome", "python-requests"],
)
def test_robots_do_not_count_and_get_no_cookie(part, agent):
    robot = Client(HTTP_USER_AGENT=agent) if agent else Client()
    for _ in range(2):
        response = robot.get(part.get_absolute_url())
        assert response.status_code == 200
        assert COOKIE not in response.cookies
    assert reads_of(part) == (0, 0)
    assert not Read.objects.exists()


def test_a_head_request_does_not_count(part, reader):
    assert reader.head(part.get_absolute_url()).status_code == 200
    assert reads_of(part) == (0, 0)


def test_the_page_shows_the_counts_from_before_this_visit(sample_path):
    (result,) = book_import(read_book(sample_path), author=import_account())
    url = result.part.get_absolute_url()

    first_guest = Client(HTTP_USER_AGENT=BROWSER_AGENT).get(url).content.decode()
    assert "<strong>583</strong> reads" in first_guest
    read_buffer.flush()  # the next guest comes a second later

    next_guest = Client(HTTP_USER_AGENT=BROWSER_AGENT).get(url).content.decode()
    assert "<strong>584</strong> reads" in next_guest
    assert reads_of(result.part) == (2, 2)


def test_no_address_is_kept(part, reader):
    reader.get(
        part.get_absolute_url(),
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_FORWARDED_FOR="198.51.100.4",
        HTTP_REFERER="https://blog.example/a-post-about-me",
    )
    read_buffer.flush()
    fields = {field.name for field in Read._meta.get_fields()}
    assert fields == {"id", "part", "reader", "user", "day", "created_at", "source"}
    row = Read.objects.values().get()
    assert row["source"] == "other"  # the kind of page, not its address
    for value in row.values():
        for kept in ("203.0.113.9", "198.51.100.4", "blog.example", "a-post-about-me"):
            assert kept not in str(value)


def test_an_author_previewing_a_draft_part_counts_no_read(part, alice, reader):
    draft = services.part_save(Part(story=part.story, title="Next time", body="<p>Soon.</p>"))
    author = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    author.force_login(alice)
    assert author.get(draft.get_absolute_url()).status_code == 200
    assert reads_of(draft) == (0, 0)
    # What the book shows stays the sum of its published parts' reads.
    reader.get(part.get_absolute_url())
    services.story_refresh(part.story)
    assert reads_of(part) == (1, 1)


def test_a_writer_rereading_their_own_part_is_not_a_reader(part, alice, bob):
    writer = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    writer.force_login(alice)
    writer.get(part.get_absolute_url())
    assert reads_of(part) == (0, 0)

    friend = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    friend.force_login(bob)
    friend.get(part.get_absolute_url())
    assert reads_of(part) == (1, 1)
