"""Personal tokens: made and revoked on the account page, accepted as a bearer header, as the
password of HTTP Basic, and as ?token= on feeds, the OPDS catalog and downloads only."""

import base64

import pytest
from django.test import Client
from django.urls import reverse

from storyhouse.accounts import tokens
from storyhouse.accounts.models import PersonalToken, User


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def bob_client(bob) -> Client:
    client = Client()
    client.force_login(bob)
    return client


def test_a_token_is_made_on_the_account_page_and_shown_once(bob, bob_client):
    page = bob_client.post(reverse("accounts:token_new"), {"name": "Kobo Libra"})
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    token = PersonalToken.objects.get(user=bob)
    raw = page.context["new_token"]
    assert raw.startswith("sh_") and raw in page.content.decode()
    assert token.name == "Kobo Libra" and raw.startswith(token.hint)
    assert raw not in token.digest  # only a fingerprint is kept

    again = bob_client.get(reverse("accounts:settings")).content.decode()
    assert "Kobo Libra" in again and raw not in again


def test_a_token_needs_a_name(bob, bob_client):
    page = bob_client.post(reverse("accounts:token_new"), {"name": "   "})
    assert page.status_code == 200
    assert "This field is required" in page.content.decode()
    assert not PersonalToken.objects.exists()


def test_revoking_a_token_stops_it_at_once(bob, bob_client):
    token, raw = tokens.token_create(bob, "Feeds")
    assert Client().get("/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    response = bob_client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    refused = Client().get("/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert refused.status_code == 401
    assert "not valid" in refused.json()["message"]
    assert "Revoked on" in bob_client.get(reverse("accounts:settings")).content.decode()


def test_nobody_revokes_another_persons_token(alice, bob, bob_client):
    token, _raw = tokens.token_create(alice, "Alice's reader")
    assert bob_client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.is_active


def test_token_forms_want_their_csrf_token(bob):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    assert client.post(reverse("accounts:token_new"), {"name": "x"}).status_code == 403


def test_a_bearer_token_acts_as_its_owner(bob):
    _token, raw = tokens.token_create(bob, "Script")
    page = Client().get(reverse("accounts:settings"), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert page.status_code == 200 and "@bob" in page.content.decode()
    assert "private" in page["Cache-Control"] and "Authorization" in page["Vary"]


def test_basic_takes_a_token_as_the_password_never_the_account_password(bob):
    _token, raw = tokens.token_create(bob, "Kobo")
    with_token = Client().get(reverse("accounts:settings"), HTTP_AUTHORIZATION=basic("bob", raw))
    assert with_token.status_code == 200 and "@bob" in with_token.content.decode()
    with_password = Client().get(
        reverse("accounts:settings"), HTTP_AUTHORIZATION=basic("bob", "bob-password-1")
    )
    assert with_password.status_code == 302  # still a guest, sent to sign in


def test_a_query_token_counts_on_feeds_only(bob):
    _token, raw = tokens.token_create(bob, "Feeds")
    assert tokens.query_token_allowed("/opds/")
    assert tokens.query_token_allowed("/tags/angst/feed.atom")
    assert tokens.query_token_allowed("/stories/3-a-book/download.epub")
    # Anywhere else an address is shared and logged too easily to carry a key.
    page = Client().get(reverse("accounts:settings") + f"?token={raw}")
    assert page.status_code == 302


def test_a_wrong_token_is_refused_not_read_as_a_guest(db):
    response = Client().get("/search/feed.atom?token=sh_not-a-real-one")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_departed_persons_token_no_longer_works(bob):
    _token, raw = tokens.token_create(bob, "Script")
    User.objects.filter(pk=bob.pk).update(is_active=False)
    response = Client().get("/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401


def test_one_person_keeps_at_most_twenty_tokens(bob, bob_client):
    for number in range(tokens.TOKENS_PER_PERSON):
        tokens.token_create(bob, f"Token {number}")
    page = bob_client.post(reverse("accounts:token_new"), {"name": "One more"})
    assert "revoke one you no longer use" in page.content.decode()
    assert bob.tokens.count() == tokens.TOKENS_PER_PERSON
