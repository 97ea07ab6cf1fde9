"""Signed-in readers' part pages share what is the same for everyone (the part's text and
tags, its comment threads, the comment form) through fragments kept in the process; each
reader still sees only their own actions, and a change shows on the next request."""

import re

import pytest
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.engagement import services
from storyhouse.engagement.models import Comment
from storyhouse.pagecache import fragments, versions
from storyhouse.stories import services as story_services
from storyhouse.stories.models import Part, TagType
from tests.helpers import BROWSER_AGENT, write_book

# Transactional: the versions hear of a change when its transaction commits.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def kept(settings):
    """Fragments kept as `storyhouse serve` keeps them: this process follows the change log
    (polled here by hand instead of by the background thread)."""
    settings.FRAGMENT_CACHE_ENTRIES = 100
    before = versions.current
    versions.current = versions.Versions()
    versions.current.poll()
    fragments._store = fragments.FragmentStore(100)
    yield fragments._store
    versions.current = before
    fragments._store = None


@pytest.fixture
def carol(db) -> User:
    return User.objects.create_user("carol", "carol@example.org", "carol-password-1")


@pytest.fixture
def part(alice) -> Part:
    trope = story_services.tag_get_or_create("Found family", type=TagType.TROPE)
    story = write_book(alice, "The Lighthouse", 2)
    part = story.parts.order_by("position").first()
    return story_services.part_save(part, tags=[trope], edited_by=alice)


def signed_in(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(user)
    return client


def page(client: Client, part: Part) -> str:
    response = client.get(part.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def edit_links(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/comments/(\d+)/edit/"', html)}


def delete_links(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/comments/(\d+)/delete/"', html)}


def reply_links(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/comments/(\d+)/reply/"', html)}


def test_two_readers_each_see_their_own_edit_links_from_the_shared_threads(
    kept, part, alice, bob, carol
):
    mine = services.comment_post(author=bob, part=part, body="Bob was here.")
    hers = services.comment_post(author=carol, part=part, body="Carol too.")
    reply = services.comment_post(author=carol, part=part, body="Hello Bob.", parent=mine)
    versions.current.poll()

    bobs_page = page(signed_in(bob), part)
    assert any(name.endswith(f"comments:{part.pk}::1") for name in kept._entries)
    carols_page = page(signed_in(carol), part)  # the same threads, from the store
    writers_page = page(signed_in(alice), part)
    guests_page = page(Client(HTTP_USER_AGENT=BROWSER_AGENT), part)

    for html in (bobs_page, carols_page, writers_page, guests_page):
        assert "Bob was here." in html and "Carol too." in html and "Hello Bob." in html
    assert edit_links(bobs_page) == delete_links(bobs_page) == {mine.pk}
    assert edit_links(carols_page) == delete_links(carols_page) == {hers.pk, reply.pk}
    # The book's author may delete every comment on it, and edit none of them.
    assert edit_links(writers_page) == set()
    assert delete_links(writers_page) == {mine.pk, hers.pk, reply.pk}
    assert reply_links(bobs_page) == reply_links(carols_page) == {mine.pk, hers.pk, reply.pk}
    assert edit_links(guests_page) == delete_links(guests_page) == reply_links(guests_page) == set()
    assert "Log in to comment" in guests_page


def test_a_new_comment_vote_part_edit_or_tag_rename_shows_on_the_next_request(
    kept, part, alice, bob, carol
):
    client = signed_in(bob)
    first = page(client, part)
    assert "The first paragraph of Chapter 1." in first
    assert "Found family" in first
    assert "No comments yet." in first

    comment = services.comment_post(author=carol, part=part, body="A new comment.")
    html = page(client, part)
    assert "A new comment." in html
    assert reply_links(html) == {comment.pk} and edit_links(html) == set()

    services.vote_toggle(user=carol, part=part, voted=True)
    assert re.search(r"<strong>1</strong> vote\b", page(client, part))

    part.refresh_from_db()
    part.body = "<p>The storm came in the night.</p>"
    story_services.part_save(part, edited_by=alice)
    html = page(client, part)
    assert "The storm came in the night." in html
    assert "The first paragraph of Chapter 1." not in html

    trope = part.tags.get()
    story_services.tag_rename(trope, "Chosen family")
    html = page(client, part)
    assert "Chosen family" in html and "Found family" not in html

    services.comment_delete(user=carol, comment=Comment.objects.get(pk=comment.pk))
    assert "A new comment." not in page(client, part)


def test_a_reader_who_hides_a_tag_still_sees_it_marked_on_the_part(kept, part, bob, carol):
    page(signed_in(carol), part)  # the shared text is kept, unmarked
    bob.hidden_tags.add(part.tags.get())
    response = signed_in(bob).get(part.get_absolute_url() + "?show=hidden")
    assert response.status_code == 200
    assert "(hidden by you)" in response.content.decode()
    assert "(hidden by you)" not in page(signed_in(carol), part)
