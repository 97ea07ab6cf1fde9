"""Nothing a writer or commenter types runs in anyone's browser.

Mallory types classic attacks into every field a writer fills in (her name and bio, her
book, its part); Eve types them into every field a commenter fills in (her name, comments,
a paragraph comment, a reply, a public reading list). Then a guest, a signed-in reader and
Mallory herself visit every page that shows those words, in the real browser: no dialog may
open, no script may run, and the page may hold no script, event handler or javascript: link
that did not come from Storyhouse itself.
"""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from storyhouse.accounts.models import User
from storyhouse.engagement import services as engagement
from storyhouse.engagement.models import Comment, ReadingList
from storyhouse.stories.models import Story
from tests.browser.conftest import signed_in_page

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>alert('script');window.__xss='script'</script>",
    "<img src=x onerror=\"alert('img');window.__xss='img'\">",
    "<a href=\"javascript:alert('href');window.__xss='href'\">click me</a>",
    "[a markdown link](javascript:alert('md');window.__xss='md')",
    "<svg onload=\"alert('svg');window.__xss='svg'\"><circle r=5 /></svg>",
    '<style>body{display:none}</style><div style="position:fixed;inset:0;background:red">x</div>',
    "\"><script>alert('attr');window.__xss='attr'</script>",
    "<iframe src=\"javascript:alert('iframe')\"></iframe>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('mxss')>",
    "<a href=\"jav&#x09;ascript:alert('entity')\">entity</a> <details open ontoggle=alert('tgl')>",
]
EVERYTHING = "\n\n".join(PAYLOADS)

# What a page may hold of scripts and handlers: only what Storyhouse's templates put there.
AUDIT = """() => {
  const found = [];
  for (const element of document.querySelectorAll('*')) {
    for (const attribute of element.attributes) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (name.startsWith('on')) found.push(`${element.tagName} ${name}`);
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data'].includes(name)
          && value.startsWith('javascript:')) found.push(`${element.tagName} ${name}=${value}`);
      if (name === 'style' && /fixed|inset|red/.test(value)) found.push(`style ${value}`);
    }
    const tag = element.tagName.toLowerCase();
    if (tag === 'script') {
      const own = element.src && new URL(element.src).origin === location.origin;
      if (!own && element.type !== 'application/json') found.push(`script ${element.outerHTML}`);
    }
    // htmx adds a style of its own to the head; none may come with the page's content.
    const inBody = document.body.contains(element);
    if (['iframe', 'object', 'embed'].includes(tag) || (tag === 'style' && inBody)) {
      found.push(`${tag} in ${element.parentElement.outerHTML.slice(0, 300)}`);
    }
  }
  return found;
}"""


