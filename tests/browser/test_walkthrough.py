"""A day at Storyhouse, walked through in a real browser by two people who have never been
here: Ada signs up and publishes a book of two parts; Ben signs up, finds it, reads, votes,
comments on a paragraph, answers Ada's comment, keeps the book on a reading list and in his
library, follows Ada, and stops halfway through part two. Ada hears of all of it. When she
publishes part three, Ben hears of it, and "continue reading" takes him back to where he
stopped.
"""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import Page, expect

from storyhouse.accounts.models import User
from storyhouse.engagement.models import Comment, PartProgress, Vote
from storyhouse.engagement.paragraphs import paragraphs
from storyhouse.stories.models import Part, Story
from tests.browser.test_engagement import eventually

pytestmark = pytest.mark.browser

BOOK = "Salt and Lamplight"
PASSWORD = "a lighthouse in the fog"
# Long enough that part two fills several screens: Ben stops partway down.
LETTER = [
    f"Letter paragraph {n}. The ferry came in late, and the keeper read the letter twice "
    "by the lamp, turning it over for a name that was never there, while the gulls settled "
    "on the rail and the harbour lights went out one by one along the quay." * 2
    for n in range(1, 13)
]


@pytest.fixture(autouse=True)
def mail_kept_in_memory(settings, tmp_path) -> None:
    """The live server runs in this process: its mail lands in django.core.mail.outbox."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.MEDIA_ROOT = tmp_path / "media"
    mail.outbox = []
    cache.clear()


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def site_nav(page: Page):
    return page.get_by_role("navigation", name="Site")


def sign_up(page: Page, username: str) -> User:
    """Sign up from the home page and confirm the address from the email that arrives."""
    page.goto("/")
    site_nav(page).get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email address").fill(f"{username}@example.org")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign up").click()
    expect(heading(page)).to_have_text("Check your email")
    (message,) = [m for m in mail.outbox if m.to == [f"{username}@example.org"]]
    page.goto(re.search(r"https?://\S+", message.body).group(0))
    page.get_by_role("button", name="Confirm my address").click()
    expect(page.get_by_role("status")).to_contain_text(f"{username}@example.org is confirmed")
    return User.objects.get(username=username)


def publish_a_part(page: Page, title: str, text: list[str]) -> None:
    """From the book's page on the desk: add a part, write it, publish it."""
    page.get_by_role("button", name="Add a part").click()
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_role("textbox", name="Text", exact=True).fill("\n\n".join(text))
    page.get_by_role("button", name="Publish now").click()
    expect(page.get_by_text("Published: readers can read it now.")).to_be_visible()


def open_the_book_on_the_desk(page: Page) -> None:
    page.goto("/")
    site_nav(page).get_by_role("link", name="Write").click()
    page.get_by_role("main").get_by_role("link", name=BOOK).first.click()
    expect(heading(page)).to_have_text(BOOK)


def notifications(page: Page) -> list[str]:
    page.goto("/")
    site_nav(page).get_by_role("link", name=re.compile("^Notifications")).click()
    expect(heading(page)).to_have_text("Notifications")
    return page.locator(".notification__link").all_inner_texts()


