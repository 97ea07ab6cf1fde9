"""Alice's settings: her profile as her author page shows it, and a new email address."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.stories import access

pytestmark = pytest.mark.django_db

ALICE_PASSWORD = "alice-password-1"  # tests/conftest.py


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


@pytest.fixture
def as_alice(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


def text(response) -> str:
    return response.content.decode()


def link_in(message: mail.EmailMessage) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def test_alice_edits_her_profile_and_her_author_page_shows_it(as_alice, alice, reader):
    page = text(as_alice.get("/accounts/settings/"))
    assert 'value="Alice Liddell"' in page

    done = as_alice.post(
        "/accounts/settings/",
        {
            "display_name": "  Alice   of the Lighthouse ",
            "bio": "I write about the sea.\r\n\r\nAnd <b>storms</b>: https://example.org",
        },
        follow=True,
    )

    assert done.redirect_chain == [("/accounts/settings/", 302)]
    assert "Your profile is saved." in text(done)
    author = text(reader.get("/authors/alice/"))
    assert "<h1>Alice of the Lighthouse</h1>" in author
    assert '<p class="handle">@alice</p>' in author
    # Plain text: paragraphs kept, markup shown as typed, never run.
    assert "<p>I write about the sea.</p>" in author
    assert "<p>And &lt;b&gt;storms&lt;/b&gt;: https://example.org</p>" in author
    assert "Alice of the Lighthouse" in text(as_alice.get("/"))  # her name in the navigation


def test_without_a_display_name_the_username_shows(as_alice, reader):
    as_alice.post("/accounts/settings/", {"display_name": "", "bio": ""})
    author = text(reader.get("/authors/alice/"))
    assert "<h1>alice</h1>" in author
    assert "@alice" not in author


def test_a_display_name_too_long_is_refused_and_nothing_changes(as_alice, alice):
    response = as_alice.post("/accounts/settings/", {"display_name": "A" * 101, "bio": "New"})
    assert response.status_code == 200
    assert "Ensure this value has at most 100 characters" in text(response)
    assert "Alice Liddell" in text(response)  # the navigation still shows her name as it is
    alice.refresh_from_db()
    assert (alice.display_name, alice.bio) == ("Alice Liddell", "")


def change_email(client: Client, email: str, password: str = ALICE_PASSWORD):
    return client.post(
        "/accounts/settings/email/", {"email": email, "password": password}, follow=True
    )


def test_a_new_address_replaces_the_old_one_once_alice_follows_its_link(as_alice, alice):
    done = change_email(as_alice, "alice@lighthouse.example")

    assert "We sent a link to alice@lighthouse.example." in text(done)
    assert "until then we keep using alice@example.org" in text(done)
    (message,) = mail.outbox
    assert message.to == ["alice@lighthouse.example"]
    alice.refresh_from_db()
    assert alice.email == "alice@example.org"
    assert alice.pending_email == "alice@lighthouse.example"
    assert access.can_post(alice)  # her confirmed address still stands meanwhile
    assert "Waiting for you to follow the link we sent to" in text(
        as_alice.get("/accounts/settings/")
    )

    as_alice.post(link_in(message))

    alice.refresh_from_db()
    assert alice.email == "alice@lighthouse.example"
    assert alice.pending_email == ""
    assert alice.email_verified


def test_changing_the_address_needs_the_password(as_alice, alice):
    response = change_email(as_alice, "mallory@example.org", password="guess")
    assert "That is not your current password." in text(response)
    assert mail.outbox == []
    alice.refresh_from_db()
    assert alice.pending_email == ""


def test_an_address_another_account_uses_is_refused(as_alice, bob):
    response = change_email(as_alice, "Bob@Example.org")
    assert "An account with this email address already exists." in text(response)
    assert mail.outbox == []


def test_an_older_link_stops_working_when_alice_asks_for_another_address(as_alice, alice):
    change_email(as_alice, "first@example.org")
    change_email(as_alice, "second@example.org")
    first, second = mail.outbox

    refused = as_alice.post(link_in(first))
    assert refused.status_code == 400
    assert "This link is for an address your account no longer uses" in text(refused)
    as_alice.post(link_in(second))
    alice.refresh_from_db()
    assert alice.email == "second@example.org"


def test_an_address_taken_meanwhile_is_not_given_twice(as_alice, alice):
    change_email(as_alice, "shared@example.org")
    User.objects.create_user("dave", "shared@example.org", "dave-password-1")

    refused = as_alice.post(link_in(mail.outbox[0]))

    assert refused.status_code == 400
    assert "Another account uses this address now." in text(refused)
    alice.refresh_from_db()
    assert alice.email == "alice@example.org"


def test_giving_the_current_address_again_cancels_a_change(as_alice, alice):
    change_email(as_alice, "new@example.org")
    done = change_email(as_alice, "ALICE@example.org")
    assert "Your email address stays alice@example.org." in text(done)
    alice.refresh_from_db()
    assert alice.pending_email == ""
