"""Reads counted exactly when readers arrive at the same moment: threads against the real
database (SQLite here; PostgreSQL too when DATABASE_URL names one, as in CI).

Each thread has its own database connection, and all of them start together at a barrier,
so the first reads really do race each other.
"""

import threading
import time
from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import RequestFactory

from storyhouse.accounts.models import User
from storyhouse.engagement import read_buffer
from storyhouse.engagement.models import Read
from storyhouse.engagement.services import read_record
from storyhouse.stories.models import Part, Story
from tests.helpers import BROWSER_AGENT, together, write_book

# serialized_rollback: what the migrations made (ratings, archive warnings) comes back after the
# flush that ends each of these tests.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

READERS = 12


def opening(part: Part, user: User | None = None, guest: str = "") -> Callable[[], bool]:
    """A reader's GET of the part page, as read_record sees it."""
    request = RequestFactory().get(part.get_absolute_url(), HTTP_USER_AGENT=BROWSER_AGENT)
    request.user = user or AnonymousUser()
    request.guest_token = guest or None
    return lambda: read_record(part=part, request=request)


def reads_of(part: Part) -> tuple[int, int]:
    """The counts once the reads taken so far are written."""
    read_buffer.flush()
    part.refresh_from_db()
    return part.reads_count, Story.objects.get(pk=part.story_id).reads_count


@pytest.fixture
def part(alice) -> Part:
    return write_book(alice, "The Lighthouse", 2).parts.first()


def test_readers_arriving_together_each_count_once(part):
    readers = [
        User.objects.create_user(f"reader{n}", f"reader{n}@example.org", "pw-123456789")
        for n in range(READERS)
    ]

    counted = together([opening(part, user=reader) for reader in readers])

    assert counted == [True] * READERS
    assert reads_of(part) == (READERS, READERS)
    assert Read.objects.filter(part=part).count() == READERS


def test_guests_arriving_together_each_count_once(part):
    guests = [f"guest-cookie-{n:04d}-abcdef" for n in range(READERS)]

    counted = together([opening(part, guest=guest) for guest in guests])

    assert counted == [True] * READERS
    assert reads_of(part) == (READERS, READERS)


def test_one_reader_opening_a_part_many_times_at_once_counts_once(part, bob):
    counted = together([opening(part, user=bob) for _ in range(READERS)])

    assert counted.count(True) == 1
    assert reads_of(part) == (1, 1)
    assert Read.objects.filter(part=part, user=bob).count() == 1


def test_readers_of_different_parts_of_one_book_add_up_on_the_book(part):
    other = part.story.parts.last()
    readers = [
        User.objects.create_user(f"reader{n}", f"reader{n}@example.org", "pw-123456789")
        for n in range(READERS)
    ]

    together([opening(part if n % 2 else other, user=reader) for n, reader in enumerate(readers)])

    assert reads_of(part)[0] + reads_of(other)[0] == READERS
    assert reads_of(part)[1] == READERS


def test_reads_counted_while_the_writer_saves_the_book_are_kept(part, monkeypatch, settings):
    """Saving a book adds up its parts' counts again. Readers counted between that sum and
    the save must not be overwritten by it: the saver pauses right there while they read."""
    settings.READS_BUFFERED = False  # each read is written during the pause, not after it
    from storyhouse.stories.services import story_refresh

    readers = [
        User.objects.create_user(f"reader{n}", f"reader{n}@example.org", "pw-123456789")
        for n in range(READERS)
    ]
    summed = threading.Event()
    save = Story.save

    def slow_save(story, *args, **kwargs):
        if threading.current_thread().name == "saver":
            summed.set()
            time.sleep(0.5)  # the readers below arrive now
        return save(story, *args, **kwargs)

    monkeypatch.setattr(Story, "save", slow_save)
    saver = threading.Thread(
        target=lambda: (story_refresh(Story.objects.get(pk=part.story_id)), connection.close()),
        name="saver",
    )
    saver.start()
    assert summed.wait(timeout=10)
    together([opening(part, user=reader) for reader in readers])
    saver.join(timeout=30)

    assert reads_of(part) == (READERS, READERS)
