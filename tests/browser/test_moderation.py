"""Moderation in a real browser: Bob reports Alice's comment as harassment; a moderator finds
it in the queue and hides it; Bob and a guest no longer see it, Alice sees it marked hidden;
both are told; the audit log shows what was done."""

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from storyhouse.accounts.models import User
from storyhouse.engagement import services as engagement
from storyhouse.moderation.roles import Role, grant
from tests.browser.conftest import signed_in_page
from tests.helpers import write_book

pytestmark = pytest.mark.browser

UNKIND = "Nobody should ever read this drivel."


@pytest.fixture(autouse=True)
def no_login_throttle() -> None:
    cache.clear()


@pytest.fixture
def people(live_db):
    alice = User.objects.create_user("alice", "alice@example.org", "alice-password-1")
    bob = User.objects.create_user("bob", "bob@example.org", "bob-password-1")
    mod = User.objects.create_user("mod", "mod@example.org", "mod-password-1")
    grant(mod, Role.MODERATOR)
    return alice, bob, mod


def test_a_reported_comment_is_hidden_and_everyone_is_told(new_page, live_server, people, look):
    alice, bob, mod = people
    story = write_book(alice, "The Lighthouse", ["Arrival"])
    part = story.parts.get()
    engagement.comment_post(author=alice, part=part, body=UNKIND)

    # Bob reports it from the part page.
    page = signed_in_page(new_page, live_server, bob)
    page.goto(part.get_absolute_url())
    comment = page.locator(".comment").filter(has_text=UNKIND)
    comment.get_by_role("link", name="Report").click()
    page.get_by_label("Harassment").check()
    page.get_by_label("Anything the moderators should know (optional)").fill("It is aimed at me.")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_role("heading", name="Your reports")).to_be_visible()
    expect(page.get_by_role("cell", name="Waiting for a moderator")).to_be_visible()

    # The moderator finds it in the queue and hides it.
    moderator = signed_in_page(new_page, live_server, mod)
    moderator.goto("/moderation/")
    moderator.get_by_role("link", name="A comment by alice on Arrival").click()
    expect(moderator.get_by_text(UNKIND)).to_be_visible()
    moderator.get_by_label("Why it is hidden").fill("Insulting readers breaks the rules.")
    look(moderator, "moderation-report")
    moderator.get_by_role("button", name="Hide the comment").click()
    expect(moderator.get_by_text("It is hidden; its writer can see why.")).to_be_visible()

    # Bob and a guest no longer see it; Alice sees it, marked hidden, with the reason.
    page.goto(part.get_absolute_url())
    expect(page.get_by_text(UNKIND)).to_have_count(0)
    expect(page.get_by_text("This comment is hidden.")).to_be_visible()
    guest = new_page()
    guest.goto(part.get_absolute_url())
    expect(guest.get_by_text(UNKIND)).to_have_count(0)
    writer = signed_in_page(new_page, live_server, alice)
    writer.goto(part.get_absolute_url())
    expect(writer.get_by_text(UNKIND)).to_be_visible()
    note = writer.locator(".comment__hidden-note")
    expect(note).to_contain_text("Insulting readers breaks the rules.")

    # Both are told, with the reason.
    writer.goto("/notifications/")
    expect(writer.get_by_text("The moderators hid your comment on Arrival.")).to_be_visible()
    page.goto("/notifications/")
    expect(page.get_by_text("The moderators hid a comment you reported")).to_be_visible()
    page.goto("/reports/")
    expect(page.get_by_role("cell", name="Looked at: action taken")).to_be_visible()

    # The audit log shows who did what, and why.
    moderator.goto("/moderation/log/")
    row = moderator.get_by_role("row").filter(has_text="hid a comment")
    expect(row).to_contain_text("mod")
    expect(row).to_contain_text("Insulting readers breaks the rules.")
