"""Readers in a real browser: bob comments on a paragraph by clicking it, keeps the book,
"continue reading" brings him back to that paragraph, then he votes and answers a comment.
Every page of this area passes axe in both themes, on a laptop and on a phone."""

import re
import time

import html5lib
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.cache import cache
from django.test import Client
from playwright.sync_api import Page, expect

from storyhouse.accounts.models import User
from storyhouse.engagement import services
from storyhouse.engagement.models import Comment, PartProgress, Vote
from storyhouse.engagement.paragraphs import paragraphs
from storyhouse.stories.models import Part
from tests.browser.conftest import PHONE, SAMPLE_BOOK
from tests.browser.test_accessibility import AXE_OPTIONS, axe_report
from tests.helpers import BROWSER_AGENT, SAME_HTML

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def no_login_throttle() -> None:
    cache.clear()


@pytest.fixture
def bob(db) -> User:
    return User.objects.create_user("bob", "bob@example.org", "bob-password-1", display_name="Bob")


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username or email address").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("navigation", name="Site").get_by_role("button", name="Log out"))


def fits_the_screen_width(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def eventually(check, timeout: float = 10.0) -> None:
    """Wait for something the page does in the background (reading progress) to be saved."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_bob_comments_on_a_paragraph_keeps_the_book_continues_reading_votes_and_replies(
    page, library, writer, bob, look
):
    part: Part = library["sample"]
    stopped = paragraphs(part.body)[14].id
    maras = services.comment_post(author=writer, part=part, body="Thank you for reading!")
    log_in(page, "bob", "bob-password-1")
    page.goto(part.get_absolute_url())

    # Bob reads down to a paragraph that moves him, and clicks it to say so, right there.
    paragraph = page.locator(f"#{stopped}")
    paragraph.evaluate("element => element.scrollIntoView()")
    paragraph.click()
    panel = page.locator(".para-panel")
    panel.get_by_label("Comment on this paragraph").fill("This line broke my heart.")
    look(page, "paragraph-comment-form")
    panel.get_by_role("button", name="Post").click()
    expect(panel.get_by_role("link", name="Your comment is posted: see it below.")).to_be_visible()
    expect(paragraph.get_by_role("link", name="1 comment on this paragraph")).to_have_text("1")
    mine = page.locator(".comment").filter(has_text="This line broke my heart.")
    expect(mine.locator(".comment__quote a")).to_have_attribute("href", f"#{stopped}")
    assert Comment.objects.get(author=bob).paragraph == stopped
    # The page has noted where he is, as he read.
    eventually(lambda: PartProgress.objects.filter(user=bob, part=part, paragraph=stopped).exists())

    # He keeps the book in his library, from the book's page, and leaves for now.
    page.locator("[data-book-link]").click()
    page.get_by_role("button", name="Add to library").click()
    expect(page.get_by_role("button", name="Remove from library")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Continue reading"))).to_have_attribute(
        "href", f"{part.get_absolute_url()}#{stopped}"
    )
    page.goto("/")

    # Later, from his library, "continue reading" brings him back to that paragraph.
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Library").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your library")
    expect(page.get_by_role("link", name=SAMPLE_BOOK)).to_be_visible()
    assert fits_the_screen_width(page)
    look(page, "library")
    page.get_by_role("link", name=re.compile("^Continue reading")).click()
    expect(page).to_have_url(re.compile(f"{re.escape(part.get_absolute_url())}#{stopped}$"))
    top = paragraph.evaluate("element => element.getBoundingClientRect().top")
    assert -2 <= top <= 60
    page.evaluate("window.stillHere = true")  # gone if the page were loaded again

    # He reads to the end and votes: the button and the count change in place.
    vote = page.get_by_role("button", name="Vote")
    expect(vote).to_have_attribute("aria-pressed", "false")
    expect(page.locator("[data-vote-count]")).to_have_text("4 votes")
    vote.click()
    expect(page.get_by_role("button", name="Vote")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-vote-count]")).to_have_text("5 votes")
    assert Vote.objects.filter(user=bob, part=part).count() == 1

    # He answers Mara's comment: the form opens under it and the reply nests there.
    thread = page.locator(f"#comment-{maras.pk}")
    thread.get_by_role("link", name="Reply").first.click()
    thread.get_by_label("Your reply to Mara Quill").fill("Thank you for writing it!")
    thread.get_by_role("button", name="Post reply").click()
    reply = page.locator(f"#comment-{maras.pk} .comment-list--replies .comment")
    expect(reply).to_contain_text("Thank you for writing it!")
    expect(reply.locator(".comment__author")).to_have_text("Bob")
    assert page.evaluate("window.stillHere") is True
    assert fits_the_screen_width(page)
    look(page, "part-after-engaging")


def test_a_guest_sees_paragraph_counts_that_lead_to_their_comments(new_page, library, bob):
    part: Part = library["sample"]
    about = paragraphs(part.body)[2].id
    services.comment_post(author=bob, part=part, body="Oh no.", paragraph=about)
    services.comment_post(author=bob, part=part, body="Anyway.")
    page = new_page(**PHONE)
    page.goto(part.get_absolute_url())

    expect(page.get_by_role("link", name="Log in to vote")).to_be_visible()
    page.locator(f"#{about}").click()  # guests get no form: they may not comment
    expect(page.locator(".para-panel")).to_have_count(0)
    page.get_by_role("link", name="1 comment on this paragraph").click()

    comments = page.get_by_role("region", name="Comments on paragraph 3")
    expect(comments).to_be_visible()
    expect(comments.locator(".comment__body")).to_have_text(["Oh no."])
    assert fits_the_screen_width(page)


# Every page of this area passes axe, in both themes


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def engaged(library: dict, writer: User, bob: User) -> dict[str, str]:
    """Bob's library, lists, follows, notifications; the addresses of the pages showing them."""
    part: Part = library["sample"]
    book = library["book"]
    services.library_add(user=bob, story=book)
    services.library_add(user=bob, story=part.story)
    services.progress_record(user=bob, part=part, paragraph=paragraphs(part.body)[3].id)
    reading_list = services.reading_list_create(owner=bob, title="Sea stories", public=True)
    services.reading_list_add(user=bob, reading_list=reading_list, story=book)
    services.reading_list_add(user=bob, reading_list=reading_list, story=part.story)
    services.follow(follower=bob, writer=writer)
    maras = services.comment_post(author=writer, part=part, body="Thanks https://example.org/")
    # A new account's first link waits for the book's writer, who lets it stand.
    services.comment_approve(user=part.story.authorship_set.get().user, comment=maras)
    mine = services.comment_post(
        author=bob, part=part, body="So sad.", paragraph=paragraphs(part.body)[1].id
    )
    services.comment_post(author=writer, part=part, body="I know.", parent=mine)
    services.comment_post(author=bob, part=part, body="A reply", parent=maras)
    lamp_room = book.parts.all()[1]
    services.comment_post(author=writer, part=lamp_room, body="Hello Bob")
    services.vote_toggle(user=bob, part=part, voted=True)
    return {
        "part": part.get_absolute_url(),
        "part-one-paragraph": f"{part.get_absolute_url()}?paragraph={paragraphs(part.body)[1].id}",
        "book": book.get_absolute_url(),
        "author": writer.get_absolute_url(),
        "library": "/library/",
        "history": "/library/history/",
        "reading-lists": "/library/lists/",
        "reading-list": f"/library/lists/{reading_list.pk}/",
        "reading-list-delete": f"/library/lists/{reading_list.pk}/delete/",
        "public-lists": "/lists/bob/",
        "public-list": f"/lists/bob/{reading_list.pk}/",
        "following": "/following/",
        "notifications": "/notifications/",
        "notification-settings": "/notifications/settings/",
        "comment-edit": f"/comments/{mine.pk}/edit/",
        "comment-delete": f"/comments/{mine.pk}/delete/",
        "comment-reply": f"/comments/{maras.pk}/reply/",
        "unsubscribe": f"/notifications/unsubscribe/{services.unsubscribe_token(bob, ['reply'])}/",
    }


def check(page: Page, axe: Axe, name: str) -> None:
    violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"{name}:\n{axe_report(violations)}"
    assert fits_the_screen_width(page), name


@SAME_HTML
@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("screen_name", ["desktop", "phone"])
def test_the_pages_of_readers_pass_axe(new_page, library, writer, bob, axe, theme, screen_name):
    pages = engaged(library, writer, bob)
    page = new_page(**{**(PHONE if screen_name == "phone" else {}), "color_scheme": theme})
    log_in(page, "bob", "bob-password-1")
    for name, address in pages.items():
        page.goto(address)
        check(page, axe, name)

    # With the paragraph form open, and with a reply form open.
    page.goto(pages["part"])
    page.locator("[data-part-body] p").nth(6).click()
    expect(page.locator(".para-panel textarea")).to_be_focused()
    check(page, axe, "paragraph comment form")
    page.locator(".comment__actions").get_by_role("link", name="Reply").first.click()
    expect(page.locator(".comment__reply-slot textarea")).to_be_visible()
    check(page, axe, "reply form")

    # A guest's view of the same part and author.
    guest = new_page(**{**(PHONE if screen_name == "phone" else {}), "color_scheme": theme})
    for name in ["part", "author", "public-list"]:
        guest.goto(pages[name])
        check(guest, axe, f"{name} (guest)")


def test_the_pages_of_readers_are_well_formed_html5(library, writer, bob):
    """As test_accessibility checks the reading pages: no parse errors, one h1, unique ids."""
    pages = engaged(library, writer, bob)
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(bob)
    for name, address in pages.items():
        response = client.get(address)
        assert response.status_code == 200, name
        parser = html5lib.HTMLParser(namespaceHTMLElements=False)
        document = parser.parse(response.content, transport_encoding="utf-8")
        assert not parser.errors, (name, parser.errors)
        assert len(document.findall(".//h1")) == 1, name
        ids = [element.get("id") for element in document.iter() if element.get("id")]
        assert len(ids) == len(set(ids)), (name, sorted(i for i in ids if ids.count(i) > 1))
