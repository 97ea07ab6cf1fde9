"""Signing up: carol makes an account, reads at once, and posts once she confirms her address."""

import re
import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail, signing
from django.core.cache import cache
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.stories import access
from storyhouse.stories.models import Visibility
from tests.helpers import write_book

pytestmark = pytest.mark.django_db

PASSWORD = "a lighthouse in the fog"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def sign_up(client: Client, **fields: str):
    data = {
        "username": "carol",
        "email": "carol@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **fields,
    }
    return client.post("/accounts/signup/", data)


def link_in(message: mail.EmailMessage) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def text(response) -> str:
    return response.content.decode()


def test_carol_signs_up_confirms_her_address_and_may_post(client):
    response = sign_up(client)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/verify/"
    carol = User.objects.get(username="carol")
    assert carol.email == "carol@example.org"
    assert not carol.email_verified
    assert not access.can_post(carol)
    # She is signed in already, and told where the link went.
    page = text(client.get("/accounts/verify/"))
    assert "We sent a link to <strong>carol@example.org</strong>" in page
    assert "Until then you can read everything, but not post" in page

    (message,) = mail.outbox
    assert message.to == ["carol@example.org"]
    assert message.subject == "Confirm your email address for Storyhouse"
    link = link_in(message)
    assert link.startswith("http://testserver/accounts/verify/")
    assert "The link works for 3 days." in message.body

    # Opening the link asks; confirming is a button (mail scanners open links too).
    confirm = client.get(link)
    assert "Confirm <strong>carol@example.org</strong> as the address of the account" in text(
        confirm
    )
    carol.refresh_from_db()
    assert not carol.email_verified

    done = client.post(link, follow=True)

    assert done.redirect_chain == [("/accounts/settings/", 302)]
    assert "Thank you: carol@example.org is confirmed. You can post now." in text(done)
    carol.refresh_from_db()
    assert carol.email_verified
    assert access.can_post(carol)


def test_the_link_works_in_another_browser_too(client):
    sign_up(client)
    link = link_in(mail.outbox[0])

    elsewhere = Client()
    done = elsewhere.post(link, follow=True)

    assert done.redirect_chain == [("/accounts/login/", 302)]
    assert "is confirmed" in text(done)
    assert User.objects.get(username="carol").email_verified


def test_until_she_confirms_carol_reads_members_only_books_but_cannot_post(client, alice):
    write_book(alice, "For Members", visibility=Visibility.MEMBERS)
    sign_up(client)
    carol = User.objects.get(username="carol")

    assert "For Members" in text(client.get("/"))
    assert access.listed_stories(carol).filter(title="For Members").exists()
    assert not access.can_post(carol)


def test_who_may_post(alice):
    assert access.can_post(alice)  # accounts made by staff or commands start confirmed
    assert not access.can_post(AnonymousUser())
    alice.email_verified = False
    assert not access.can_post(alice)
    alice.email_verified = True
    alice.is_active = False
    assert not access.can_post(alice)


def test_an_expired_link_is_refused_with_a_clear_page(client, monkeypatch, settings):
    four_days_ago = int(time.time()) - settings.EMAIL_VERIFICATION_MAX_AGE - 3600
    with monkeypatch.context() as patch:
        patch.setattr(
            signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(four_days_ago)
        )
        sign_up(client)
    link = link_in(mail.outbox[0])

    for response in (client.get(link), client.post(link)):
        assert response.status_code == 400
        assert "This link does not work" in text(response)
        assert "This link has expired. Sign in and ask for a new one" in text(response)
        assert 'href="/accounts/verify/">Get a new link</a>' in text(response)
    assert not User.objects.get(username="carol").email_verified


