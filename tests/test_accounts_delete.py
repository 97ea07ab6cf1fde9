"""Alice leaves: her stories stay on the site under orphan_account, or go, as she chooses;
books she wrote with bob stay with him either way."""

import pytest
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.accounts.services import ORPHAN_ACCOUNT, account_delete
from storyhouse.stories import services
from storyhouse.stories.models import Authorship, Change, Series, Story
from tests.helpers import write_book

pytestmark = pytest.mark.django_db

ALICE_PASSWORD = "alice-password-1"  # tests/conftest.py


@pytest.fixture
def as_alice(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def books(alice, bob) -> dict[str, Story]:
    own = write_book(alice, "The Lighthouse", 2)
    shared = write_book(alice, "Two Keepers", 1)
    services.story_save(shared, authors=[alice, bob])
    bobs = write_book(bob, "Bob's Harbour", 1)
    return {"own": own, "shared": shared, "bobs": bobs}


def text(response) -> str:
    return response.content.decode()


def authors_of(story: Story) -> list[str]:
    return list(story.authorship_set.order_by("position").values_list("user__username", flat=True))


def delete(client: Client, stories: str, password: str = ALICE_PASSWORD):
    return client.post("/accounts/delete/", {"stories": stories, "password": password}, follow=True)


def test_the_page_says_what_happens_to_her_books(as_alice, books):
    page = text(as_alice.get("/accounts/delete/"))
    assert "You wrote 1 book on your own." in page
    assert "1 more you wrote with others stays with them." in page
    assert "under the shared account “orphan_account”" in page


def test_alice_leaves_and_keeps_her_stories_for_their_readers(as_alice, books, reader):
    own, shared = books["own"], books["shared"]

    done = delete(as_alice, "keep")

    assert done.redirect_chain == [("/", 302)]
    assert "Your account is deleted." in text(done)
    assert '<a href="/accounts/login/">Log in</a>' in text(done)  # logged out
    assert not User.objects.filter(username="alice").exists()
    assert authors_of(own) == [ORPHAN_ACCOUNT]
    assert authors_of(shared) == ["bob"]
    # Readers still find and read the book, now by orphan_account.
    book = text(reader.get(own.get_absolute_url()))
    assert 'rel="author">orphan_account</a>' in book
    assert reader.get(own.parts.first().get_absolute_url()).status_code == 200
    assert "The Lighthouse" in text(reader.get("/authors/orphan_account/"))
    assert "Two Keepers" in text(reader.get("/authors/bob/"))
    assert reader.get("/authors/alice/").status_code == 404
    # Search and caches hear of the new bylines.
    changed = set(Change.objects.filter(kind=Change.Kind.STORY).values_list("object_id", flat=True))
    assert {own.pk, shared.pk} <= changed


def test_nobody_can_log_in_as_the_orphan_account(as_alice, books):
    delete(as_alice, "keep")
    orphan = User.objects.get(username=ORPHAN_ACCOUNT)
    assert not orphan.has_usable_password()


def test_alice_leaves_and_takes_her_stories_with_her(as_alice, books, reader):
    own, shared, bobs = books["own"], books["shared"], books["bobs"]
    own_part = own.parts.first().get_absolute_url()

    delete(as_alice, "remove")

    assert not User.objects.filter(username="alice").exists()
    assert reader.get(own.get_absolute_url()).status_code == 404
    assert reader.get(own_part).status_code == 404
    assert not Story.objects.filter(pk=own.pk).exists()
    # The book she wrote with bob stays, his alone now; his own is untouched.
    assert authors_of(shared) == ["bob"]
    assert reader.get(shared.get_absolute_url()).status_code == 200
    assert authors_of(bobs) == ["bob"]
    assert not User.objects.filter(username=ORPHAN_ACCOUNT).exists()


def test_the_series_she_made_follow_her_choice(alice, books):
    series = services.series_save(Series(title="Sea Stories", owner=alice))
    account_delete(alice, keep_stories=True)
    assert Series.objects.get(pk=series.pk).owner.username == ORPHAN_ACCOUNT


def test_a_book_she_was_only_invited_to_stays_with_its_writer(bob, alice):
    harbour = write_book(bob, "Bob's Harbour", 1)
    Authorship.objects.create(story=harbour, user=alice, position=1, accepted=False)

    account_delete(alice, keep_stories=False)

    assert Story.objects.filter(pk=harbour.pk).exists()
    assert authors_of(harbour) == ["bob"]


def test_a_wrong_password_or_no_choice_deletes_nothing(as_alice, books):
    wrong = delete(as_alice, "remove", password="guess")
    assert "That is not your current password." in text(wrong)
    no_choice = as_alice.post("/accounts/delete/", {"password": "alice-password-1"})
    assert "This field is required." in text(no_choice)
    assert User.objects.filter(username="alice").exists()
    assert Story.objects.count() == 3


def test_staff_deleting_an_account_in_the_admin_keep_its_stories(alice, books):
    carol = User.objects.create_superuser("carol", "carol@example.org", "carol-password-1")
    admin = Client()
    admin.force_login(carol)

    response = admin.post(f"/admin/accounts/user/{alice.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(username="alice").exists()
    assert authors_of(books["own"]) == [ORPHAN_ACCOUNT]
    assert authors_of(books["shared"]) == ["bob"]


def test_the_orphan_account_itself_cannot_be_deleted(alice, books):
    account_delete(alice, keep_stories=True)
    with pytest.raises(ValueError, match="stays"):
        account_delete(User.objects.get(username=ORPHAN_ACCOUNT), keep_stories=False)
    assert Story.objects.filter(pk=books["own"].pk).exists()
