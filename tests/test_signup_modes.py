"""Who may make an account (STORYHOUSE_SIGNUP): anyone (open), people a moderator lets in
from a queue of email addresses (invite), or nobody (closed); and the sign-up form's field
for robots, which people never see."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from storyhouse.accounts.models import User
from storyhouse.community.models import SignupRequest
from storyhouse.moderation import services as moderation
from storyhouse.moderation.roles import Role, grant

pytestmark = pytest.mark.django_db

PASSWORD = "a lighthouse in the fog"


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def sign_up(client: Client, address: str = "/accounts/signup/", **fields: str):
    data = {
        "username": "carol",
        "email": "carol@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **fields,
    }
    return client.post(address, data)


def link_in(message: mail.EmailMessage) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def make_moderator(username: str) -> User:
    person = User.objects.create_user(username, f"{username}@example.org", "mod-password-1")
    grant(person, Role.MODERATOR)
    return person


@pytest.fixture
def moderator(db) -> User:
    return make_moderator("mo")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Open (the default) and the honeypot


def test_open_sign_up_shows_the_form_with_a_field_people_never_see(client):
    page = text(client.get("/accounts/signup/"))
    assert "<h1>Sign up</h1>" in page
    assert re.search(
        r'<div class="honeypot"><label for="id_website">Leave this empty</label>'
        r'<input type="text" name="website" autocomplete="off" tabindex="-1"',
        page,
    )
    assert sign_up(client).status_code == 302
    assert User.objects.filter(username="carol").exists()


def test_a_robot_filling_the_hidden_field_is_refused_quietly(client):
    response = sign_up(client, website="http://cheap-pills.example")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not User.objects.exists()
    assert mail.outbox == []
    assert "_auth_user_id" not in client.session


# Closed


def test_closed_sign_ups_say_so_and_make_no_account(client, settings):
    settings.STORYHOUSE_SIGNUP = "closed"
    page = client.get("/accounts/signup/")
    assert page.status_code == 200
    assert "<h1>Sign-ups are closed</h1>" in text(page)
    assert 'name="password1"' not in text(page)
    assert sign_up(client).status_code == 403
    assert not User.objects.exists()
    # The login page still works for people who have accounts.
    assert client.get("/accounts/login/").status_code == 200


# By invitation


def test_invite_mode_takes_an_address_into_the_queue(client, settings):
    settings.STORYHOUSE_SIGNUP = "invite"
    page = text(client.get("/accounts/signup/"))
    assert "<h1>Ask to join</h1>" in page
    assert 'name="password1"' not in page
    answer = client.post("/accounts/signup/", {"email": "Carol@Example.org"})
    assert answer.status_code == 200
    assert "You are on the list" in text(answer)
    # Asking again, in other capitals, changes nothing and says the same.
    again = client.post("/accounts/signup/", {"email": "carol@example.ORG"})
    assert "You are on the list" in text(again)
    assert list(SignupRequest.objects.values_list("email", "state")) == [
        ("Carol@example.org", "waiting")
    ]
    # Sending a whole sign-up form makes no account either.
    sign_up(client, email="dora@example.org")
    assert not User.objects.exists()
    assert mail.outbox == []


def test_invite_mode_refuses_a_bad_address_and_robots(client, settings):
    settings.STORYHOUSE_SIGNUP = "invite"
    bad = client.post("/accounts/signup/", {"email": "not an address"})
    assert bad.status_code == 200
    assert "Enter a valid email address." in text(bad)
    robot = client.post("/accounts/signup/", {"email": "bot@example.org", "website": "x"})
    assert "You are on the list" in text(robot)
    assert not SignupRequest.objects.exists()


def test_asking_to_join_is_rate_limited_per_address(settings):
    settings.STORYHOUSE_SIGNUP = "invite"
    settings.SIGNUP_REQUESTS_PER_HOUR = 2
    client = Client(REMOTE_ADDR="192.0.2.20")
    for n in range(2):
        assert "You are on the list" in text(
            client.post("/accounts/signup/", {"email": f"p{n}@example.org"})
        )
    refused = client.post("/accounts/signup/", {"email": "p9@example.org"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "faster than we allow" in text(refused)
    assert SignupRequest.objects.count() == 2


def test_a_moderator_releases_an_address_and_the_link_makes_one_account(
    client, moderator, settings
):
    settings.STORYHOUSE_SIGNUP = "invite"
    client.post("/accounts/signup/", {"email": "carol@example.org"})
    client.post("/accounts/signup/", {"email": "dora@example.org"})
    mo = signed_in(moderator)
    assert "People asking to join" in text(mo.get("/accounts/settings/"))
    queue = text(mo.get("/community/signups/"))
    assert "2 addresses are waiting." in queue
    carol = SignupRequest.objects.get(email="carol@example.org")
    assert "carol@example.org" in queue and "dora@example.org" in queue

    done = mo.post("/community/signups/", {"requests": [carol.pk]}, follow=True)
    assert "We sent 1 sign-up link." in text(done)
    assert "1 address is waiting." in text(done)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["carol@example.org"]
    assert mail.outbox[0].subject == "Your invitation to Storyhouse"
    link = link_in(mail.outbox[0])
    path = link.split("testserver", 1)[1]

    form = text(client.get(path))
    assert "a moderator has invited you" in form
    assert 'value="carol@example.org"' in form
    assert sign_up(client, path).status_code == 302
    carol_account = User.objects.get(username="carol")
    assert carol_account.email == "carol@example.org"
    assert len(mail.outbox) == 2  # the usual link to confirm the address
    carol.refresh_from_db()
    assert (carol.state, carol.user) == ("joined", carol_account)

    # The link works once.
    again = Client().get(path)
    assert again.status_code == 400
    assert "has been used already" in text(again)
    used = sign_up(Client(), path, username="mallory", email="mallory@example.org")
    assert used.status_code == 400
    assert not User.objects.filter(username="mallory").exists()


def test_a_taken_name_keeps_the_link_working(client, moderator, settings, bob):
    settings.STORYHOUSE_SIGNUP = "invite"
    client.post("/accounts/signup/", {"email": "carol@example.org"})
    request = SignupRequest.objects.get()
    signed_in(moderator).post("/community/signups/", {"requests": [request.pk]})
    path = link_in(mail.outbox[0]).split("testserver", 1)[1]
    taken = sign_up(client, path, username="bob")
    assert taken.status_code == 200
    assert "A user with that username already exists." in text(taken)
    assert sign_up(client, path).status_code == 302


def test_an_old_or_wrong_link_says_what_to_do(client, moderator, settings):
    settings.STORYHOUSE_SIGNUP = "invite"
    client.post("/accounts/signup/", {"email": "carol@example.org"})
    request = SignupRequest.objects.get()
    signed_in(moderator).post("/community/signups/", {"requests": [request.pk]})
    path = link_in(mail.outbox[0]).split("testserver", 1)[1]
    SignupRequest.objects.update(invited_at=timezone.now() - timedelta(days=15))
    expired = client.get(path)
    assert expired.status_code == 400
    assert "This sign-up link has expired. Ask to join again" in text(expired)
    wrong = client.get("/accounts/signup/not-a-real-token/")
    assert wrong.status_code == 400
    assert "does not work" in text(wrong)
    assert not User.objects.filter(username="carol").exists()


def test_only_moderators_see_the_queue(client, bob, settings):
    settings.STORYHOUSE_SIGNUP = "invite"
    client.post("/accounts/signup/", {"email": "carol@example.org"})
    assert client.get("/community/signups/").status_code == 302  # to the login page
    assert signed_in(bob).get("/community/signups/").status_code == 403
    staff = User.objects.create_user("sam", "sam@example.org", "sam-password-1", is_staff=True)
    assert signed_in(staff).get("/community/signups/").status_code == 403  # staff is no role
    request = SignupRequest.objects.get()
    assert signed_in(bob).post("/community/signups/", {"requests": [request.pk]}).status_code == 403
    assert mail.outbox == []
    assert "People asking to join" not in text(signed_in(bob).get("/accounts/settings/"))


def test_releasing_nothing_says_what_is_missing(moderator, settings, client):
    settings.STORYHOUSE_SIGNUP = "invite"
    client.post("/accounts/signup/", {"email": "carol@example.org"})
    refused = signed_in(moderator).post("/community/signups/", {})
    assert refused.status_code == 400
    assert "Choose at least one address to invite." in text(refused)
    assert mail.outbox == []


def test_an_invitation_link_does_nothing_when_sign_ups_are_open_or_closed(client, settings):
    assert client.get("/accounts/signup/anything/").status_code == 302
    settings.STORYHOUSE_SIGNUP = "closed"
    assert "Sign-ups are closed" in text(client.get("/accounts/signup/anything/"))


def test_two_moderators_releasing_one_address_send_one_link(moderator, settings, client):
    settings.STORYHOUSE_SIGNUP = "invite"
    client.post("/accounts/signup/", {"email": "carol@example.org"})
    request = SignupRequest.objects.get()
    other = make_moderator("mod2")
    assert (
        signed_in(other).post("/community/signups/", {"requests": [request.pk]}).status_code == 302
    )
    late = signed_in(moderator).post("/community/signups/", {"requests": [request.pk]})
    assert late.status_code == 400
    assert "Another moderator has just sent some of these invitations" in text(late)
    assert "Nobody is waiting." in text(late)
    assert len(mail.outbox) == 1


def test_a_banned_address_is_not_queued_and_nobody_is_told(client, moderator, bob, settings):
    settings.STORYHOUSE_SIGNUP = "invite"
    moderation.account_ban(moderator=moderator, person=bob, reason="Spam")
    answer = client.post("/accounts/signup/", {"email": "b.o.b+again@example.org"})
    assert "You are on the list" in text(answer)
    assert not SignupRequest.objects.exists()
