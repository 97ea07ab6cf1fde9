"""Rate limits: past a limit a person gets a 429 saying how long to wait (a friendly page, a
short message for htmx, JSON under /api/), with Retry-After; use under the limit is never
refused; people sharing an address are not held back by one another too soon; and the
counts hold no address or email that could be read back."""

import re

import pytest
from django.core.cache import cache
from django.test import Client, RequestFactory

from storyhouse import ratelimit
from storyhouse.accounts.models import User
from storyhouse.engagement.models import Comment, Vote
from storyhouse.moderation.models import Report
from storyhouse.stories.models import Part
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def signed_in(user: User, address: str = "127.0.0.1") -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT, REMOTE_ADDR=address)
    client.force_login(user)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def wait_of(response) -> int:
    seconds = int(response["Retry-After"])
    assert seconds >= 1
    return seconds


@pytest.fixture
def part(alice) -> Part:
    return write_book(alice, "The Lighthouse", 2).parts.first()


class Clock:
    """The limiter's clock, moved by hand."""

    now = 1_800_000_000.0


@pytest.fixture
def clock(monkeypatch) -> type[Clock]:
    Clock.now = 1_800_000_000.0
    monkeypatch.setattr(ratelimit, "now", lambda: Clock.now)
    return Clock


def comment(client: Client, part: Part, body: str, **extra):
    return client.post(f"/parts/{part.pk}/comments/", {"body": body}, **extra)


def vote(client: Client, part: Part, voted: str, **extra):
    return client.post(f"/parts/{part.pk}/vote/", {"voted": voted}, **extra)


def cache_keys() -> list[str]:
    """Every key in the cache: this process's (locmem), or Redis's with REDIS_URL."""
    store = cache._cache
    if isinstance(store, dict):
        return [str(key) for key in store]
    return [key.decode() for key in store.get_client().keys("*")]


# Comments


def test_comments_past_the_limit_get_a_friendly_429_that_keeps_the_text(part, bob, settings, clock):
    settings.COMMENTS_PER_MINUTE = 3
    client = signed_in(bob)
    for n in range(3):
        assert comment(client, part, f"Comment {n}").status_code == 302
    refused = comment(client, part, "One comment too many, with care")
    assert refused.status_code == 429
    assert 1 <= wait_of(refused) <= 60
    page = text(refused)
    assert "faster than we allow" in page
    assert "Please try again in" in page
    assert "One comment too many, with care</textarea>" in page  # nothing typed is lost
    assert Comment.objects.count() == 3
    # Someone else is not held back by bob.
    carol = User.objects.create_user("carol", "carol@example.org", "carol-password-1")
    assert comment(signed_in(carol, "192.0.2.8"), part, "Me too").status_code == 302
    # Once the minute is over, bob may comment again.
    clock.now += 60
    assert comment(client, part, "Back again").status_code == 302


def test_an_htmx_comment_past_the_limit_gets_a_short_message(part, bob, settings, clock):
    settings.COMMENTS_PER_MINUTE = 1
    client = signed_in(bob)
    assert comment(client, part, "First", **HTMX).status_code == 200
    refused = comment(client, part, "Second", **HTMX)
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("text/plain")
    assert refused.content.decode().startswith("You have been posting comments faster")
    wait_of(refused)


def test_a_reader_commenting_at_a_normal_pace_is_never_refused(part, bob):
    client = signed_in(bob)
    statuses = [comment(client, part, f"Chapter thought {n}").status_code for n in range(10)]
    assert statuses == [302] * 10


def test_people_sharing_an_address_each_get_their_own_allowance(part, settings, clock):
    """A class in one school shares one address: ten people may each post their limit."""
    settings.COMMENTS_PER_MINUTE = 1
    people = [
        User.objects.create_user(f"pupil{n}", f"pupil{n}@example.org", "pupil-password-1")
        for n in range(11)
    ]
    for person in people[:10]:
        assert comment(signed_in(person, "198.51.100.3"), part, "Hello").status_code == 302
    refused = comment(signed_in(people[10], "198.51.100.3"), part, "Hello")
    assert refused.status_code == 429
    assert comment(signed_in(people[10], "198.51.100.4"), part, "Hello").status_code == 302


# Votes


def test_votes_past_the_limit_get_the_friendly_page(part, bob, settings, clock):
    settings.VOTES_PER_MINUTE = 4
    client = signed_in(bob)
    for n in range(4):
        assert vote(client, part, "true" if n % 2 == 0 else "false").status_code == 302
    refused = vote(client, part, "true")
    assert refused.status_code == 429
    wait_of(refused)
    page = text(refused)
    assert "<h1>A moment, please</h1>" in page
    assert "You have been voting faster than we allow" in page
    assert not Vote.objects.exists()  # the refused vote was not taken

    htmx = vote(client, part, "true", **HTMX)
    assert htmx.status_code == 429
    assert htmx["Content-Type"].startswith("text/plain")
    assert "voting faster than we allow" in htmx.content.decode()


