"""Notifications in the site: new parts of books you keep or by writers you follow, replies,
comments and votes on your stories; never about your own doings or parts you may not see."""

import datetime
import re
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from storyhouse.accounts.models import User
from storyhouse.engagement import services
from storyhouse.engagement.models import Notification, NotificationKind
from storyhouse.stories import services as story_services
from storyhouse.stories.models import Part, PartState, Story, Visibility
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(user)
    return client


def shown(user: User) -> list[str]:
    """The notifications a person sees on their page, newest first."""
    html = signed_in(user).get("/notifications/").content.decode()
    return re.findall(r'<a class="notification__link" href="[^"]+">([^<]+)</a>', html)


def unread_badge(html: str) -> str | None:
    found = re.search(r'<span class="nav-badge" data-unread>(\d+)<', html)
    return found.group(1) if found else None


@pytest.fixture
def carol(db) -> User:
    return User.objects.create_user(
        "carol", "carol@example.org", "carol-password-1", display_name="Carol"
    )


@pytest.fixture
def book(alice, django_capture_on_commit_callbacks) -> Story:
    # Its first part is announced as it comes out, before anyone keeps the book.
    with django_capture_on_commit_callbacks(execute=True):
        return write_book(alice, "The Lighthouse", ["Arrival"])


@pytest.fixture
def publish(django_capture_on_commit_callbacks):
    """Publish a new part as a writer does: readers are told once the transaction commits."""

    def new_part(story: Story, title: str) -> Part:
        with django_capture_on_commit_callbacks(execute=True):
            return story_services.part_save(
                Part(story=story, title=title, body="<p>More.</p>", state=PartState.PUBLISHED)
            )

    return new_part


# New parts


def test_a_new_part_of_a_book_in_your_library_is_announced(book, bob, publish):
    services.library_add(user=bob, story=book)

    storm = publish(book, "The Storm")

    assert shown(bob) == ["The Lighthouse has a new part: The Storm"]
    html = signed_in(bob).get("/").content.decode()
    assert unread_badge(html) == "1"
    (notification,) = Notification.objects.filter(recipient=bob)
    assert (notification.kind, notification.part) == (NotificationKind.NEW_PART, storm)


def test_a_new_part_by_a_writer_you_follow_is_announced(alice, bob, publish):
    services.follow(follower=bob, writer=alice)
    fresh = write_book(alice, "Salt and Stars", 0)

    publish(fresh, "Chapter One")

    assert shown(bob) == ["Salt and Stars has a new part: Chapter One"]


def test_a_reader_who_both_keeps_the_book_and_follows_its_writer_hears_once(
    book, alice, bob, publish
):
    services.library_add(user=bob, story=book)
    services.follow(follower=bob, writer=alice)

    publish(book, "The Storm")

    assert Notification.objects.filter(recipient=bob).count() == 1


def test_writers_are_not_told_of_their_own_new_parts(book, alice, publish):
    services.library_add(user=alice, story=book)
    publish(book, "The Storm")
    assert not Notification.objects.filter(recipient=alice).exists()


def test_nobody_hears_of_a_part_they_may_not_see(alice, bob, publish):
    services.follow(follower=bob, writer=alice)
    hidden = write_book(alice, "Taken down", 1)
    hidden.visibility = Visibility.HIDDEN
    story_services.story_save(hidden)
    draft = write_book(alice, "Not yet", 0, visibility=Visibility.DRAFT)

    publish(hidden, "Two")
    publish(draft, "One")

    assert not Notification.objects.exists()


def test_members_hear_of_members_only_books(alice, bob, publish):
    services.follow(follower=bob, writer=alice)
    members = write_book(alice, "For members", 0, visibility=Visibility.MEMBERS)

    publish(members, "One")

    assert shown(bob) == ["For members has a new part: One"]


def test_a_notification_about_a_book_taken_from_view_is_no_longer_shown_or_counted(
    book, bob, publish
):
    services.library_add(user=bob, story=book)
    publish(book, "The Storm")
    book.refresh_from_db()
    book.visibility = Visibility.HIDDEN
    story_services.story_save(book)

    assert shown(bob) == []
    assert unread_badge(signed_in(bob).get("/").content.decode()) is None


# Replies and comments


def test_a_reply_tells_the_commenter_and_a_comment_tells_the_writer(book, alice, bob, carol):
    part = book.parts.get()
    comment = services.comment_post(author=bob, part=part, body="Lovely")
    assert shown(alice) == ["bob commented on Arrival in The Lighthouse"]

    services.comment_post(author=carol, part=part, body="Agreed", parent=comment)

    assert shown(bob) == ["Carol replied to your comment on Arrival"]
    assert shown(alice) == [
        "Carol commented on Arrival in The Lighthouse",
        "bob commented on Arrival in The Lighthouse",
    ]


def test_a_writer_replying_on_their_own_story_tells_the_reader_only(book, alice, bob):
    part = book.parts.get()
    comment = services.comment_post(author=bob, part=part, body="Lovely")

    services.comment_post(author=alice, part=part, body="Thank you!", parent=comment)

    assert shown(bob) == ["Alice Liddell replied to your comment on Arrival"]
    assert shown(alice) == ["bob commented on Arrival in The Lighthouse"]  # not her own reply


