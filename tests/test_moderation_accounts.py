"""Moderators warn, suspend and ban accounts: a suspended account reads but cannot post,
vote or comment; a banned one cannot sign in, and its address cannot sign up again, however
it is spelled. Every action is in the audit log and the person is told why by email."""

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from storyhouse.accounts.models import User
from storyhouse.engagement.models import Comment, Vote
from storyhouse.moderation.models import AuditEntry, address_key
from storyhouse.moderation.roles import Role, grant
from tests.helpers import write_book

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def mod(db) -> User:
    person = User.objects.create_user("mod", "mod@example.org", "mod-password-1")
    grant(person, Role.MODERATOR)
    return person


@pytest.fixture
def part(alice):
    return write_book(alice, "The Lighthouse", ["Arrival"]).parts.get()


def act(moderator: User, person: User, **fields):
    return signed_in(moderator).post(f"/moderation/accounts/{person.username}/", fields)


def test_a_warning_is_logged_and_mailed(mod, bob):
    done = act(mod, bob, do="warn", reason="Please keep comments kind.")
    assert done.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.target, entry.reason) == (
        "warned an account",
        "account bob",
        "Please keep comments kind.",
    )
    (email,) = mail.outbox
    assert email.to == ["bob@example.org"] and "Please keep comments kind." in email.body


def test_a_suspended_reader_reads_but_cannot_vote_or_comment(mod, bob, part):
    act(mod, bob, do="suspend", days="3", reason="Cooling off.")
    bob.refresh_from_db()
    assert bob.suspended_until > timezone.now() + datetime.timedelta(days=2)
    reader = signed_in(bob)
    page = reader.get(part.get_absolute_url()).content.decode()
    assert "Arrival" in page and "Your account is suspended until" in page
    assert 'id="comment-form"' not in page
    reader.post(f"/parts/{part.pk}/vote/", {"voted": "true"})
    reader.post(f"/parts/{part.pk}/comments/", {"body": "Let me in."})
    assert not Vote.objects.exists() and not Comment.objects.exists()
    state = signed_in(mod).get("/moderation/accounts/bob/").content.decode()
    assert "Suspended until" in state
    # When the time is up, the account posts again.
    User.objects.filter(pk=bob.pk).update(suspended_until=timezone.now())
    reader.post(f"/parts/{part.pk}/vote/", {"voted": "true"})
    assert Vote.objects.filter(user=bob).exists()


def test_a_banned_account_is_signed_out_and_its_address_cannot_come_back(mod, bob, part):
    reader = signed_in(bob)
    act(mod, bob, do="ban", reason="Harassing writers.")
    page = reader.get(part.get_absolute_url()).content.decode()
    assert "Log in" in page and "Log out" not in page  # signed out, wherever they were
    login = Client().post("/accounts/login/", {"username": "bob", "password": "bob-password-1"})
    assert login.status_code == 200 and "_auth_user_id" not in Client().session
    for variant in ("B.o.b+again@Example.org", "bob+2@example.org"):
        signup = Client().post(
            "/accounts/signup/",
            {
                "username": "bob2",
                "email": variant,
                "password1": "a-fresh-password-77",
                "password2": "a-fresh-password-77",
            },
        )
        assert "This address cannot be used to sign up here." in signup.content.decode()
    assert not User.objects.filter(username="bob2").exists()
    assert address_key("B.o.b+again@Example.org") == "bob@example.org"
    assert AuditEntry.objects.get().action == "banned an account"


def test_moderators_cannot_act_on_themselves_or_each_other(mod):
    other = User.objects.create_user("other", "other@example.org", "other-password-1")
    grant(other, Role.MODERATOR)
    for person in (mod, other):
        refused = act(mod, person, do="ban", reason="Oops.")
        assert refused.status_code == 200
    assert User.objects.filter(is_active=True).count() == 2 and not AuditEntry.objects.exists()


def test_readers_and_wranglers_find_no_account_page(bob, alice):
    grant(alice, Role.WRANGLER)
    for client in (Client(), signed_in(bob), signed_in(alice)):
        assert client.get("/moderation/accounts/bob/").status_code == 404
        assert (
            client.post("/moderation/accounts/bob/", {"do": "ban", "reason": "x"}).status_code
            == 404
        )
    bob.refresh_from_db()
    assert bob.is_active