def test_a_reader_voting_through_a_book_is_never_refused(alice, bob):
    """Sixty votes in a minute (the default) is more than anyone reading votes."""
    parts = list(write_book(alice, "The Long Book", 40).parts.all())
    client = signed_in(bob)
    assert {vote(client, part, "true", **HTMX).status_code for part in parts} == {200}
    assert Vote.objects.count() == 40


# Signing in and up


def test_sign_ins_past_the_limit_wait_without_trying_the_password(bob, settings, clock):
    settings.SIGNINS_PER_MINUTE = 3
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        response = client.post("/accounts/login/", {"username": "bob", "password": "wrong"})
        assert response.status_code == 200
    refused = client.post("/accounts/login/", {"username": "bob", "password": "bob-password-1"})
    assert refused.status_code == 429
    wait_of(refused)
    page = text(refused)
    assert "You have been signing in faster than we allow" in page
    assert 'value="bob"' in page  # the name stays filled in
    assert "_auth_user_id" not in client.session
    # From another address, bob signs in.
    other = Client(REMOTE_ADDR="203.0.113.10")
    assert (
        other.post(
            "/accounts/login/", {"username": "bob", "password": "bob-password-1"}
        ).status_code
        == 302
    )


def test_signing_in_normally_is_never_refused(bob):
    for _ in range(20):
        answer = Client().post(
            "/accounts/login/", {"username": "bob", "password": "bob-password-1"}
        )
        assert answer.status_code == 302


def test_a_refused_sign_up_says_when_to_come_back(settings):
    settings.SIGNUPS_PER_HOUR = 1
    data = {"password1": "a-long-password-9", "password2": "a-long-password-9"}
    first = Client().post(
        "/accounts/signup/", {"username": "dora", "email": "dora@example.org", **data}
    )
    assert first.status_code == 302
    refused = Client().post(
        "/accounts/signup/", {"username": "eve", "email": "eve@example.org", **data}
    )
    assert refused.status_code == 429
    assert 1 <= wait_of(refused) <= 3600
    assert not User.objects.filter(username="eve").exists()


# The API and the mechanism itself


def test_an_api_refusal_is_json_with_retry_after(settings, reader):
    settings.API_READS_PER_MINUTE = 1
    assert reader.get("/api/tags/").status_code == 200
    refused = reader.get("/api/tags/")
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("application/json")
    assert refused.json()["message"].startswith("Too many requests: wait ")
    wait_of(refused)


def test_reports_past_the_limit_get_the_friendly_page(alice, bob, settings, clock):
    settings.REPORTS_PER_HOUR = 2
    story = write_book(alice, "The Lighthouse", 3)
    client = signed_in(bob)
    for part in story.parts.all()[:2]:
        sent = client.post(f"/report/part/{part.pk}/", {"reason": "spam"})
        assert sent.status_code == 302
    last = story.parts.all()[2]
    refused = client.post(f"/report/part/{last.pk}/", {"reason": "spam"})
    assert refused.status_code == 429
    assert 1 <= wait_of(refused) <= 3600
    assert "You have been sending reports faster than we allow" in text(refused)
    assert Report.objects.count() == 2
    clock.now += 3600
    assert client.post(f"/report/part/{last.pk}/", {"reason": "spam"}).status_code == 302


def test_the_limiter_answers_any_view_with_one_line(bob, settings, clock):
    """A limit is one `check` call in a view; the 429 page is made from what it raises."""
    settings.REPORTS_PER_HOUR = 2
    request = RequestFactory().post("/report/", REMOTE_ADDR="192.0.2.44")
    request.user = bob
    ratelimit.check(request, "report")
    ratelimit.check(request, "report")
    with pytest.raises(ratelimit.RateLimited) as refused:
        ratelimit.check(request, "report")
    assert 1 <= refused.value.wait <= 3600
    response = ratelimit.refused(request, refused.value)
    assert response.status_code == 429
    assert response["Retry-After"] == str(refused.value.wait)
    assert "You have been sending reports faster than we allow" in text(response)
    clock.now += 3600
    ratelimit.check(request, "report")


def test_the_counts_hold_no_address_nor_email(bob, client, settings):
    client.post("/accounts/password-reset/", {"email": "bob@example.org"}, REMOTE_ADDR="192.0.2.77")
    comment_request = RequestFactory().post("/", REMOTE_ADDR="192.0.2.77")
    comment_request.user = bob
    ratelimit.check(comment_request, "comment")
    keys = " ".join(cache_keys())
    assert "rate:" in keys
    assert "192.0.2.77" not in keys
    assert "bob@example.org" not in keys
    assert f"user:{bob.pk}" not in keys
