"""Reading progress: the part and furthest paragraph a reader reached, "continue reading" on
the book page and in the library, and the history of parts opened."""

import datetime
import re
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from storyhouse.accounts.models import User
from storyhouse.engagement import services
from storyhouse.engagement.models import PartProgress
from storyhouse.engagement.paragraphs import paragraphs
from storyhouse.stories import services as story_services
from storyhouse.stories.models import Part, Story, Visibility
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(user)
    return client


def continue_link(html: str) -> tuple[str, str] | None:
    found = re.search(r'<a class="button" href="([^"]+)" data-continue-reading>([^<]+)</a>', html)
    return (found.group(1), found.group(2)) if found else None


def later(minutes: int):
    """Pretend it is some minutes from now, so each visit is plainly after the one before."""
    return mock.patch(
        "django.utils.timezone.now",
        return_value=timezone.now() + datetime.timedelta(minutes=minutes),
    )


@pytest.fixture
def book(alice) -> Story:
    return write_book(alice, "The Lighthouse", ["Arrival", "The Storm", "Morning"])


def test_opening_a_part_is_where_continue_reading_goes_without_javascript(book, bob):
    arrival, storm, _morning = book.parts.all()
    client = signed_in(bob)
    assert continue_link(client.get(book.get_absolute_url()).content.decode()) is None

    client.get(storm.get_absolute_url())

    assert continue_link(client.get(book.get_absolute_url()).content.decode()) == (
        storm.get_absolute_url(),
        "Continue reading: The Storm",
    )


def test_the_paragraph_reached_brings_the_reader_back_to_it(book, bob):
    storm = book.parts.all()[1]
    first, second = (p.id for p in paragraphs(storm.body))
    client = signed_in(bob)
    client.get(storm.get_absolute_url())

    response = client.post(f"/parts/{storm.pk}/progress/", {"paragraph": first})

    assert response.status_code == 204
    assert continue_link(client.get(book.get_absolute_url()).content.decode()) == (
        f"{storm.get_absolute_url()}#{first}",
        "Continue reading: The Storm",
    )
    progress = PartProgress.objects.get(user=bob, part=storm)
    assert (progress.paragraph, progress.paragraph_position, progress.paragraphs_total) == (
        first,
        0,
        2,
    )
    assert second  # the part has a second paragraph still to read


def test_scrolling_back_does_not_lose_the_furthest_paragraph(alice, bob):
    part = write_book(alice, "Long", 1).parts.get()
    part.body = "".join(f"<p>Paragraph {n}.</p>" for n in range(6))
    story_services.part_save(part)
    ids = [p.id for p in paragraphs(part.body)]

    for index in [1, 4, 2]:
        services.progress_record(user=bob, part=part, paragraph=ids[index])

    assert PartProgress.objects.get(user=bob, part=part).paragraph == ids[4]


def test_a_report_landing_meanwhile_does_not_undo_a_further_one(alice, bob):
    """The page reports where the reader is while they read, so two reports may cross: the
    further paragraph is what stays, whichever lands last."""
    part = write_book(alice, "Long", 1).parts.get()
    part.body = "".join(f"<p>Paragraph {n}.</p>" for n in range(6))
    story_services.part_save(part)
    ids = [p.id for p in paragraphs(part.body)]
    services.progress_record(user=bob, part=part, paragraph=ids[1])
    find = services.paragraphs.paragraph
    asked = []

    def crossing(body: str, anchor: str):
        asked.append(anchor)
        if len(asked) == 2:  # this report has read the row: the other one lands now
            PartProgress.objects.filter(user=bob, part=part).update(
                paragraph=ids[2], paragraph_position=2
            )
        return find(body, anchor)

    with mock.patch.object(services.paragraphs, "paragraph", crossing):
        services.progress_record(user=bob, part=part, paragraph=ids[4])

    assert PartProgress.objects.get(user=bob, part=part).paragraph == ids[4]