@pytest.fixture(autouse=True)
def quiet(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()


def payload(n: int) -> str:
    return PAYLOADS[n % len(PAYLOADS)]


def mallory_writes(page: Page) -> Story:
    """Every field a writer fills in, typed in the browser."""
    page.goto("/accounts/settings/")
    page.get_by_label("Display name").fill(payload(0)[:100])
    page.get_by_label("Bio").fill(EVERYTHING)
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_be_visible()

    page.goto("/desk/stories/new/")
    page.get_by_label("Title", exact=True).fill(payload(1))
    page.get_by_label("Description").fill(EVERYTHING)
    page.get_by_label("No Archive Warnings Apply").check()
    page.get_by_label("Other warnings").fill(payload(2))
    page.get_by_label("Everyone").check()
    page.get_by_label("Fandoms").fill(payload(3))
    page.get_by_label("Relationships").fill(payload(4))
    page.get_by_label("Characters").fill(payload(6))
    page.get_by_label("Tropes and other tags").fill(payload(7))
    page.get_by_role("button", name="Create the book").click()
    story = Story.objects.get(authorship__user__username="mallory")

    page.get_by_role("button", name="Add a part").click()
    page.get_by_label("Title", exact=True).fill(payload(8))
    page.get_by_text("Description and author's notes").click()
    page.get_by_label("Description").fill(EVERYTHING)
    page.get_by_label("Author's note before the text").fill(EVERYTHING)
    page.get_by_role("textbox", name="Text", exact=True).fill("A quiet paragraph.\n\n" + EVERYTHING)
    page.get_by_label("Author's note after the text").fill(EVERYTHING)
    page.get_by_label("This part's tropes and tags").fill(payload(9))
    page.get_by_label("This part's warnings").fill(payload(5))
    page.get_by_role("button", name="Publish now").click()
    expect(page.get_by_text("Published: readers can read it now.")).to_be_visible()
    return story


def eve_comments(page: Page, story: Story) -> None:
    """Every field a commenter fills in, typed in the browser."""
    page.goto("/accounts/settings/")
    page.get_by_label("Display name").fill(payload(1)[:100])
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("status")).to_be_visible()

    part = story.parts.get()
    page.goto(part.get_absolute_url())
    page.get_by_label("Your comment").fill(EVERYTHING)
    page.get_by_role("button", name="Post comment").click()
    expect(page.get_by_text("Your comment is posted.")).to_be_visible()
    page.locator("[data-part-body] p").first.click()
    panel = page.locator(".para-panel")
    panel.get_by_label("Comment on this paragraph").fill(EVERYTHING)
    panel.get_by_role("button", name="Post").click()
    expect(panel.get_by_role("link", name=re.compile("Your comment is posted"))).to_be_visible()

    mallorys = Comment.objects.get(author__username="mallory")
    thread = page.locator(f"#comment-{mallorys.pk}")
    thread.get_by_role("link", name="Reply").first.click()
    thread.get_by_role("textbox").fill(EVERYTHING)
    thread.get_by_role("button", name="Post reply").click()
    expect(thread.locator(".comment-list--replies .comment")).to_have_count(1)

    page.goto("/library/lists/")
    page.get_by_label("Name").fill(payload(6))
    page.get_by_label("Public: shown on your profile").check()
    page.get_by_role("button", name="Make the list").click()
    reading_list = ReadingList.objects.get(owner__username="eve")
    engagement.reading_list_add(user=reading_list.owner, reading_list=reading_list, story=story)


def test_what_writers_and_commenters_type_never_runs_in_a_browser(new_page, live_server):
    mallory, eve, vic = (
        User.objects.create_user(name, f"{name}@example.org", f"{name}-password-1")
        for name in ("mallory", "eve", "vic")
    )
    engagement.follow(follower=vic, writer=mallory)  # so the new part reaches vic's notifications
    writing = signed_in_page(new_page, live_server, mallory)
    story = mallory_writes(writing)
    part = story.parts.get()
    engagement.comment_post(author=mallory, part=part, body=EVERYTHING)
    eve_comments(signed_in_page(new_page, live_server, eve), story)
    engagement.library_add(user=vic, story=story)
    engagement.vote_toggle(user=eve, part=part, voted=True)
    reading_list = ReadingList.objects.get(owner=eve)

    addresses = [
        "/",
        story.get_absolute_url(),
        part.get_absolute_url(),
        f"{part.get_absolute_url()}?paragraph=",
        "/authors/mallory/",
        "/authors/eve/",
        "/lists/eve/",
        f"/lists/eve/{reading_list.pk}/",
    ]
    addresses += [tag.get_absolute_url() for tag in story.tags.all()]
    addresses += [tag.get_absolute_url() for tag in part.tags.all()]
    signed_in_only = ["/notifications/", "/library/", "/library/history/", "/following/"]
    desk = [
        "/desk/",
        f"/desk/stories/{story.pk}/",
        f"/desk/stories/{story.pk}/edit/",
        f"/desk/parts/{part.pk}/edit/",
        f"/desk/parts/{part.pk}/preview/",
        f"/desk/parts/{part.pk}/revisions/",
    ]
    visits = [
        (new_page(), addresses),
        (signed_in_page(new_page, live_server, vic), addresses + signed_in_only),
        (writing, addresses + signed_in_only + desk),
    ]

    dialogs: list[str] = []
    for page, urls in visits:
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        for url in urls:
            response = page.goto(url)
            assert response.status == 200, url
            page.wait_for_load_state("load")
            page.mouse.move(200, 300)  # what a reader's pointer would set off
            assert page.evaluate("window.__xss") is None, url
            assert page.evaluate(AUDIT) == [], url
            assert page.locator("body").is_visible(), url
    assert dialogs == []

    # The words are there, shown as text, not dropped.
    page = visits[0][0]
    page.goto(part.get_absolute_url())
    expect(page.locator("#comments")).to_contain_text("<script>alert('script')")
    expect(page.locator("[data-part-body]")).to_contain_text("A quiet paragraph.")
