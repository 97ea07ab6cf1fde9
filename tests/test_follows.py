"""Following writers: the button on an author's page, follower counts, who you follow."""

import re

import pytest
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.engagement import services
from storyhouse.engagement.models import Follow
from tests.helpers import BROWSER_AGENT

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def signed_in(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(user)
    return client


def followers_shown(html: str) -> str:
    return re.search(r'<span class="follow__count">([^<]+)</span>', html).group(1)


def test_a_reader_follows_a_writer_from_their_page(alice, bob):
    client = signed_in(bob)
    page = client.get("/authors/alice/").content.decode()
    assert followers_shown(page) == "0 followers"
    assert "Follow Alice Liddell</button>" in page

    response = client.post("/following/alice/", {"action": "follow"})

    assert response["Location"] == "/authors/alice/"
    page = client.get("/authors/alice/").content.decode()
    assert followers_shown(page) == "1 follower"
    assert "Unfollow Alice Liddell</button>" in page
    assert "You follow Alice Liddell" in page


def test_the_follow_button_toggles_in_place(alice, bob):
    client = signed_in(bob)

    followed = client.post("/following/alice/", {"action": "follow"}, **HTMX).content.decode()
    assert followed.lstrip().startswith(f'<div class="follow" id="follow-{alice.pk}">')
    assert followers_shown(followed) == "1 follower"
    assert "Unfollow Alice Liddell" in followed

    unfollowed = client.post("/following/alice/", {"action": "unfollow"}, **HTMX).content.decode()
    assert followers_shown(unfollowed) == "0 followers"
    assert not Follow.objects.exists()


def test_the_follower_count_counts_each_reader_once(alice, bob):
    carol = User.objects.create_user("carol", "carol@example.org", "carol-password-1")
    for follower in [bob, carol, bob]:
        services.follow(follower=follower, writer=alice)
    page = Client(HTTP_USER_AGENT=BROWSER_AGENT).get("/authors/alice/").content.decode()
    assert followers_shown(page) == "2 followers"


def test_a_reader_sees_whom_they_follow_and_can_stop(alice, bob):
    dora = User.objects.create_user("dora", "dora@example.org", "pw-123456789", display_name="Dora")
    services.follow(follower=bob, writer=alice)
    services.follow(follower=bob, writer=dora)
    client = signed_in(bob)

    html = client.get("/following/").content.decode()
    names = re.findall(r'<li class="following__item">\s*<a href="[^"]+">([^<]+)</a>', html)
    assert names == ["Alice Liddell", "Dora"]

    client.post("/following/dora/", {"action": "unfollow", "next": "/following/"})
    html = client.get("/following/").content.decode()
    assert re.findall(r'<li class="following__item">\s*<a href="[^"]+">([^<]+)</a>', html) == [
        "Alice Liddell"
    ]


def test_nobody_follows_themselves(alice):
    client = signed_in(alice)
    assert "Follow Alice" not in client.get("/authors/alice/").content.decode()
    assert client.post("/following/alice/", {"action": "follow"}).status_code == 403
    assert not Follow.objects.exists()


def test_a_guest_sees_the_count_and_a_way_to_log_in(alice, reader):
    html = reader.get("/authors/alice/").content.decode()
    assert followers_shown(html) == "0 followers"
    assert "Log in to follow" in html
    assert "/following/alice/" not in html
    assert reader.get("/following/").status_code == 302


def test_an_unconfirmed_account_cannot_follow(alice):
    newcomer = User.objects.create_user("newt", "newt@example.org", "pw-123456789")
    newcomer.email_verified = False
    newcomer.save()
    assert signed_in(newcomer).post("/following/alice/", {"action": "follow"}).status_code == 403
    assert not Follow.objects.exists()


def test_following_needs_a_csrf_token(alice, bob):
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT, enforce_csrf_checks=True)
    client.force_login(bob)
    assert client.post("/following/alice/", {"action": "follow"}).status_code == 403
    assert not Follow.objects.exists()
