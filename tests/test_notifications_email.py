"""Notifications by email, as each reader chooses per kind: at once, in a daily digest, or
never; each email with a one-click unsubscribe link that works without logging in."""

import datetime
import threading
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from storyhouse import worker
from storyhouse.accounts.models import User
from storyhouse.engagement import jobs, services
from storyhouse.engagement.models import (
    EmailState,
    Notification,
    NotificationKind,
    NotificationSettings,
)
from storyhouse.stories.models import Part
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(user)
    return client


def next_digest_time() -> datetime.datetime:
    """Half an hour after the next daily digest time: everything from before it is due."""
    return services.digest_mark(timezone.now()) + datetime.timedelta(days=1, minutes=30)


def choose(user: User, **choices: str) -> None:
    services.notification_settings_save(user=user, **choices)


@pytest.fixture
def carol(db) -> User:
    return User.objects.create_user(
        "carol", "carol@example.org", "carol-password-1", display_name="Carol"
    )


@pytest.fixture
def part(alice) -> Part:
    return write_book(alice, "The Lighthouse", ["Arrival"]).parts.get()


def test_the_worker_runs_both_email_jobs():
    jobs_found = worker.discover()
    assert jobs_found["storyhouse.engagement.jobs.notification_emails_send"].every == 30
    assert jobs_found["storyhouse.engagement.jobs.notification_digests_send"].every == 300


# At once


def test_a_reply_is_emailed_at_once_by_the_worker(part, bob, carol):
    comment = services.comment_post(author=bob, part=part, body="Lovely")
    services.comment_post(author=carol, part=part, body="Agreed", parent=comment)

    assert jobs.notification_emails_send() == 1

    (email,) = [message for message in mail.outbox if message.to == ["bob@example.org"]]
    assert email.subject == "Carol replied to your comment on Arrival"
    assert "Carol replied to your comment on Arrival." in email.body
    reply = comment.replies.get()
    assert f"http://127.0.0.1:8000{part.get_absolute_url()}#comment-{reply.pk}" in email.body
    unsubscribe = email.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://127.0.0.1:8000/notifications/unsubscribe/")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in email.body
    # Sent once: the next run finds nothing waiting.
    assert jobs.notification_emails_send() == 0


def test_never_means_no_email(part, bob, carol):
    choose(bob, reply="never")
    comment = services.comment_post(author=bob, part=part, body="Lovely")
    services.comment_post(author=carol, part=part, body="Agreed", parent=comment)

    services.emails_send_now()
    services.digests_send(now=next_digest_time())

    assert [m for m in mail.outbox if m.to == ["bob@example.org"]] == []
    assert Notification.objects.get(recipient=bob).email_state == EmailState.NONE


def test_an_unconfirmed_address_gets_no_email(part, carol):
    newcomer = User.objects.create_user("newt", "newt@example.org", "pw-123456789")
    comment = services.comment_post(author=newcomer, part=part, body="Hello")
    newcomer.email_verified = False
    newcomer.save()
    services.comment_post(author=carol, part=part, body="Welcome", parent=comment)

    services.emails_send_now()

    assert [m for m in mail.outbox if m.to == ["newt@example.org"]] == []


def test_changing_your_mind_changes_the_emails_still_waiting(part, bob, carol):
    comment = services.comment_post(author=bob, part=part, body="Lovely")
    services.comment_post(author=carol, part=part, body="Agreed", parent=comment)

    signed_in(bob).post(
        "/notifications/settings/",
        {
            "new_part": "now",
            "reply": "daily",
            "comment": "daily",
            "vote": "never",
            "moderation": "now",
        },
    )

    assert services.emails_send_now() == 0
    assert Notification.objects.get(recipient=bob).email_state == EmailState.DIGEST


# The daily digest


def test_comments_and_votes_come_together_in_one_daily_digest(part, alice, bob, carol):
    services.comment_post(author=bob, part=part, body="Lovely")
    services.vote_toggle(user=bob, part=part, voted=True)
    services.vote_toggle(user=carol, part=part, voted=True)

    assert services.emails_send_now() == 0  # comments and votes are daily by default
    assert jobs.notification_digests_send() == 0  # not yet: the digest goes out once a day
    with mock.patch("django.utils.timezone.now", return_value=next_digest_time()):
        assert jobs.notification_digests_send() == 1

    (email,) = mail.outbox
    assert email.to == ["alice@example.org"]
    assert email.subject == "What happened on Storyhouse today"
    assert "- bob commented on Arrival in The Lighthouse" in email.body
    assert "- Carol and 1 more voted for Arrival" in email.body
    assert services.digests_send(now=next_digest_time()) == 0
    assert set(Notification.objects.values_list("email_state", flat=True)) == {EmailState.SENT}


