"""Scheduled publishing in the worker: a part Alice scheduled comes out when its time comes,
once, and the site is told once, even when two workers run the job at the same moment."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from storyhouse import worker
from storyhouse.stories import jobs, services
from storyhouse.stories.models import Part, PartState, Story, Tag, Visibility
from storyhouse.stories.signals import part_published


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def announced():
    sent: list[int] = []
    lock = threading.Lock()

    def receiver(sender, part, **kwargs):
        with lock:
            sent.append(part.pk)

    part_published.connect(receiver, weak=False)
    yield sent
    part_published.disconnect(receiver)


def scheduled_book(alice, *, due: int, later: int = 0, visibility=Visibility.PUBLIC) -> Story:
    """A book with `due` parts whose time has come and `later` parts still to come."""
    story = services.story_edit(
        Story(title="The Lighthouse", visibility=visibility),
        editor=alice,
        description_source="",
        tags={"warning": [Tag.objects.get(name="No Archive Warnings Apply")]},
    )
    now = timezone.now()
    for number in range(due + later):
        when = now - timedelta(minutes=5) if number < due else now + timedelta(days=1)
        services.part_write(
            Part(story=story),
            editor=alice,
            text=services.PartText(title=f"Part {number + 1}", body=f"Words {number}."),
            state=PartState.SCHEDULED,
            publish_at=when,
        )
    return story


@pytest.mark.django_db
def test_the_job_publishes_the_parts_whose_time_has_come(
    alice, announced, django_capture_on_commit_callbacks
):
    story = scheduled_book(alice, due=2, later=1)
    with django_capture_on_commit_callbacks(execute=True):
        published = jobs.publish_scheduled_parts()
    first, second, third = story.parts.order_by("position")
    assert published == [first.pk, second.pk]
    assert [part.state for part in story.parts.order_by("position")] == [
        PartState.PUBLISHED,
        PartState.PUBLISHED,
        PartState.SCHEDULED,
    ]
    first.refresh_from_db()
    assert first.published_at is not None and first.publish_at is None
    assert announced == [first.pk, second.pk]
    story.refresh_from_db()
    assert story.parts_count == 2 and story.published_at is not None
    # A second run finds nothing more to do.
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.publish_scheduled_parts() == []
    assert announced == [first.pk, second.pk]


@pytest.mark.django_db
def test_two_workers_that_saw_the_same_due_parts_publish_each_once(
    alice, announced, django_capture_on_commit_callbacks
):
    """Both workers list the due parts before either publishes: the claim decides."""
    story = scheduled_book(alice, due=3)
    now = timezone.now()
    seen_by_first = services.parts_due(now=now)
    seen_by_second = services.parts_due(now=now)
    with django_capture_on_commit_callbacks(execute=True):
        second = [pk for pk in seen_by_second if services.part_publish_scheduled(pk, now=now)]
        first = [pk for pk in seen_by_first if services.part_publish_scheduled(pk, now=now)]

    ids = list(story.parts.order_by("position").values_list("pk", flat=True))
    assert seen_by_first == seen_by_second == ids
    assert (first, second) == ([], ids)
    assert announced == ids


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_workers_running_at_the_same_moment_publish_and_announce_each_part_once(alice, announced):
    story = scheduled_book(alice, due=4, later=1)
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = services.parts_publish_due()
        except BaseException as error:  # noqa: BLE001 - reported below
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not [r for r in results if isinstance(r, BaseException)], results
    due = list(story.parts.order_by("position").values_list("pk", flat=True))[:4]
    assert sorted(results[0] + results[1]) == due
    assert sorted(announced) == due
    assert story.parts.filter(state=PartState.PUBLISHED).count() == 4
    assert Story.objects.get(pk=story.pk).parts_count == 4


@pytest.mark.django_db
def test_a_scheduled_part_of_a_draft_book_is_published_but_announced_with_the_book(
    alice, announced, django_capture_on_commit_callbacks
):
    story = scheduled_book(alice, due=1, visibility=Visibility.DRAFT)
    with django_capture_on_commit_callbacks(execute=True):
        jobs.publish_scheduled_parts()
    assert story.parts.get().state == PartState.PUBLISHED
    assert announced == []
    with django_capture_on_commit_callbacks(execute=True):
        story.visibility = Visibility.MEMBERS
        services.story_save(story)
    assert announced == [story.parts.get().pk]


# The worker closes stale connections between jobs: that needs real transactions.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_command_runs_the_jobs(alice, capsys, announced):
    scheduled_book(alice, due=1)
    for job in worker.discover().values():
        job.last_run = float("-inf")
    call_command("worker", "--once")
    out = capsys.readouterr().out
    assert "ran storyhouse.stories.jobs.publish_scheduled_parts" in out
    assert "ran storyhouse.stories.jobs.draw_missing_covers" in out
    assert Part.objects.get().state == PartState.PUBLISHED
    assert announced == [Part.objects.get().pk]
