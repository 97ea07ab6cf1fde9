"""In the browser: an in-page action refused for going too fast says so next to its button,
and a comment being written stays in its box."""

import pytest
from playwright.sync_api import expect

from storyhouse.accounts.models import User
from storyhouse.engagement.models import Comment, Vote
from tests.browser.conftest import signed_in_page

pytestmark = pytest.mark.browser


@pytest.fixture
def bob(db) -> User:
    return User.objects.create_user("bob", "bob@example.org", "bob-password-1", display_name="Bob")


def test_a_vote_and_a_comment_past_the_limit_say_so_in_place(
    new_page, live_server, library, bob, settings
):
    settings.VOTES_PER_MINUTE = 0
    settings.COMMENTS_PER_MINUTE = 0
    part = library["book"].parts.first()
    page = signed_in_page(new_page, live_server, bob)
    page.goto(part.get_absolute_url())
    page.evaluate("window.stillHere = true")  # gone if the page were loaded again

    page.get_by_role("button", name="Vote").click()
    vote_form = page.locator("form.vote")
    expect(vote_form.get_by_role("alert")).to_contain_text("You have been voting faster than")
    expect(page.get_by_role("button", name="Vote")).to_have_attribute("aria-pressed", "false")

    box = page.locator("#comment-form textarea")
    box.fill("A thought I would hate to lose.")
    page.locator("#comment-form").get_by_role("button", name="Post comment").click()
    expect(page.locator("#comment-form").get_by_role("alert")).to_contain_text(
        "You have been posting comments faster than"
    )
    expect(box).to_have_value("A thought I would hate to lose.")
    assert page.evaluate("window.stillHere") is True
    assert not Vote.objects.exists()
    assert not Comment.objects.exists()
