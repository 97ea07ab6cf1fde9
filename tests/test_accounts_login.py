"""Logging in and out, slowing down password guessing, and choosing a new password by email."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

from storyhouse.accounts import throttle
from storyhouse.accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved by hand: clock.now += 5."""

    class Clock:
        now = 1_000_000.0

    monkeypatch.setattr(throttle, "now", lambda: Clock.now)
    return Clock


def text(response) -> str:
    return response.content.decode()


def log_in(client: Client, username: str, password: str, **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def signed_in_as(client: Client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).username if user_id else None


def test_a_guest_sees_log_in_and_sign_up_in_the_navigation(client):
    html = text(client.get("/"))
    nav = html[html.index('<nav class="site-nav"') : html.index("</nav>")]
    assert '<a href="/accounts/login/">Log in</a>' in nav
    assert '<a href="/accounts/signup/">Sign up</a>' in nav
    assert "Log out" not in nav


def test_bob_logs_in_with_his_username_and_out_again(client, bob):
    page = text(client.get("/accounts/login/"))
    assert '<label for="id_username">Username or email address:</label>' in page

    response = log_in(client, "bob", "bob-password-1")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_as(client) == "bob"
    nav = text(client.get("/"))
    assert '<a class="account-nav__name" href="/accounts/settings/"' in nav
    assert '<form class="account-nav__logout" method="post" action="/accounts/logout/">' in nav

    assert client.get("/accounts/logout/").status_code == 405  # only a form logs out
    assert signed_in_as(client) == "bob"
    out = client.post("/accounts/logout/")
    assert out["Location"] == "/"
    assert signed_in_as(client) is None


def test_alice_logs_in_with_her_email_address_in_any_case_and_lands_where_she_was(client, alice):
    response = log_in(
        client, "ALICE@example.org", "alice-password-1", QUERY_STRING="next=/tags/slow-burn/"
    )
    assert response["Location"] == "/tags/slow-burn/"
    assert signed_in_as(client) == "alice"
    client.post("/accounts/logout/")
    log_in(client, "Alice", "alice-password-1")
    assert signed_in_as(client) == "alice"


def test_a_wrong_password_says_so_and_signs_no_one_in(client, bob):
    response = log_in(client, "bob", "not-his-password")
    assert response.status_code == 200
    assert "That username or email address and password do not match." in text(response)
    assert signed_in_as(client) is None


def test_a_deactivated_account_cannot_log_in(client, bob):
    bob.is_active = False
    bob.save()
    log_in(client, "bob", "bob-password-1")
    assert signed_in_as(client) is None


def test_pages_for_members_send_guests_to_our_login_page(client):
    for address in ["/accounts/settings/", "/accounts/preferences/", "/accounts/delete/"]:
        response = client.get(address)
        assert response["Location"] == f"/accounts/login/?next={address}"


# Slowing down guessing


def test_after_five_failures_from_one_address_each_try_waits_longer(client, bob, clock):
    for _attempt in range(5):
        assert log_in(client, "bob", "guess").status_code == 200

    # Even the right password waits now: the page says how long, plainly.
    refused = log_in(client, "bob", "bob-password-1")
    assert refused.status_code == 429
    assert "Too many failed attempts. Please wait 1 second and try again." in text(refused)
    assert signed_in_as(client) is None

    clock.now += 1
    log_in(client, "bob", "another guess")
    refused = log_in(client, "bob", "bob-password-1")
    assert "Please wait 2 seconds and try again." in text(refused)
    clock.now += 2
    log_in(client, "bob", "a third guess")
    assert "Please wait 4 seconds" in text(log_in(client, "bob", "bob-password-1"))

    # The wait is over: the right password works, and clears the count.
    clock.now += 4
    assert log_in(client, "bob", "bob-password-1").status_code == 302
    assert signed_in_as(client) == "bob"
    client.post("/accounts/logout/")
    for _attempt in range(5):
        assert log_in(client, "bob", "guess").status_code == 200


def test_the_wait_grows_but_stops_at_the_limit(client, bob, clock, settings):
    settings.LOGIN_MAX_WAIT = 60
    for _attempt in range(12):
        log_in(client, "bob", "guess")
        clock.now += 3600
    clock.now -= 3600
    assert "Please wait 60 seconds" in text(log_in(client, "bob", "bob-password-1"))


def test_the_address_is_slowed_down_whichever_username_it_tries(client, alice, bob, clock):
    for name in ["alice", "bob", "carol", "dave", "erin"]:
        log_in(client, name, "guess", REMOTE_ADDR="203.0.113.9")
    refused = log_in(client, "alice", "alice-password-1", REMOTE_ADDR="203.0.113.9")
    assert refused.status_code == 429
    # Someone else, elsewhere, is not slowed down.
    assert (
        log_in(Client(), "alice", "alice-password-1", REMOTE_ADDR="198.51.100.4").status_code == 302
    )


def test_a_username_is_slowed_down_whichever_address_tries_it(bob, clock):
    for number in range(5):
        log_in(Client(), "BOB", "guess", REMOTE_ADDR=f"203.0.113.{number}")
    refused = log_in(Client(), "bob", "bob-password-1", REMOTE_ADDR="198.51.100.4")
    assert refused.status_code == 429
    assert "Please wait 1 second" in text(refused)


def test_switching_between_username_and_email_address_gives_no_extra_tries(bob, clock):
    for number in range(5):
        login = "bob" if number % 2 else "Bob@Example.org"
        log_in(Client(), login, "guess", REMOTE_ADDR=f"203.0.113.{number}")
    refused = log_in(Client(), "bob@example.org", "bob-password-1", REMOTE_ADDR="198.51.100.4")
    assert refused.status_code == 429


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(client, bob, clock, settings):
    settings.PROXY_COUNT = 1
    proxied = {"REMOTE_ADDR": "127.0.0.1"}
    for _attempt in range(5):
        log_in(client, "bob", "guess", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxied)
    assert (
        log_in(client, "carol", "x", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxied).status_code
        == 429
    )
    # Another reader behind the same proxy is not slowed down, even if they claim to be
    # the guesser further left in the header.
    other = log_in(
        Client(), "dave", "x", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.4", **proxied
    )
    assert other.status_code == 200


def test_addresses_are_kept_nowhere_readable(client, bob, clock):
    for _attempt in range(6):
        log_in(client, "bob", "guess", REMOTE_ADDR="203.0.113.77")
    kept = repr(cache._cache)  # the local-memory cache the tests use
    assert "login-failures:" in kept
    assert "203.0.113.77" not in kept
    assert "bob" not in kept


# Choosing a new password


def test_bob_forgot_his_password_and_chooses_a_new_one_by_email(client, bob):
    page = client.post("/accounts/password-reset/", {"email": "BOB@example.org"}, follow=True)
    assert "Check your email" in text(page)
    (message,) = mail.outbox
    assert message.to == ["bob@example.org"]
    assert message.subject == "Choose a new password for Storyhouse"
    link = re.search(r"http://testserver(/accounts/password-reset/\S+)", message.body).group(1)

    form = client.get(link, follow=True)
    assert "Choose a new password" in text(form)
    set_password_url = form.redirect_chain[-1][0]
    done = client.post(
        set_password_url,
        {"new_password1": "the ferry at dawn", "new_password2": "the ferry at dawn"},
        follow=True,
    )
    assert "Your password is changed" in text(done)

    assert log_in(Client(), "bob", "bob-password-1").status_code == 200
    fresh = Client()
    log_in(fresh, "bob", "the ferry at dawn")
    assert signed_in_as(fresh) == "bob"
    # The link worked once.
    assert "This link does not work" in text(client.get(link, follow=True))


def test_a_reset_link_proves_the_address_so_it_counts_as_confirmed(client, bob):
    bob.email_verified = False
    bob.save()
    client.post("/accounts/password-reset/", {"email": "bob@example.org"})
    link = re.search(r"http://testserver(/\S+)", mail.outbox[0].body).group(1)
    url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(url, {"new_password1": "the ferry at dawn", "new_password2": "the ferry at dawn"})
    bob.refresh_from_db()
    assert bob.email_verified


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, bob):
    page = client.post("/accounts/password-reset/", {"email": "nobody@example.org"}, follow=True)
    assert "If an account uses that address" in text(page)
    assert mail.outbox == []