def test_a_finished_part_sends_the_reader_on_to_the_next_one(book, bob):
    arrival, storm, _morning = book.parts.all()
    last = paragraphs(arrival.body)[-1].id
    client = signed_in(bob)

    client.post(f"/parts/{arrival.pk}/progress/", {"paragraph": last})

    assert continue_link(client.get(book.get_absolute_url()).content.decode()) == (
        storm.get_absolute_url(),
        "Read on: The Storm",
    )


def test_the_part_read_last_is_where_continue_reading_goes(book, bob):
    arrival, storm, morning = book.parts.all()
    services.progress_record(user=bob, part=morning)
    with later(5):
        services.progress_record(user=bob, part=arrival)

    html = signed_in(bob).get(book.get_absolute_url()).content.decode()
    assert continue_link(html)[0] == arrival.get_absolute_url()


def test_the_library_offers_continue_reading_for_each_book(book, alice, bob):
    other = write_book(alice, "Salt and Stars", 1)
    storm = book.parts.all()[1]
    first = paragraphs(storm.body)[0].id
    services.library_add(user=bob, story=book)
    services.library_add(user=bob, story=other)
    services.progress_record(user=bob, part=storm, paragraph=first)

    html = signed_in(bob).get("/library/").content.decode()

    assert re.findall(r'<a class="button" href="([^"]+)" data-continue-reading>', html) == [
        f"{storm.get_absolute_url()}#{first}"
    ]


def test_a_paragraph_not_in_the_part_is_refused(book, bob):
    storm = book.parts.all()[1]
    other = paragraphs(book.parts.first().body)[0].id

    response = signed_in(bob).post(f"/parts/{storm.pk}/progress/", {"paragraph": other})

    assert response.status_code == 400
    assert not PartProgress.objects.exists()


def test_guests_and_drafts_keep_no_progress(book, alice, bob, reader):
    part = book.parts.first()
    page = reader.get(part.get_absolute_url()).content.decode()
    assert "data-progress-url" not in page
    assert reader.post(f"/parts/{part.pk}/progress/", {"paragraph": ""}).status_code in (302, 403)
    draft = story_services.part_save(Part(story=book, title="Soon", body="<p>Soon.</p>"))
    signed_in(alice).get(draft.get_absolute_url())
    assert not PartProgress.objects.exists()


def test_progress_needs_a_csrf_token(book, bob):
    part = book.parts.first()
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT, enforce_csrf_checks=True)
    client.force_login(bob)
    paragraph = paragraphs(part.body)[0].id
    assert client.post(f"/parts/{part.pk}/progress/", {"paragraph": paragraph}).status_code == 403
    assert not PartProgress.objects.exists()


def test_history_lists_the_parts_opened_newest_first(book, alice, bob):
    arrival, storm, morning = book.parts.all()
    secret = write_book(alice, "Secret", 1)
    client = signed_in(bob)
    for minutes, part in enumerate([arrival, storm, secret.parts.get(), morning]):
        with later(minutes):
            client.get(part.get_absolute_url())
    with later(10):
        client.get(arrival.get_absolute_url())  # reread: it moves to the top, listed once
    secret.visibility = Visibility.DRAFT
    story_services.story_save(secret)

    html = client.get("/library/history/").content.decode()

    titles = re.findall(r'<li class="history__item">\s*<a href="[^"]+">([^<]+)</a>', html)
    assert titles == ["Arrival", "Morning", "The Storm"]


def test_the_history_page_costs_the_same_queries_however_long(
    alice, bob, django_assert_max_num_queries
):
    client = signed_in(bob)
    story = write_book(alice, "Book", 1)
    services.progress_record(user=bob, part=story.parts.get())
    client.get("/library/history/")
    with django_assert_max_num_queries(20) as few:
        client.get("/library/history/")
    for number in range(6):
        for part in write_book(alice, f"Book {number}", 2).parts.all():
            services.progress_record(user=bob, part=part)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/library/history/")