def test_a_tampered_link_is_refused_with_a_clear_page(client):
    sign_up(client)
    link = link_in(mail.outbox[0])
    token = link.rstrip("/").rsplit("/", 1)[1]
    payload, timestamp, signature = token.split(":")
    # Someone edits the payload to point at another account; the signature no longer fits.
    forged = signing.b64_encode(b'{"u":1,"e":"mallory@example.org"}').decode()

    for bad in (f"{forged}:{timestamp}:{signature}", token[:-4], "nonsense"):
        response = client.post(f"/accounts/verify/{bad}/")
        assert response.status_code == 400
        assert "This link is not one we sent, or part of it is missing" in text(response)
    assert not User.objects.get(username="carol").email_verified


def test_a_guest_with_a_bad_link_is_sent_to_log_in_for_a_new_one():
    response = Client().get("/accounts/verify/nonsense/")
    assert response.status_code == 400
    assert "Log in to get a new link" in text(response)


def test_carol_asks_for_the_link_again_once_a_minute(client):
    sign_up(client)

    again = client.post("/accounts/verify/", follow=True)
    assert "We sent a new link to carol@example.org." in text(again)
    assert len(mail.outbox) == 2
    too_soon = client.post("/accounts/verify/", follow=True)
    assert "We sent a link less than a minute ago" in text(too_soon)
    assert len(mail.outbox) == 2

    # Either link works.
    client.post(link_in(mail.outbox[0]))
    assert User.objects.get(username="carol").email_verified
    confirmed = client.get("/accounts/verify/")
    assert "Your email address is confirmed" in text(confirmed)


def test_the_verification_page_is_for_signed_in_people():
    response = Client().get("/accounts/verify/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/verify/"


def test_usernames_and_addresses_are_taken_whatever_their_letter_case(client, alice):
    response = sign_up(client, username="ALICE", email="someone@example.org")
    assert "A user with that username already exists." in text(response)

    response = sign_up(client, username="alice2", email="Alice@Example.org")
    assert "An account with this email address already exists." in text(response)

    assert User.objects.count() == 1
    assert mail.outbox == []


def test_usernames_follow_djangos_rules(client):
    response = sign_up(client, username="carol smith")
    assert "Enter a valid username." in text(response)
    assert not User.objects.filter(email="carol@example.org").exists()


def test_passwords_are_checked(client):
    cases = {
        "password": "This password is too common.",
        "carol2": "This password is too short.",
        "39847562938475": "This password is entirely numeric.",
        "carol@example": "The password is too similar to the",
    }
    for password, error in cases.items():
        response = sign_up(client, password1=password, password2=password)
        assert error in text(response), password
    mismatch = sign_up(client, password2=PASSWORD + "!")
    assert "The two password fields didn’t match." in text(mismatch)
    assert not User.objects.exists()


def test_a_signed_in_person_is_not_asked_to_sign_up_again(client, alice):
    client.force_login(alice)
    assert client.get("/accounts/signup/")["Location"] == "/"


def test_a_mail_server_that_fails_does_not_lose_the_account(client, settings):
    settings.EMAIL_BACKEND = "tests.test_accounts_signup.BrokenMailServer"

    response = sign_up(client)

    assert response.status_code == 302
    assert User.objects.filter(username="carol").exists()
    again = client.post("/accounts/verify/", follow=True)
    assert "We could not send the email just now. Try again later." in text(again)


class BrokenMailServer:
    def __init__(self, *args, **kwargs) -> None:
        pass

    def send_messages(self, messages) -> int:
        raise ConnectionRefusedError("no mail server")


def test_many_sign_ups_from_one_address_are_paused_for_an_hour(settings):
    settings.SIGNUPS_PER_HOUR = 3
    for n in range(3):
        assert (
            sign_up(Client(), username=f"carol{n}", email=f"carol{n}@example.org").status_code
            == 302
        )
    refused = sign_up(Client(), username="carol9", email="carol9@example.org")
    assert refused.status_code == 429
    assert "Please try again later" in text(refused)
    assert not User.objects.filter(username="carol9").exists()
    assert len(mail.outbox) == 3
    # Another address is not held back by that one.
    elsewhere = Client(REMOTE_ADDR="192.0.2.7")
    assert sign_up(elsewhere, username="carol9", email="carol9@example.org").status_code == 302
