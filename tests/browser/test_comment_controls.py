"""Comment controls in a real browser: on a book whose comments are held, Bob's comment on a
paragraph says it waits for approval and shows nowhere; Alice approves it at her desk and it
shows. On a book open to everyone, a guest signs a comment with a name."""

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from storyhouse.accounts.models import User
from storyhouse.engagement.paragraphs import paragraphs
from storyhouse.stories.models import CommentMode
from tests.browser.conftest import signed_in_page
from tests.helpers import write_book

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def no_login_throttle() -> None:
    cache.clear()


@pytest.fixture
def people(live_db):
    alice = User.objects.create_user(
        "alice", "alice@example.org", "alice-password-1", display_name="Alice Liddell"
    )
    bob = User.objects.create_user("bob", "bob@example.org", "bob-password-1")
    return alice, bob


def book(alice: User, mode: str):
    story = write_book(alice, "The Lighthouse Keeper", ["Fog on the Water"])
    story.comment_mode = mode
    story.save()
    return story.parts.get()


def test_a_held_comment_waits_for_the_writer_then_shows(new_page, live_server, people, look):
    alice, bob = people
    part = book(alice, CommentMode.HELD)
    reader = signed_in_page(new_page, live_server, bob)
    reader.goto(part.get_absolute_url())
    expect(reader.get_by_text("The writer approves each comment before it shows.")).to_be_visible()
    first = reader.locator(f"#{paragraphs(part.body)[0].id}")
    first.click()
    panel = reader.locator(".para-panel")
    panel.get_by_label("Comment on this paragraph").fill("The fog scene is wonderful.")
    panel.get_by_role("button", name="Post").click()
    expect(panel.get_by_text("your comment waits for the writer's approval")).to_be_visible()
    expect(reader.locator(".comment").filter(has_text="The fog scene")).to_have_count(0)

    writer = signed_in_page(new_page, live_server, alice)
    writer.goto("/desk/")
    writer.get_by_role("link", name="1 comment waits for your approval").click()
    expect(writer.get_by_text("The fog scene is wonderful.")).to_be_visible()
    look(writer, "desk-held-comments")
    writer.get_by_role("button", name="Approve comment 1").click()
    expect(writer.get_by_text("Approved: the comment shows now.")).to_be_visible()

    reader.goto(part.get_absolute_url())
    expect(
        reader.locator(".comment").filter(has_text="The fog scene is wonderful.")
    ).to_be_visible()


def test_a_guest_signs_a_comment_with_a_name(new_page, people):
    alice, _bob = people
    part = book(alice, CommentMode.OPEN)
    guest = new_page()
    guest.goto(part.get_absolute_url())
    guest.get_by_role("link", name="comment as a guest").click()
    guest.get_by_label("Your name").fill("Wren")
    guest.get_by_label("Your comment").fill("I read it by the sea.")
    guest.get_by_role("button", name="Post comment").click()
    expect(guest.get_by_text("Your comment is posted.")).to_be_visible()
    comment = guest.locator(".comment").filter(has_text="I read it by the sea.")
    expect(comment.locator(".comment__author")).to_contain_text("Wren (guest)")
