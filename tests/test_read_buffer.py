"""The read buffer: reads a web process takes are written in batches, each counted exactly once
per reader, part and day, however many processes hold the same read, and none lost when the
database refuses a flush."""

import logging
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from storyhouse.engagement import read_buffer
from storyhouse.engagement.models import Read
from storyhouse.engagement.read_buffer import ReadBuffer
from storyhouse.stories.models import Part, Story
from tests.helpers import BROWSER_AGENT, together, write_book


@pytest.fixture
def part(alice) -> Part:
    return write_book(alice, "The Lighthouse", 2).parts.first()


def reads_of(part: Part) -> tuple[int, int]:
    """(reads of the part, reads of its book) as the database counts them."""
    part.refresh_from_db()
    return part.reads_count, Story.objects.get(pk=part.story_id).reads_count


def taking(buffer: ReadBuffer, part: Part, reader: str, user_id: int | None = None) -> bool:
    return buffer.add(part_id=part.pk, story_id=part.story_id, reader=reader, user_id=user_id)


@pytest.mark.django_db
class TestOneProcess:
    def test_a_read_is_written_when_the_buffer_is_flushed(self, part, bob):
        assert read_buffer.add(
            part_id=part.pk, story_id=part.story_id, reader=f"u{bob.pk}", user_id=bob.pk
        )
        assert reads_of(part) == (0, 0)  # held, not written yet

        assert read_buffer.flush() == 1

        assert reads_of(part) == (1, 1)
        (read,) = Read.objects.all()
        assert (read.part, read.reader, read.user, read.day) == (
            part,
            f"u{bob.pk}",
            bob,
            timezone.localdate(),
        )
        assert read_buffer.flush() == 0  # nothing held any more

    def test_the_same_read_taken_twice_counts_once(self, part):
        buffer = ReadBuffer()
        assert taking(buffer, part, "gguest-one-cookie-123")
        assert not taking(buffer, part, "gguest-one-cookie-123")
        assert buffer.flush() == 1
        # Later the same day, after the flush: still this reader's one read of today.
        assert not taking(buffer, part, "gguest-one-cookie-123")
        assert buffer.flush() == 0
        assert reads_of(part) == (1, 1)

    def test_a_read_another_process_already_wrote_is_not_counted_again(self, part):
        first, second = ReadBuffer(), ReadBuffer()
        assert taking(first, part, "gguest-one-cookie-123")
        assert first.flush() == 1
        assert taking(second, part, "gguest-one-cookie-123")  # this process never saw it
        assert second.flush() == 0
        assert reads_of(part) == (1, 1)
        assert Read.objects.count() == 1

    def test_reads_of_two_parts_add_up_on_the_book(self, part):
        other = part.story.parts.last()
        buffer = ReadBuffer()
        for guest in ("gguest-one-cookie-123", "gguest-two-cookie-456"):
            taking(buffer, part, guest)
        taking(buffer, other, "gguest-one-cookie-123")
        assert buffer.flush() == 3
        assert reads_of(part) == (2, 3)
        assert reads_of(other) == (1, 3)

    def test_many_reads_are_written_in_several_batches_and_statements(self, part):
        # 3 batches of 200 reads; SQLite takes at most 199 rows per statement.
        buffer = ReadBuffer(batch_size=200)
        for n in range(600):
            taking(buffer, part, f"gguest-cookie-{n:06d}")
        assert buffer.full.is_set()  # the flushing thread would not wait for its next turn

        assert buffer.flush() == 600

        assert reads_of(part) == (600, 600)
        assert not buffer.full.is_set()

    def test_a_read_of_a_part_deleted_meanwhile_is_dropped_and_others_still_count(self, part, bob):
        other = part.story.parts.last()
        buffer = ReadBuffer()
        bobs = f"u{bob.pk}"
        taking(buffer, other, "gguest-one-cookie-123")
        taking(buffer, part, "gguest-one-cookie-123")
        taking(buffer, part, bobs, user_id=bob.pk)
        other.delete()
        bob.delete()  # an account gone: its read stays, as anyone's

        assert buffer.flush() == 2

        assert reads_of(part) == (2, 2)
        assert sorted(Read.objects.values_list("reader", "user")) == [
            ("gguest-one-cookie-123", None),
            (bobs, None),
        ]
        assert len(buffer) == 0

    def test_with_buffering_off_a_page_view_is_counted_at_once(self, part, settings):
        settings.READS_BUFFERED = False
        Client(HTTP_USER_AGENT=BROWSER_AGENT).get(part.get_absolute_url())
        assert reads_of(part) == (1, 1)

    def test_with_buffering_on_a_page_view_is_counted_at_the_next_flush(self, part):
        Client(HTTP_USER_AGENT=BROWSER_AGENT).get(part.get_absolute_url())
        assert reads_of(part) == (0, 0)
        read_buffer.flush()
        assert reads_of(part) == (1, 1)


