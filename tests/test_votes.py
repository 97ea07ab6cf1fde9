"""Votes: one per reader per part, toggled in place (htmx) or with a plain form; the counts on
the part and its book stay exact."""

import re

import pytest
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.engagement import services
from storyhouse.engagement.models import Vote
from storyhouse.stories import services as story_services
from storyhouse.stories.models import Part, PartState, Story, Visibility
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def signed_in(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(user)
    return client


def votes_of(part: Part) -> tuple[int, int]:
    """(votes of the part, votes of its book) as the database counts them."""
    part.refresh_from_db()
    return part.votes_count, Story.objects.get(pk=part.story_id).votes_count


@pytest.fixture
def part(alice) -> Part:
    return write_book(alice, "The Lighthouse", 2).parts.first()


def vote_url(part: Part) -> str:
    return f"/parts/{part.pk}/vote/"


def test_a_reader_votes_in_place_and_the_button_shows_the_new_count(part, bob):
    response = signed_in(bob).post(vote_url(part), {"voted": "true"}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<form class="vote"')  # only the button, for htmx to swap
    assert 'aria-pressed="true"' in html
    assert "1 vote" in html
    assert '<input type="hidden" name="voted" value="false">' in html  # pressing again unvotes
    assert votes_of(part) == (1, 1)


def test_voting_again_takes_the_vote_back(part, bob):
    bob_client = signed_in(bob)
    bob_client.post(vote_url(part), {"voted": "true"}, **HTMX)

    html = bob_client.post(vote_url(part), {"voted": "false"}, **HTMX).content.decode()

    assert 'aria-pressed="false"' in html
    assert "0 votes" in html
    assert votes_of(part) == (0, 0)
    assert not Vote.objects.exists()


def test_a_double_click_counts_once(part, bob):
    bob_client = signed_in(bob)
    for _ in range(3):
        bob_client.post(vote_url(part), {"voted": "true"}, **HTMX)
    assert votes_of(part) == (1, 1)
    assert Vote.objects.filter(user=bob).count() == 1


def test_without_javascript_the_plain_form_votes_and_comes_back_to_the_part(part, bob):
    bob_client = signed_in(bob)
    page = bob_client.get(part.get_absolute_url()).content.decode()
    form = re.search(r'<form class="vote" method="post" action="([^"]+)"', page)
    assert form and form.group(1) == vote_url(part)

    response = bob_client.post(vote_url(part), {"voted": "true"})

    assert response.status_code == 302
    assert response["Location"] == part.get_absolute_url()
    page = bob_client.get(part.get_absolute_url()).content.decode()
    assert 'aria-pressed="true"' in page
    assert "Thank you for your vote." in page


def test_votes_of_many_readers_add_up_on_the_part_and_the_book(part, bob):
    other_part = part.story.parts.last()
    readers = [bob] + [
        User.objects.create_user(f"reader{n}", f"r{n}@example.org", "pw-123456789")
        for n in range(3)
    ]
    for reader in readers:
        services.vote_toggle(user=reader, part=part, voted=True)
    services.vote_toggle(user=bob, part=other_part, voted=True)
    services.vote_toggle(user=readers[1], part=part, voted=False)

    assert votes_of(part) == (3, 4)
    assert votes_of(other_part) == (1, 4)
    # The book's count is the sum of its parts', however it is recomputed.
    story_services.story_refresh(part.story)
    assert votes_of(part) == (3, 4)


def test_a_vote_cast_while_the_writer_edits_the_part_stays_counted(part, alice, bob):
    """Alice opened the part in her editor before Bob voted: her save keeps his vote."""
    in_her_editor = Part.objects.get(pk=part.pk)
    services.vote_toggle(user=bob, part=part, voted=True)
    story_services.part_write(
        in_her_editor,
        editor=alice,
        text=story_services.PartText(title="Chapter 1, revised", body="The fog lifted."),
    )
    assert votes_of(part) == (1, 1)
    assert in_her_editor.votes_count == 1
    # Taking the vote back leaves nothing behind (before, the count went below zero: a 500).
    services.vote_toggle(user=bob, part=part, voted=False)
    assert votes_of(part) == (0, 0)


def test_the_part_page_shows_imported_and_earned_votes_together(part, bob):
    part.imported_votes = 40
    story_services.part_save(part)
    services.vote_toggle(user=bob, part=part, voted=True)

    html = signed_in(bob).get(part.get_absolute_url()).content.decode()

    assert '<span class="vote__count" data-vote-count>41 votes</span>' in html


def test_a_guest_sees_the_count_and_a_way_to_log_in_not_a_form(part, reader):
    services.vote_toggle(
        user=User.objects.create_user("eve", "e@example.org", "pw-1234567"), part=part, voted=True
    )

    html = reader.get(part.get_absolute_url()).content.decode()

    assert '<form class="vote"' not in html
    assert "1 vote" in html
    assert re.search(r'<a href="/accounts/login/\?next=[^"]+">Log in to vote</a>', html)


def test_a_guest_cannot_vote(part, reader):
    response = reader.post(vote_url(part), {"voted": "true"})
    assert response.status_code in (302, 403)
    assert votes_of(part) == (0, 0)


def test_an_account_whose_email_is_not_confirmed_cannot_vote(part):
    newcomer = User.objects.create_user("newt", "newt@example.org", "pw-123456789")
    newcomer.email_verified = False
    newcomer.save()
    client = signed_in(newcomer)

    html = client.get(part.get_absolute_url()).content.decode()
    assert '<form class="vote"' not in html

    assert client.post(vote_url(part), {"voted": "true"}).status_code == 403
    assert votes_of(part) == (0, 0)


def test_nobody_votes_for_a_part_they_may_not_see(alice, bob):
    draft_book = write_book(alice, "Secret", 1, visibility=Visibility.DRAFT)
    part = draft_book.parts.get()
    assert signed_in(bob).post(vote_url(part), {"voted": "true"}).status_code == 404
    draft_part = story_services.part_save(
        Part(story=write_book(alice, "Open", 1), title="Soon", body="<p>Soon.</p>")
    )
    assert draft_part.state == PartState.DRAFT
    assert signed_in(bob).post(vote_url(draft_part), {"voted": "true"}).status_code == 404
    assert not Vote.objects.exists()


def test_a_deleted_account_leaves_its_votes_counted_and_anonymous(part, bob):
    services.vote_toggle(user=bob, part=part, voted=True)

    bob.delete()

    assert votes_of(part) == (1, 1)
    (vote,) = Vote.objects.all()
    assert vote.user is None


def test_votes_need_a_csrf_token(part, bob):
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT, enforce_csrf_checks=True)
    client.force_login(bob)
    assert client.post(vote_url(part), {"voted": "true"}).status_code == 403
    assert votes_of(part) == (0, 0)
