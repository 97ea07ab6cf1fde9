"""Co-authors: Alice invites Bob to her book. He appears on its byline and can work on it only
once he accepts; until then, and if he declines, he sees nothing of it but the invitation."""

import re

import pytest
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.stories import access, covers, services
from storyhouse.stories.models import Authorship, Part, PartState, Story, Tag, Visibility
from storyhouse.stories.signals import coauthor_invited
from tests.helpers import BROWSER_AGENT

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def signed_in(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(user)
    return client


@pytest.fixture
def book(alice) -> Story:
    story = services.story_edit(
        Story(title="The Lighthouse", visibility=Visibility.PUBLIC),
        editor=alice,
        description_source="",
        tags={"warning": [Tag.objects.get(name="No Archive Warnings Apply")]},
    )
    for title, state in [("Arrival", PartState.PUBLISHED), ("Unfinished", PartState.DRAFT)]:
        services.part_write(
            Part(story=story),
            editor=alice,
            text=services.PartText(title=title, body=f"{title} words."),
            state=state,
        )
    return story


def byline(html: str) -> list[str]:
    line = re.search(r'<p class="byline">by (.*?)</p>', html, re.S).group(1)
    return re.findall(r'rel="author">([^<]+)</a>', line)


def invite(alice: User | Client, book: Story, username: str):
    client = alice if isinstance(alice, Client) else signed_in(alice)
    return client.post(f"/desk/stories/{book.pk}/coauthors/", {"username": username})


def test_an_invitation_waits_on_the_invitees_desk_and_changes_nothing_yet(alice, bob, book):
    alices = signed_in(alice)
    response = invite(alices, book, "@BOB")
    assert response.status_code == 302
    invitation = Authorship.objects.get(story=book, user=bob)
    assert (invitation.accepted, invitation.invited_by) == (False, alice)

    desk = alices.get(f"/desk/stories/{book.pk}/").content.decode()
    assert "bob is invited. They join the byline once they accept." in desk
    assert re.search(r'data-author="bob">.*?<span class="badge">invited</span>', desk, re.S)

    bobs = signed_in(bob)
    assert (
        "Alice Liddell invited you to write “The Lighthouse” with them."
        in bobs.get("/desk/").content.decode()
    )
    assert byline(bobs.get(book.get_absolute_url()).content.decode()) == ["Alice Liddell"]
    assert not access.is_author(bob, book)
    draft = book.parts.get(title="Unfinished")
    assert bobs.get(draft.get_absolute_url()).status_code == 404
    assert ">The Lighthouse</a>" not in bobs.get("/authors/bob/").content.decode()


def test_once_bob_accepts_he_is_an_author_everywhere(alice, bob, book, reader):
    invite(alice, book, "bob")
    invitation = Authorship.objects.get(story=book, user=bob)
    bobs = signed_in(bob)

    response = bobs.post(f"/desk/invitations/{invitation.pk}/accept/")

    assert response["Location"] == f"/desk/stories/{book.pk}/"
    assert access.is_author(bob, book)
    assert byline(reader.get(book.get_absolute_url()).content.decode()) == ["Alice Liddell", "bob"]
    card = reader.get("/").content.decode()
    assert re.search(r'by <a href="/authors/alice/" rel="author">Alice Liddell</a> and '
                     r'<a href="/authors/bob/" rel="author">bob</a>', card)  # fmt: skip
    assert ">The Lighthouse</a>" in reader.get("/authors/bob/").content.decode()
    assert ">The Lighthouse</a>" in bobs.get("/desk/").content.decode()
    assert bobs.get(book.parts.get(title="Unfinished").get_absolute_url()).status_code == 200
    assert bobs.get(f"/desk/stories/{book.pk}/edit/").status_code == 200
    # The generated cover now carries both names.
    book.refresh_from_db()
    assert book.cover_made_for == covers.cover_signature("The Lighthouse", ["Alice Liddell", "bob"])


def test_declining_leaves_bob_with_nothing(alice, bob, book):
    invite(alice, book, "bob")
    invitation = Authorship.objects.get(story=book, user=bob)
    bobs = signed_in(bob)
    response = bobs.post(f"/desk/invitations/{invitation.pk}/decline/")
    assert response["Location"] == "/desk/"
    assert not Authorship.objects.filter(story=book, user=bob).exists()
    assert "The Lighthouse" not in bobs.get("/desk/").content.decode()
    assert bobs.post(f"/desk/invitations/{invitation.pk}/accept/").status_code == 404


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("nobody", "There is no account with that username."),
        ("alice", "Alice Liddell already writes this book."),
    ],
)
def test_invitations_to_nobody_or_to_an_author_are_refused(alice, book, username, message):
    response = invite(alice, book, username)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_inviting_twice_is_refused_and_an_invitation_can_be_withdrawn(alice, bob, book):
    invite(alice, book, "bob")
    response = invite(alice, book, "bob")
    assert "bob is already invited." in response.content.decode()
    invitation = Authorship.objects.get(story=book, user=bob)
    signed_in(alice).post(f"/desk/stories/{book.pk}/coauthors/{invitation.pk}/remove/")
    assert not Authorship.objects.filter(story=book, user=bob).exists()


def test_a_co_author_may_leave_but_a_book_keeps_one_author(alice, bob, book):
    invite(alice, book, "bob")
    services.coauthor_accept(Authorship.objects.get(story=book, user=bob))
    bobs_authorship = Authorship.objects.get(story=book, user=bob)
    response = signed_in(bob).post(
        f"/desk/stories/{book.pk}/coauthors/{bobs_authorship.pk}/remove/"
    )
    assert response["Location"] == "/desk/"
    assert not access.is_author(bob, book)

    hers = Authorship.objects.get(story=book, user=alice)
    alices = signed_in(alice)
    response = alices.post(f"/desk/stories/{book.pk}/coauthors/{hers.pk}/remove/")
    assert response.status_code == 302
    assert access.is_author(alice, book)
    page = alices.get(response["Location"]).content.decode()
    assert "A book needs an author" in page


def test_the_site_is_told_about_an_invitation_once_it_is_made(
    alice, bob, book, django_capture_on_commit_callbacks
):
    told = []

    def receiver(sender, authorship, **kwargs):
        told.append((authorship.user.username, authorship.accepted))

    coauthor_invited.connect(receiver, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            invite(alice, book, "bob")
    finally:
        coauthor_invited.disconnect(receiver)
    assert told == [("bob", False)]


def test_the_services_name_authors_as_accepted(alice, bob):
    """Books made by importers and commands name their authors outright."""
    story = services.story_save(Story(title="Imported"), authors=[alice, bob])
    assert [a.accepted for a in story.authorship_set.all()] == [True, True]
    assert story.byline_authors == [alice, bob]
