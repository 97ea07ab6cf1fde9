"""Muting and blocking in a real browser. Carol mutes Alice from her page: Alice's books leave
Carol's home page, tag page, search results and discover, and the search sidebar's counts
drop by exactly Alice's books, as the SQL oracle counts them. Alice blocks Bob from his
comment: Bob's vote and comment are refused (form and API), and his comments vanish for
Alice."""

import pytest
from django.core.cache import cache
from django.test import Client
from playwright.sync_api import expect

from storyhouse.accounts.models import User
from storyhouse.accounts.tokens import token_create
from storyhouse.discovery import fulltext
from storyhouse.discovery.query import SearchQuery
from storyhouse.discovery.search import search
from storyhouse.engagement import services as engagement
from storyhouse.engagement.models import Comment, Vote
from storyhouse.stories import services
from storyhouse.stories.models import Tag, TagType
from tests.browser.conftest import signed_in_page
from tests.helpers import write_book

pytestmark = pytest.mark.browser

ALICES = ["The Lighthouse Keeper", "The Orchard by the Sea"]


@pytest.fixture(autouse=True)
def no_login_throttle() -> None:
    cache.clear()


@pytest.fixture
def shelf(live_db):
    alice = User.objects.create_user(
        "alice", "alice@example.org", "alice-password-1", display_name="Alice Liddell"
    )
    bob = User.objects.create_user("bob", "bob@example.org", "bob-password-1")
    carol = User.objects.create_user("carol", "carol@example.org", "carol-password-1")
    sea = services.tag_save(Tag(name="Seafaring", type=TagType.FANDOM, canonical=True))
    slow = services.tag_save(Tag(name="Slow Burn", type=TagType.TROPE, canonical=True))
    books = [
        write_book(alice, ALICES[0], ["Fog on the Water"], tags=[sea, slow]),
        write_book(alice, ALICES[1], 1, tags=[sea]),
        write_book(bob, "Salt and Iron", 1, tags=[sea, slow]),
    ]
    for story in books:  # votes put every book in discover
        engagement.vote_toggle(user=carol, part=story.parts.first(), voted=True)
    fulltext.rebuild()
    return alice, bob, carol, books


def sidebar_counts(page) -> dict[str, int]:
    counts = {}
    for item in page.locator(".facet__item").all():
        name = item.locator(".facet__name").inner_text().replace("(included)", "").strip()
        counts[name] = int(item.locator(".facet__count").inner_text().replace(",", ""))
    return counts


def oracle_counts(viewer: User) -> dict[str, int]:
    found = search(SearchQuery(), viewer, use_index=False)
    return {tag.name: count for group in found.facets for tag, count in group.tags}


def test_carol_mutes_alice_and_her_books_leave_every_list(new_page, live_server, shelf, look):
    alice, _bob, carol, _books = shelf
    page = signed_in_page(new_page, live_server, carol)
    page.goto("/search/")
    before = sidebar_counts(page)
    assert before == oracle_counts(carol)
    assert before["Seafaring"] == 3

    page.goto("/authors/alice/")
    page.get_by_role("link", name="Mute or block").click()
    page.get_by_role("button", name="Mute Alice Liddell").click()
    expect(page.get_by_text("You muted Alice Liddell: their stories are gone")).to_be_visible()
    look(page, "boundaries-muted")

    for url in ["/", "/tags/seafaring/", "/search/", "/search/?q=sea", "/discover/"]:
        page.goto(url)
        expect(page.get_by_text("Salt and Iron").first).to_be_visible()
        for title in ALICES:
            expect(page.get_by_text(title)).to_have_count(0)

    page.goto("/search/")
    after = sidebar_counts(page)
    assert after == oracle_counts(carol)
    assert after["Seafaring"] == before["Seafaring"] - 2
    assert after["Slow Burn"] == before["Slow Burn"] - 1
    expect(page.get_by_text("1 story found")).to_be_visible()

    # The page of mutes undoes it.
    page.goto("/accounts/muted-and-blocked/")
    page.get_by_role("button", name="Unmute Alice Liddell").click()
    page.goto("/search/")
    assert sidebar_counts(page) == before


def test_alice_blocks_bob_from_his_comment(new_page, live_server, shelf, look):
    alice, bob, _carol, books = shelf
    part = books[0].parts.get()
    engagement.comment_post(author=bob, part=part, body="Bob keeps pestering the writer.")

    writer = signed_in_page(new_page, live_server, alice)
    writer.goto(part.get_absolute_url())
    comment = writer.locator(".comment").filter(has_text="Bob keeps pestering")
    comment.get_by_role("link", name="Mute or block").click()
    writer.get_by_role("button", name="Block bob").click()
    expect(writer.get_by_text("You blocked bob. They are not told.")).to_be_visible()

    # Bob's comments vanish for Alice.
    writer.goto(part.get_absolute_url())
    expect(writer.get_by_text("Bob keeps pestering the writer.")).to_have_count(0)
    expect(writer.get_by_text("A comment from someone you blocked.")).to_be_visible()
    look(writer, "boundaries-blocked-comment")

    # Bob still reads the part, but has no vote button nor comment box, and a form he kept
    # from before is refused.
    reader = signed_in_page(new_page, live_server, bob)
    reader.goto(part.get_absolute_url())
    expect(reader.get_by_text("The first paragraph of Fog on the Water.")).to_be_visible()
    expect(reader.locator(f"form[action='/parts/{part.pk}/vote/']")).to_have_count(0)
    expect(reader.locator("textarea[name=body]")).to_have_count(0)
    token = reader.evaluate("document.cookie.match(/csrftoken=([^;]+)/)?.[1] || ''")
    assert token  # so a refusal below is the block's, not a missing CSRF token's
    refused = reader.request.post(
        f"/parts/{part.pk}/vote/",
        form={"csrfmiddlewaretoken": token, "voted": "true"},
        headers={"Referer": live_server.url + part.get_absolute_url()},
    )
    assert refused.status == 403 and "You cannot vote for this part." in refused.text()
    refused = reader.request.post(
        f"/parts/{part.pk}/comments/",
        form={"csrfmiddlewaretoken": token, "body": "Let me back in."},
        headers={"Referer": live_server.url + part.get_absolute_url()},
    )
    assert refused.status == 403 and "You cannot comment on this part." in refused.text()

    # And through the API, with his token.
    raw = token_create(bob, "script")[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert (
        api.post(f"/api/parts/{part.pk}/vote", content_type="application/json").status_code == 403
    )
    said = api.post(
        f"/api/parts/{part.pk}/comments", {"body": "API?"}, content_type="application/json"
    )
    assert said.status_code == 403
    assert not Vote.objects.filter(user=bob).exists()
    assert not Comment.objects.filter(author=bob).exclude(body__startswith="Bob keeps").exists()
