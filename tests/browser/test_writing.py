"""Mara writes in a real browser: she starts a book, writes two parts that save themselves
while she types, publishes them, and finds the book on the home page. The desk's pages pass
axe in both themes, and nothing a writer types runs in a reader's browser.
"""

import re
from collections import Counter

import html5lib
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.test import Client
from playwright.sync_api import Page, expect

from storyhouse.accounts.models import User
from storyhouse.stories import services
from storyhouse.stories.models import Part, PartState, Story, Tag, TagType, Visibility
from tests.browser.conftest import PHONE, signed_in_page
from tests.helpers import BROWSER_AGENT, SAME_HTML

AXE_OPTIONS = {"resultTypes": ["violations"]}
BOOK = "Salt and Lamplight"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def fits_the_screen_width(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def write_a_part(page: Page, title: str, paragraphs: list[str]) -> None:
    """On the book's desk page: add a part, type it, watch it save itself, publish it."""
    page.get_by_role("button", name="Add a part").click()
    expect(heading(page)).to_have_text(re.compile(r"^Editing “Part \d”$"))
    page.get_by_label("Title", exact=True).fill(title)
    text = page.get_by_role("textbox", name="Text", exact=True)
    text.click()
    text.press_sequentially("\n\n".join(paragraphs), delay=2)
    status = page.locator("#autosave-status")
    expect(status).to_have_text(re.compile(r"^Saved at \d\d:\d\d$"), timeout=15_000)
    page.get_by_role("button", name="Publish now").click()
    expect(page.get_by_text("Published: readers can read it now.")).to_be_visible()
    expect(page.locator("[data-state]")).to_contain_text("Published")


@pytest.mark.browser
def test_a_writer_starts_a_book_writes_two_parts_and_publishes_them(new_page, live_server, writer):
    services.tag_save(Tag(name="Found Family", type=TagType.TROPE, canonical=True))
    page = signed_in_page(new_page, live_server, writer)
    page.goto("/")
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Write").click()
    expect(heading(page)).to_have_text("Your desk")
    page.get_by_role("link", name="New book").click()

    page.get_by_label("Title", exact=True).fill(BOOK)
    page.get_by_label("Description").fill("A harbour town, a *lamp*, and a letter.")
    page.get_by_label("No Archive Warnings Apply").check()
    page.get_by_label("Everyone").check()
    tropes = page.get_by_label("Tropes and other tags")
    tropes.press_sequentially("Found F", delay=20)
    # The suggestions come from the archive's canonical tags.
    expect(page.locator("#trope-options option")).to_have_attribute("value", "Found Family")
    tropes.fill("Found Family, Harbour Towns")
    page.get_by_role("button", name="Create the book").click()

    expect(heading(page)).to_have_text(BOOK)
    expect(page.get_by_text("Your book is ready. Now add its first part.")).to_be_visible()
    write_a_part(page, "The Harbour", ["Gulls over the harbour.", "The lamp was lit at six."])
    page.get_by_role("navigation", name="Breadcrumbs").get_by_role("link", name=BOOK).click()
    write_a_part(page, "The Letter", ["A letter came with the ferry.", "Nobody had signed it."])

    page.get_by_role("link", name="Home", exact=True).click()
    new_stories = page.get_by_role("region", name="New stories")
    card = new_stories.get_by_role("article").filter(has_text=BOOK)
    expect(card.get_by_role("link", name=BOOK)).to_be_visible()
    expect(card).to_contain_text("by Mara Quill")
    expect(card).to_contain_text("2 parts")
    cover = card.locator("img.story-card__cover")
    expect(cover).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", cover.element_handle()) == 200

    card.get_by_role("link", name=BOOK).click()
    parts = page.get_by_role("region", name="Parts").locator(".part-list__title")
    expect(parts).to_have_text(["The Harbour", "The Letter"])
    expect(page.locator("img.story__cover")).to_be_visible()
    page.get_by_role("link", name="Start reading").click()
    expect(page.locator("[data-part-body]").get_by_text("The lamp was lit at six.")).to_be_visible()
    story = Story.objects.get(title=BOOK)
    assert story.visibility == Visibility.PUBLIC and story.parts_count == 2
    assert {tag.name for tag in story.tags.all()} >= {"Found Family", "Harbour Towns"}


@pytest.mark.browser
def test_rich_text_mode_edits_the_text_as_it_looks(new_page, live_server, writer):
    story = services.story_save(Story(title=BOOK), authors=[writer])
    part = services.part_write(
        Part(story=story),
        editor=writer,
        text=services.PartText(title="Morning", body="The *fog* lifted."),
    )
    page = signed_in_page(new_page, live_server, writer)
    page.goto(f"/desk/parts/{part.pk}/edit/")
    page.get_by_label("Rich text (HTML)").check()
    editor = page.get_by_role("textbox", name="Text", exact=True)
    expect(editor).to_have_attribute("contenteditable", "true")
    expect(editor.locator("em")).to_have_text("fog")
    editor.click()
    page.keyboard.press("End")
    page.keyboard.type(" The sea was calm.")
    expect(page.locator("#autosave-status")).to_have_text(re.compile("^Saved at"), timeout=15_000)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Saved.", exact=True)).to_be_visible()
    part.refresh_from_db()
    assert part.body_format == "html"
    assert "<em>fog</em>" in part.body and "The sea was calm." in part.body
    assert part.state == PartState.DRAFT


@pytest.mark.browser
def test_what_a_writer_types_never_runs_in_a_readers_browser(new_page, live_server, writer):
    payloads = [
        "<script>window.__xss = 'script'</script>",
        "<img src=x onerror=\"window.__xss='img'\">",
        "[a link](javascript:window.__xss='link')",
        "<svg onload=\"window.__xss='svg'\"></svg>",
        '<style>body{display:none}</style><p style="display:none">styled</p>',
        "<a href=\"javascript:window.__xss='href'\">click</a>",
    ]
    story = services.story_edit(
        Story(title="<script>window.__xss='title'</script>", visibility=Visibility.PUBLIC),
        editor=writer,
        description_source="\n\n".join(payloads),
        tags={
            "warning": [Tag.objects.get(name="No Archive Warnings Apply"), *payloads[:2]],
            "trope": payloads[2:],
        },
    )
    for body_format in ("markdown", "html"):
        services.part_write(
            Part(story=story),
            editor=writer,
            text=services.PartText(
                title=payloads[1],
                description="\n\n".join(payloads),
                notes_before="\n\n".join(payloads),
                notes_after="\n\n".join(payloads),
                body="\n\n".join(payloads),
                body_format=body_format,
            ),
            state=PartState.PUBLISHED,
        )
    page = new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    addresses = ["/", story.get_absolute_url()]
    addresses += [part.get_absolute_url() for part in story.parts.all()]
    writer_page = signed_in_page(new_page, live_server, writer)
    writer_page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    desk_addresses = ["/desk/", f"/desk/stories/{story.pk}/", f"/desk/stories/{story.pk}/edit/"]
    for part in story.parts.all():
        desk_addresses += [f"/desk/parts/{part.pk}/edit/", f"/desk/parts/{part.pk}/preview/"]
        desk_addresses += [f"/desk/parts/{part.pk}/revisions/"]
    for visitor, urls in ((page, addresses), (writer_page, desk_addresses)):
        for url in urls:
            visitor.goto(url)
            visitor.wait_for_load_state("load")
            assert visitor.evaluate("window.__xss") is None, url
            assert visitor.locator("body").is_visible(), url
    assert dialogs == []
    writer_page.goto(f"/desk/parts/{story.parts.last().pk}/edit/")
    expect(writer_page.get_by_role("textbox", name="Text", exact=True)).to_be_visible()
    assert writer_page.evaluate("window.__xss") is None


def desk_addresses(writer: User) -> dict[str, str]:
    """One book with a published part that has a history: every kind of desk page."""
    story = services.story_edit(
        Story(title=BOOK, visibility=Visibility.PUBLIC),
        editor=writer,
        description_source="A harbour town.",
        tags={"warning": [Tag.objects.get(name="No Archive Warnings Apply")], "trope": ["Fog"]},
    )
    part = services.part_write(
        Part(story=story),
        editor=writer,
        text=services.PartText(title="The Harbour", body="Gulls.\n\nThe lamp.\n\nSix."),
        tags={"trope": ["Gulls"], "warning": ["Storms"]},
        state=PartState.PUBLISHED,
    )
    services.part_write(
        part,
        editor=writer,
        text=services.PartText(title="The Harbour", body="Gulls cried.\n\nThe lamp.\n\nSeven."),
    )
    first = part.revisions.order_by("id").first()
    invited = User.objects.create_user("ines", "ines@example.org", "ines-password-1")
    other = services.story_save(Story(title="Ines's Book"), authors=[invited])
    services.coauthor_invite(other, invitee=writer, invited_by=invited)
    return {
        "desk": "/desk/",
        "new book": "/desk/stories/new/",
        "book": f"/desk/stories/{story.pk}/",
        "book details": f"/desk/stories/{story.pk}/edit/",
        "delete book": f"/desk/stories/{story.pk}/delete/",
        "editor": f"/desk/parts/{part.pk}/edit/",
        "preview": f"/desk/parts/{part.pk}/preview/",
        "history": f"/desk/parts/{part.pk}/revisions/",
        "changes": f"/desk/parts/{part.pk}/revisions/compare/?from={first.pk}&to=current",
        "delete part": f"/desk/parts/{part.pk}/delete/",
    }


DESK_PAGES = [
    "desk", "new book", "book", "book details", "delete book", "editor", "preview", "history",
    "changes", "delete part",
]  # fmt: skip


@SAME_HTML
@pytest.mark.browser
def test_the_desk_pages_pass_axe_in_both_themes_and_fit_a_phone(new_page, live_server, writer, axe):
    addresses = desk_addresses(writer)
    assert set(addresses) == set(DESK_PAGES)
    failures = []
    for options, screen in (({}, "desktop"), (PHONE, "phone")):
        page = signed_in_page(new_page, live_server, writer, **options)
        for name in DESK_PAGES:
            page.goto(addresses[name])
            expect(heading(page)).to_be_visible()
            if screen == "phone" and not fits_the_screen_width(page):
                failures.append(f"{name} on a phone: wider than the screen")
            for theme in ("light", "dark"):
                if theme == "dark":
                    page.evaluate("document.documentElement.dataset.theme = 'dark'")
                violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
                for violation in violations:
                    targets = [node["target"] for node in violation["nodes"]]
                    failures.append(f"{name} ({screen}, {theme}): {violation['id']} {targets}")
            page.evaluate("delete document.documentElement.dataset.theme")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
@pytest.mark.parametrize("name", DESK_PAGES)
def test_the_desk_pages_are_well_formed_html5(writer, name, settings, tmp_path):
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(writer)
    response = client.get(desk_addresses(writer)[name])
    assert response.status_code == 200
    parser = html5lib.HTMLParser(namespaceHTMLElements=False)
    document = parser.parse(response.content, transport_encoding="utf-8")
    errors = [f"line {line}: {code} {data or ''}" for (line, _c), code, data in parser.errors]
    assert not errors, "\n".join(errors)
    assert len(document.findall(".//h1")) == 1
    assert len(document.findall(".//main")) == 1
    ids = Counter(element.get("id") for element in document.iter() if element.get("id"))
    assert [id for id, count in ids.items() if count > 1] == []
    for label in document.iter("label"):
        target = label.get("for")
        if target:
            assert document.find(f".//*[@id='{target}']") is not None, target