def test_ada_publishes_ben_reads_answers_follows_and_comes_back_for_part_three(new_page):
    ada_page, ben_page = new_page(), new_page()

    # Ada signs up and writes her first book, of two parts.
    ada = sign_up(ada_page, "ada")
    site_nav(ada_page).get_by_role("link", name="Write").click()
    expect(heading(ada_page)).to_have_text("Your desk")
    ada_page.get_by_role("link", name="New book").click()
    ada_page.get_by_label("Title", exact=True).fill(BOOK)
    ada_page.get_by_label("Description").fill("A harbour town, a *lamp*, and a letter.")
    ada_page.get_by_label("No Archive Warnings Apply").check()
    ada_page.get_by_label("Everyone").check()
    ada_page.get_by_label("Tropes and other tags").fill("Found Family")
    ada_page.get_by_role("button", name="Create the book").click()
    expect(heading(ada_page)).to_have_text(BOOK)
    publish_a_part(ada_page, "The Harbour", ["Gulls over the harbour.", "The lamp was lit at six."])
    ada_page.get_by_role("navigation", name="Breadcrumbs").get_by_role("link", name=BOOK).click()
    publish_a_part(ada_page, "The Letter", LETTER)
    story = Story.objects.get(title=BOOK)
    harbour, letter = story.parts.order_by("position")
    # She leaves a word for her readers under part one.
    ada_page.goto(harbour.get_absolute_url())
    ada_page.get_by_label("Your comment").fill("Thank you for reading! Tell me what you think.")
    ada_page.get_by_role("button", name="Post comment").click()
    expect(ada_page.get_by_text("Your comment is posted.")).to_be_visible()
    adas_comment = Comment.objects.get(author=ada)
    expect(ada_page.locator(f"#comment-{adas_comment.pk}")).to_contain_text("Thank you")

    # Ben signs up and finds the book on the home page.
    ben = sign_up(ben_page, "ben")
    ben_page.goto("/")
    card = ben_page.get_by_role("region", name="New stories").get_by_role("article")
    card.filter(has_text=BOOK).get_by_role("link", name=BOOK).click()
    expect(heading(ben_page)).to_have_text(BOOK)
    ben_page.get_by_role("link", name="Start reading").click()
    expect(ben_page.locator("[data-part-body]")).to_contain_text("The lamp was lit at six.")

    # He votes for part one, comments on its second paragraph, and answers Ada.
    ben_page.get_by_role("button", name="Vote").click()
    expect(ben_page.get_by_role("button", name="Vote")).to_have_attribute("aria-pressed", "true")
    expect(ben_page.locator("[data-vote-count]")).to_have_text("1 vote")
    lamp = paragraphs(harbour.body)[1].id
    ben_page.locator(f"#{lamp}").click()
    panel = ben_page.locator(".para-panel")
    panel.get_by_label("Comment on this paragraph").fill("I could see that lamp.")
    panel.get_by_role("button", name="Post").click()
    expect(
        ben_page.locator(f"#{lamp}").get_by_role("link", name=re.compile("1 comment"))
    ).to_be_visible()
    thread = ben_page.locator(f"#comment-{adas_comment.pk}")
    thread.get_by_role("link", name="Reply").first.click()
    thread.get_by_label("Your reply to ada").fill("Thank you for writing it!")
    thread.get_by_role("button", name="Post reply").click()
    expect(thread.locator(".comment-list--replies .comment")).to_contain_text(
        "Thank you for writing"
    )

    # He keeps the book: in his library, and on a reading list of his own.
    ben_page.locator("[data-book-link]").click()
    ben_page.get_by_role("button", name="Add to library").click()
    expect(ben_page.get_by_role("button", name="Remove from library")).to_be_visible()
    ben_page.get_by_text("Reading lists").click()
    ben_page.get_by_label("New list").fill("Sea stories")
    ben_page.get_by_role("button", name="Make it and add this book").click()
    expect(ben_page.get_by_text("On your lists:")).to_contain_text("Sea stories")

    # He follows Ada from her page.
    ben_page.get_by_role("main").get_by_role("link", name="ada").first.click()
    ben_page.get_by_role("button", name="Follow ada").click()
    expect(ben_page.get_by_role("button", name="Unfollow ada")).to_be_visible()
    expect(ben_page.get_by_text("1 follower")).to_be_visible()

    # He reads part two and stops partway down.
    ben_page.goto(harbour.get_absolute_url())
    ben_page.get_by_role("link", name=re.compile("^Next: The Letter")).click()
    stopped = paragraphs(letter.body)[6].id
    ben_page.locator(f"#{stopped}").evaluate("element => element.scrollIntoView()")
    eventually(
        lambda: PartProgress.objects.filter(user=ben, part=letter, paragraph=stopped).exists()
    )
    ben_page.goto("/")

    # Ada hears of all of it.
    said = notifications(ada_page)
    assert "ben voted for The Harbour" in said
    assert f"ben commented on The Harbour in {BOOK}" in said
    assert "ben replied to your comment on The Harbour" in said

    # She publishes part three.
    open_the_book_on_the_desk(ada_page)
    publish_a_part(ada_page, "The Storm", ["The storm came in from the west."])
    storm = Part.objects.get(story=story, title="The Storm")

    # Ben hears of it, once, and "continue reading" takes him to where he stopped.
    ben_page.goto("/")
    expect(site_nav(ben_page).locator("[data-unread]")).to_contain_text("1")
    assert notifications(ben_page) == [f"{BOOK} has a new part: The Storm"]
    site_nav(ben_page).get_by_role("link", name="Library").click()
    ben_page.get_by_role("link", name=re.compile("^Continue reading")).click()
    expect(ben_page).to_have_url(re.compile(f"{re.escape(letter.get_absolute_url())}#{stopped}$"))
    top = ben_page.locator(f"#{stopped}").evaluate("element => element.getBoundingClientRect().top")
    assert -2 <= top <= 60

    assert Vote.objects.filter(user=ben, part=harbour).count() == 1
    assert Comment.objects.filter(author=ben).count() == 2
    assert storm.is_published and ben.following.filter(writer=ada).exists()