def test_a_writer_answered_on_their_own_story_hears_of_it_once_as_a_reply(book, alice, bob):
    part = book.parts.get()
    comment = services.comment_post(author=alice, part=part, body="Author's note: thanks!")

    services.comment_post(author=bob, part=part, body="You're welcome", parent=comment)

    assert shown(alice) == ["bob replied to your comment on Arrival"]


def test_replying_to_yourself_tells_nobody_but_the_writer(book, alice, bob):
    part = book.parts.get()
    comment = services.comment_post(author=bob, part=part, body="One more thing")
    Notification.objects.all().delete()

    services.comment_post(author=bob, part=part, body="...and another", parent=comment)

    assert list(Notification.objects.values_list("recipient__username", "kind")) == [
        ("alice", "comment")
    ]


def test_each_author_of_a_book_hears_of_comments(book, alice, bob, carol):
    story_services.story_save(book, authors=[alice, carol])

    services.comment_post(author=bob, part=book.parts.get(), body="Hi both")

    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == [
        "alice",
        "carol",
    ]


def test_opening_a_notification_marks_it_read_and_goes_to_the_comment(book, alice, bob):
    comment = services.comment_post(author=bob, part=book.parts.get(), body="Lovely")
    notification = Notification.objects.get(recipient=alice)
    client = signed_in(alice)
    assert unread_badge(client.get("/notifications/").content.decode()) == "1"

    response = client.get(f"/notifications/{notification.pk}/")

    assert response["Location"] == f"{book.parts.get().get_absolute_url()}#comment-{comment.pk}"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert unread_badge(client.get("/notifications/").content.decode()) is None


def test_nobody_opens_another_persons_notification(book, alice, bob):
    services.comment_post(author=bob, part=book.parts.get(), body="Lovely")
    notification = Notification.objects.get(recipient=alice)

    assert signed_in(bob).get(f"/notifications/{notification.pk}/").status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read(book, alice, bob, carol):
    part = book.parts.get()
    services.comment_post(author=bob, part=part, body="One")
    services.comment_post(author=carol, part=part, body="Two")
    client = signed_in(alice)
    assert unread_badge(client.get("/").content.decode()) == "2"

    response = client.post("/notifications/read/")

    assert response["Location"] == "/notifications/"
    assert unread_badge(client.get("/").content.decode()) is None
    assert not Notification.objects.filter(read_at__isnull=True).exists()


# Votes


def test_votes_on_one_part_in_one_day_make_one_notification(book, alice, bob, carol):
    part = book.parts.get()
    services.vote_toggle(user=bob, part=part, voted=True)
    assert shown(alice) == ["bob voted for Arrival"]

    services.vote_toggle(user=carol, part=part, voted=True)
    assert shown(alice) == ["Carol and 1 more voted for Arrival"]

    services.vote_toggle(user=carol, part=part, voted=False)
    assert Notification.objects.get(recipient=alice).count == 1
    services.vote_toggle(user=bob, part=part, voted=False)
    assert not Notification.objects.exists()

    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    services.vote_toggle(user=bob, part=part, voted=True)
    with mock.patch("django.utils.timezone.localdate", return_value=tomorrow):
        services.vote_toggle(user=carol, part=part, voted=True)
    assert Notification.objects.filter(recipient=alice).count() == 2


def test_a_new_vote_makes_a_read_vote_notification_unread_again(book, alice, bob, carol):
    part = book.parts.get()
    services.vote_toggle(user=bob, part=part, voted=True)
    services.notifications_mark_all_read(user=alice)

    services.vote_toggle(user=carol, part=part, voted=True)

    assert Notification.objects.get(recipient=alice).read_at is None


def test_writers_voting_for_their_own_part_hear_nothing(book, alice):
    services.vote_toggle(user=alice, part=book.parts.get(), voted=True)
    assert not Notification.objects.exists()


# The header and the page


def test_the_unread_count_costs_one_query_and_none_for_guests(book, alice, bob, reader):
    services.comment_post(author=bob, part=book.parts.get(), body="Lovely")
    client = signed_in(alice)

    def notification_queries(c: Client) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            assert c.get("/").status_code == 200
        return [q["sql"] for q in queries if "engagement_notification" in q["sql"]]

    assert len(notification_queries(client)) == 1
    assert notification_queries(reader) == []
    assert "Notifications" not in reader.get("/").content.decode()


def test_the_notifications_page_costs_the_same_queries_however_many(
    alice, bob, carol, django_assert_max_num_queries
):
    client = signed_in(alice)
    first = write_book(alice, "Book 0", 1)
    services.comment_post(author=bob, part=first.parts.get(), body="Hi")
    client.get("/notifications/")
    with django_assert_max_num_queries(20) as few:
        client.get("/notifications/")
    for number in range(1, 7):
        part = write_book(alice, f"Book {number}", 1).parts.get()
        comment = services.comment_post(author=bob, part=part, body="Hi")
        services.comment_post(author=carol, part=part, body="Hi", parent=comment)
        services.vote_toggle(user=carol, part=part, voted=True)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/notifications/")
    assert len(shown(alice)) == 19


def test_guests_have_no_notifications(reader):
    assert reader.get("/notifications/").status_code == 302


def test_mark_all_read_needs_a_csrf_token(book, alice, bob):
    services.comment_post(author=bob, part=book.parts.get(), body="Lovely")
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT, enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/notifications/read/").status_code == 403
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