@pytest.mark.django_db
class TestTheDatabaseRefuses:
    def test_reads_a_failed_flush_held_are_counted_by_the_next(self, part, caplog):
        """The database fails after the rows went in and before the counts: nothing of that
        batch stays, and the next flush counts every read exactly once."""
        buffer = ReadBuffer()
        taking(buffer, part, "gguest-one-cookie-123")
        taking(buffer, part, "gguest-two-cookie-456")
        add_reads = read_buffer._add_reads
        calls = {"n": 0}

        def refuse_once(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 1:
                raise OperationalError("server closed the connection unexpectedly")
            return add_reads(*args, **kwargs)

        with mock.patch.object(read_buffer, "_add_reads", refuse_once):
            with caplog.at_level(logging.ERROR, logger="storyhouse.engagement.read_buffer"):
                assert buffer.flush() == 0  # and no exception for the caller
            assert "kept to try again" in caplog.text
            assert reads_of(part) == (0, 0)
            assert not Read.objects.exists()
            assert len(buffer) == 2

            taking(buffer, part, "gguest-three-cookie-789")  # a reader meanwhile
            assert buffer.flush() == 3

        assert reads_of(part) == (3, 3)
        assert len(buffer) == 0

    def test_past_the_limit_the_oldest_reads_are_dropped_and_said_so(self, part, caplog):
        buffer = ReadBuffer(max_held=3)
        for n in range(5):
            taking(buffer, part, f"gguest-cookie-{n:06d}")
        assert len(buffer) == 3
        with mock.patch.object(read_buffer, "write_reads", side_effect=OperationalError("down")):
            buffer.flush()
        for n in range(5, 7):
            taking(buffer, part, f"gguest-cookie-{n:06d}")
        assert "read buffer is full: the oldest reads go (1 so far)" in caplog.text

        assert buffer.flush() == 3

        assert sorted(Read.objects.values_list("reader", flat=True)) == [
            "gguest-cookie-000004",
            "gguest-cookie-000005",
            "gguest-cookie-000006",
        ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_processes_flushing_the_same_reads_at_once_count_each_once(part):
    """Two processes took the same readers' reads (and some of their own) and flush at the
    same moment, each with its own connection: every read counts once, none is lost."""
    other = part.story.parts.last()
    shared = [f"gguest-shared-{n:06d}" for n in range(300)]
    buffers = [ReadBuffer(batch_size=100), ReadBuffer(batch_size=100)]
    for which, buffer in enumerate(buffers):
        for guest in shared + [f"gguest-only-{which}-{n:06d}" for n in range(50)]:
            taking(buffer, part, guest)
            taking(buffer, other, guest)

    counted = together([buffer.flush for buffer in buffers])

    assert sum(counted) == 2 * (300 + 2 * 50)
    assert reads_of(part) == (400, 800)
    assert reads_of(other) == (400, 800)
    assert Read.objects.count() == 800
    assert all(len(buffer) == 0 for buffer in buffers)


# The spool: reads a killed process took are written by the next one to start.


def killed(buffer: ReadBuffer) -> None:
    """What a kill -9 leaves: the spool files, their locks gone with the process."""
    import os

    spool = buffer.spool
    for fd, _path in [*spool.taken, (spool.fd, spool.path)]:
        os.close(fd)


@pytest.mark.django_db
def test_reads_a_killed_process_took_are_written_by_the_next_one(tmp_path, part, bob):
    from storyhouse.engagement.read_buffer import Spool, replay_orphans

    buffer = ReadBuffer()
    buffer.spool = Spool(tmp_path)
    for n in range(5):
        taking(buffer, part, f"gguest-spooled-{n:06d}")
    taking(buffer, part, f"u{bob.pk}", user_id=bob.pk)
    # A process still running holds its spool: nobody else writes its reads.
    assert replay_orphans(tmp_path) == 0
    killed(buffer)
    assert replay_orphans(tmp_path) == 6
    assert reads_of(part) == (6, 6)
    assert Read.objects.filter(user=bob).count() == 1
    assert list(tmp_path.glob("*.reads")) == []
    assert replay_orphans(tmp_path) == 0  # nothing twice


@pytest.mark.django_db
def test_a_flush_removes_what_it_wrote_from_the_spool_and_keeps_what_failed(tmp_path, part):
    from storyhouse.engagement import read_buffer as module
    from storyhouse.engagement.read_buffer import Spool, replay_orphans

    buffer = ReadBuffer()
    buffer.spool = Spool(tmp_path)
    taking(buffer, part, "gguest-first-000001")
    with mock.patch.object(module, "write_reads", side_effect=OperationalError("down")):
        assert buffer.flush() == 0
    taking(buffer, part, "gguest-second-00002")
    assert len(list(tmp_path.glob("*.reads"))) == 2  # the failed flush's file, and the new one
    assert buffer.flush() == 2
    assert [path.stat().st_size for path in tmp_path.glob("*.reads")] == [0]  # only the new one
    taking(buffer, part, "gguest-third-000003")
    killed(buffer)
    assert replay_orphans(tmp_path) == 1
    assert reads_of(part) == (3, 3)