def test_a_digest_waits_for_the_next_day_after_one_was_sent(part, alice, bob, carol):
    services.comment_post(author=bob, part=part, body="One")
    first = next_digest_time()
    services.digests_send(now=first)
    services.comment_post(author=carol, part=part, body="Two")

    assert services.digests_send(now=first + datetime.timedelta(hours=3)) == 0
    assert services.digests_send(now=first + datetime.timedelta(days=1)) == 1
    assert len(mail.outbox) == 2
    assert "Carol commented" in mail.outbox[1].body and "bob" not in mail.outbox[1].body


# Unsubscribing


def unsubscribe_url_of(email: mail.EmailMessage) -> str:
    return email.extra_headers["List-Unsubscribe"].strip("<>").removeprefix("http://127.0.0.1:8000")


def test_the_unsubscribe_link_works_without_logging_in(part, bob, carol):
    comment = services.comment_post(author=bob, part=part, body="Lovely")
    services.comment_post(author=carol, part=part, body="Agreed", parent=comment)
    services.emails_send_now()
    address = unsubscribe_url_of(mail.outbox[0])
    guest = Client(HTTP_USER_AGENT=BROWSER_AGENT)

    page = guest.get(address)
    assert page.status_code == 200
    assert "Replies to your comments" in page.content.decode()
    assert NotificationSettings.objects.filter(user=bob, reply="never").count() == 0

    done = guest.post(address)

    assert done.status_code == 200
    assert "You are unsubscribed" in done.content.decode()
    assert services.notification_settings(bob).reply == "never"
    assert services.notification_settings(bob).new_part == "now"  # other kinds untouched


def test_a_mail_program_unsubscribes_in_one_click_without_a_csrf_token(part, alice, bob):
    token = services.unsubscribe_token(alice, [NotificationKind.VOTE, NotificationKind.COMMENT])
    mail_program = Client(enforce_csrf_checks=True)

    response = mail_program.post(
        f"/notifications/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    settings = services.notification_settings(alice)
    assert (settings.vote, settings.comment, settings.reply) == ("never", "never", "now")


def test_a_tampered_unsubscribe_link_is_refused(part, alice, bob):
    token = services.unsubscribe_token(bob, [NotificationKind.REPLY])
    # Someone changes whose settings the link names, keeping the signature.
    tampered = services.unsubscribe_token(alice, [NotificationKind.REPLY]).split(":")[0]
    tampered = ":".join([tampered, *token.split(":")[1:]])
    guest = Client(HTTP_USER_AGENT=BROWSER_AGENT)

    for bad in [tampered, token[:-2] + "xx", "nonsense"]:
        assert guest.get(f"/notifications/unsubscribe/{bad}/").status_code == 400
        response = guest.post(f"/notifications/unsubscribe/{bad}/")
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
    assert not NotificationSettings.objects.exists()


def test_the_settings_page_shows_and_saves_each_kind(bob):
    client = signed_in(bob)
    html = client.get("/notifications/settings/").content.decode()
    for label in ["Replies to your comments", "Votes for your stories", "In a daily digest"]:
        assert label in html

    client.post(
        "/notifications/settings/",
        {
            "new_part": "daily",
            "reply": "now",
            "comment": "never",
            "vote": "never",
            "moderation": "daily",
        },
    )

    settings = services.notification_settings(bob)
    assert (settings.new_part, settings.reply, settings.comment, settings.vote) == (
        "daily",
        "now",
        "never",
        "never",
    )
    assert settings.moderation == "daily"


def test_the_settings_form_needs_a_csrf_token(bob):
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT, enforce_csrf_checks=True)
    client.force_login(bob)
    response = client.post(
        "/notifications/settings/",
        {
            "new_part": "never",
            "reply": "never",
            "comment": "never",
            "vote": "never",
            "moderation": "never",
        },
    )
    assert response.status_code == 403
    assert not NotificationSettings.objects.exists()


# Two workers at once


def at_the_same_time(work, times: int = 2) -> None:
    barrier = threading.Barrier(times)
    errors = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            work()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_sending_digests_at_once_send_each_one_once(alice, bob, carol):
    part = write_book(alice, "The Lighthouse", 1).parts.get()
    other = write_book(bob, "Salt", 1).parts.get()
    services.comment_post(author=bob, part=part, body="Lovely")
    services.comment_post(author=carol, part=other, body="Nice")
    when = next_digest_time()

    at_the_same_time(lambda: services.digests_send(now=when))

    assert sorted(message.to[0] for message in mail.outbox) == [
        "alice@example.org",
        "bob@example.org",
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_sending_at_once_send_each_email_once(alice, bob, carol):
    part = write_book(alice, "The Lighthouse", 1).parts.get()
    choose(alice, comment="now")
    for author in [bob, carol]:
        services.comment_post(author=author, part=part, body="Hello")

    at_the_same_time(services.emails_send_now, times=3)

    assert len(mail.outbox) == 2
    assert {message.to[0] for message in mail.outbox} == {"alice@example.org"}