def test_bob_changes_his_password(client, bob):
    client.force_login(bob)
    wrong = client.post(
        "/accounts/password/",
        {
            "old_password": "not-it",
            "new_password1": "the ferry at dawn",
            "new_password2": "the ferry at dawn",
        },
    )
    assert "Your old password was entered incorrectly." in text(wrong)

    done = client.post(
        "/accounts/password/",
        {
            "old_password": "bob-password-1",
            "new_password1": "the ferry at dawn",
            "new_password2": "the ferry at dawn",
        },
        follow=True,
    )
    assert done.redirect_chain == [("/accounts/settings/", 302)]
    assert "Your password is changed." in text(done)
    assert signed_in_as(client) == "bob"  # still signed in here
    bob.refresh_from_db()
    assert bob.check_password("the ferry at dawn")


# Forms without a CSRF token


@pytest.mark.parametrize(
    "address",
    [
        "/accounts/signup/",
        "/accounts/login/",
        "/accounts/logout/",
        "/accounts/verify/",
        "/accounts/settings/",
        "/accounts/settings/email/",
        "/accounts/password/",
        "/accounts/password-reset/",
        "/accounts/preferences/",
        "/accounts/delete/",
    ],
)
def test_forms_without_a_csrf_token_are_refused(bob, address):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(bob)
    response = browser.post(
        address, {"password": "bob-password-1", "stories": "remove", "display_name": "Mallory"}
    )
    assert response.status_code == 403
    bob.refresh_from_db()
    assert bob.display_name == ""
    assert User.objects.filter(username="bob").exists()


def test_reset_links_to_one_address_stop_after_a_few_an_hour(client, bob, settings):
    settings.PASSWORD_RESETS_PER_HOUR = 2
    for _ in range(2):
        page = client.post("/accounts/password-reset/", {"email": "bob@example.org"}, follow=True)
        assert "Check your email" in text(page)
    refused = client.post("/accounts/password-reset/", {"email": "BOB@example.org"})
    assert refused.status_code == 429
    assert "try again later" in text(refused)
    assert len(mail.outbox) == 2
    # Nor can someone else fill bob's inbox from another address.
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert other.post("/accounts/password-reset/", {"email": "bob@example.org"}).status_code == 429
    assert len(mail.outbox) == 2


def test_one_address_cannot_send_reset_links_to_everyone(client, settings):
    settings.PASSWORD_RESETS_PER_HOUR = 1
    for n in range(4):
        User.objects.create_user(f"reader{n}", f"reader{n}@example.org", "pw-123456789")
        client.post("/accounts/password-reset/", {"email": f"reader{n}@example.org"})
    User.objects.create_user("reader9", "reader9@example.org", "pw-123456789")
    refused = client.post("/accounts/password-reset/", {"email": "reader9@example.org"})
    assert refused.status_code == 429
    assert len(mail.outbox) == 4
