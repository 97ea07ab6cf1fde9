"""Alice writes the parts of her book at her desk: adds, edits, reorders and deletes them,
writes in Markdown or rich text, lets drafts save themselves, looks back through their
history, previews them and publishes them now, later, or takes them back."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from storyhouse.accounts.models import User
from storyhouse.stories import services
from storyhouse.stories.models import Part, PartRevision, PartState, Story, Tag, Visibility
from storyhouse.stories.signals import part_published
from tests.helpers import BROWSER_AGENT

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def desk(alice: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(alice)
    return client


@pytest.fixture
def announced():
    """The parts `part_published` told the site about, in order."""
    sent: list[int] = []

    def receiver(sender, part, **kwargs):
        sent.append(part.pk)

    part_published.connect(receiver, weak=False)
    yield sent
    part_published.disconnect(receiver)


@pytest.fixture
def book(alice) -> Story:
    return services.story_edit(
        Story(title="The Lighthouse", visibility=Visibility.PUBLIC),
        editor=alice,
        description_source="",
        tags={"warning": [Tag.objects.get(name="No Archive Warnings Apply")]},
    )


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def add_part(desk: Client, story: Story) -> Part:
    response = desk.post(f"/desk/stories/{story.pk}/parts/new/")
    part = story.parts.order_by("-id").first()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/parts/{part.pk}/edit/"
    return part


def part_form(**changes) -> dict:
    data = {
        "title": "Arrival",
        "description": "",
        "notes_before": "",
        "notes_after": "",
        "body_format": "markdown",
        "body": "The fog came in.\n\nThe keeper lit the lamp.",
        "tropes": "",
        "warnings": "",
        "publish_at": "",
        "action": "save",
    }
    data.update(changes)
    return data


def save(desk: Client, part: Part, **changes):
    response = desk.post(f"/desk/parts/{part.pk}/edit/", part_form(**changes))
    part.refresh_from_db()
    return response


def autosave(desk: Client, part: Part, **changes) -> str:
    response = desk.post(
        f"/desk/parts/{part.pk}/autosave/", part_form(**changes), HTTP_HX_REQUEST="true"
    )
    part.refresh_from_db()
    return page(response)


def paragraph_ids(html: str) -> list[str]:
    return re.findall(r'<p id="(p-[0-9a-f]+)">', html)


# Adding, editing, reordering, deleting


def test_adding_a_part_opens_the_editor_on_a_fresh_draft(desk, book):
    part = add_part(desk, book)
    assert (part.title, part.state, part.position) == ("Part 1", PartState.DRAFT, 1)
    html = page(desk.get(f"/desk/parts/{part.pk}/edit/"))
    assert "Editing “Part 1”" in html
    assert f'hx-post="/desk/parts/{part.pk}/autosave/"' in html
    assert "Save draft" in html and "Publish now" in html
    second = add_part(desk, book)
    assert (second.title, second.position) == ("Part 2", 2)


def test_a_part_is_written_in_markdown_with_its_notes_tags_and_word_count(desk, book):
    part = add_part(desk, book)
    response = save(
        desk,
        part,
        title="Arrival",
        description="The *first* night.",
        notes_before="Written during a storm.",
        notes_after="Thank you for reading!",
        body="The fog came in.\n\nThe keeper lit the **lamp**.",
        tropes="Slow Burn, Lighthouses",
        warnings="character death",
    )
    assert response.status_code == 302
    assert part.title == "Arrival"
    assert part.description == "<p>The <em>first</em> night.</p>"
    assert part.notes_before == "<p>Written during a storm.</p>"
    assert part.notes_after == "<p>Thank you for reading!</p>"
    assert re.fullmatch(
        r'<p id="p-[0-9a-f]{4}">The fog came in\.</p>\n'
        r'<p id="p-[0-9a-f]{4}">The keeper lit the <strong>lamp</strong>\.</p>',
        part.body,
    )
    assert part.word_count == 9
    assert part.state == PartState.DRAFT
    tags = {(tag.type, tag.name) for tag in part.tags.all()}
    assert tags == {
        ("trope", "Slow Burn"),
        ("trope", "Lighthouses"),
        ("warning", "character death"),
    }
    # The editor shows the Markdown again, not the HTML made from it.
    html = page(desk.get(f"/desk/parts/{part.pk}/edit/"))
    assert "The keeper lit the **lamp**.</textarea>" in html
    assert "The *first* night.</textarea>" in html


def test_paragraph_ids_survive_markdown_edits_of_the_paragraphs_around_them(desk, book):
    part = add_part(desk, book)
    save(desk, part, body="One.\n\nTwo.\n\nThree.")
    before = paragraph_ids(part.body)
    save(desk, part, body="One, changed.\n\nTwo.\n\nA new one.\n\nThree.")
    after = paragraph_ids(part.body)
    assert after[1] == before[1] and after[3] == before[2]
    assert len(set(after)) == 4


def test_rich_text_keeps_its_formatting_and_its_paragraph_ids(desk, book):
    part = add_part(desk, book)
    save(desk, part, body_format="html", body="<p>One <em>two</em>.</p><p>Three.</p>")
    assert part.body_format == "html"
    ids = paragraph_ids(part.body)
    assert "<em>two</em>" in part.body and len(ids) == 2
    # The rich-text editor sends the HTML back with its ids; an edited paragraph keeps its id.
    edited = part.body.replace("Three.", "Three, and four.")
    save(desk, part, body_format="html", body=edited)
    assert paragraph_ids(part.body) == ids
    html = page(desk.get(f"/desk/parts/{part.pk}/edit/"))
    assert f'<template id="rich-initial"><p id="{ids[0]}">One <em>two</em>.</p>' in html


# What must never reach a page; the words of a javascript: link may stay, as plain text.
DANGERS = ["<script", "onerror=", "onload=", "onclick=", 'href="javascript:', "<svg", "<style",
           "style=", "<iframe"]  # fmt: skip
XSS = [
    "<script>alert('script')</script>",
    '<img src="x" onerror="alert(\'img\')">',
    "[click me](javascript:alert('link'))",
    '<a href="javascript:alert(1)">a link</a>',
    '<svg onload="alert(\'svg\')"><circle r="5"/></svg>',
    "<style>body { display: none }</style>",
    '<p style="background: url(javascript:alert(1))" onclick="alert(2)">styled</p>',
    '<iframe src="https://evil.example/"></iframe>',
]


@pytest.mark.parametrize("body_format", ["markdown", "html"])
def test_nothing_a_writer_types_can_run_in_a_readers_browser(desk, book, reader, body_format):
    part = add_part(desk, book)
    payload = "\n\n".join(XSS)
    save(
        desk,
        part,
        body_format=body_format,
        body=payload,
        description=payload,
        notes_before=payload,
        notes_after=payload,
        title="<script>alert('title')</script>",
        action="publish",
    )
    html = page(reader.get(part.get_absolute_url()))
    for field in (part.body, part.description, part.notes_before, part.notes_after):
        lowered = field.lower()
        for danger in DANGERS:
            assert danger not in lowered
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in html
    assert "styled" in part.body  # the words stay; only the danger goes


def test_parts_move_up_and_down_and_readers_follow_the_new_order(desk, book, reader):
    parts = [add_part(desk, book) for _ in range(3)]
    for part, title in zip(parts, ["One", "Two", "Three"], strict=True):
        save(desk, part, title=title, action="publish")

    response = desk.post(f"/desk/parts/{parts[2].pk}/move/", {"direction": "up"})
    assert response.status_code == 302
    assert response["Location"] == f"/desk/stories/{book.pk}/#part-{parts[2].pk}"
    desk.post(f"/desk/parts/{parts[0].pk}/move/", {"direction": "up"})  # already first
    desk.post(f"/desk/parts/{parts[0].pk}/move/", {"direction": "down"})

    order = list(book.parts.order_by("position").values_list("title", flat=True))
    assert order == ["Three", "One", "Two"]
    html = page(reader.get(book.get_absolute_url()))
    assert re.findall(r'class="part-list__title" href="[^"]+">([^<]+)</a>', html) == order
    assert desk.post(f"/desk/parts/{parts[0].pk}/move/", {"direction": "left"}).status_code == 400


def test_deleting_a_part_asks_first_and_the_book_counts_follow(desk, book):
    keep, drop = add_part(desk, book), add_part(desk, book)
    save(desk, keep, action="publish")
    save(desk, drop, title="Old Draft", action="publish")
    assert Story.objects.get(pk=book.pk).parts_count == 2

    html = page(desk.get(f"/desk/parts/{drop.pk}/delete/"))
    assert "Delete “Old Draft”?" in html
    assert "unpublish it instead" in html
    response = desk.post(f"/desk/parts/{drop.pk}/delete/")
    assert response["Location"] == f"/desk/stories/{book.pk}/"
    assert list(book.parts.all()) == [keep]
    assert Story.objects.get(pk=book.pk).parts_count == 1


def test_a_part_needs_a_title(desk, book):
    part = add_part(desk, book)
    response = save(desk, part, title="   ")
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert part.title == "Part 1"


# Autosave


def test_a_draft_saves_itself_without_being_published(desk, book, reader):
    part = add_part(desk, book)
    status = autosave(desk, part, body="The first words.")
    now = timezone.localtime().strftime("%H:")
    assert re.search(r"Saved at \d\d:\d\d", status) and now in status
    assert part.body.endswith(">The first words.</p>")
    assert part.state == PartState.DRAFT
    assert reader.get(part.get_absolute_url()).status_code == 404
    # Nothing new typed: nothing written.
    assert "All changes saved." in autosave(desk, part, body="The first words.")


def test_autosaves_of_a_few_minutes_share_one_revision(desk, book):
    part = add_part(desk, book)
    for words in ["One", "One two", "One two three", "One two three four"]:
        autosave(desk, part, body=words)
    autosaves = part.revisions.filter(kind=PartRevision.Kind.AUTOSAVE)
    assert autosaves.count() == 1
    assert autosaves.get().body.endswith(">One two three four</p>")

    # Some minutes later, a new entry begins.
    autosaves.update(created_at=timezone.now() - timedelta(minutes=6))
    autosave(desk, part, body="One two three four five")
    assert part.revisions.filter(kind=PartRevision.Kind.AUTOSAVE).count() == 2
    # A deliberate save is its own entry.
    save(desk, part, body="One two three four five six")
    assert part.revisions.filter(kind=PartRevision.Kind.SAVE).count() == 2  # the first, and this


def test_autosave_keeps_the_old_title_while_a_new_one_is_typed(desk, book):
    part = add_part(desk, book)
    autosave(desk, part, title="", body="Words.")
    assert part.title == "Part 1"


def test_an_autosave_that_cannot_be_kept_says_so_in_the_status_line(desk, book):
    part = add_part(desk, book)
    status = autosave(desk, part, title="T" * 300, body="Words.")
    assert "Not saved yet" in status
    assert part.title == "Part 1" and part.body == ""


def test_changes_to_a_published_part_wait_until_the_writer_saves_them(desk, book, reader):
    part = add_part(desk, book)
    save(desk, part, body="As published.", action="publish")

    status = autosave(desk, part, body="Half-written changes.")
    assert "readers see them once you save" in status
    assert part.body.endswith(">As published.</p>")
    assert "As published." in page(reader.get(part.get_absolute_url()))

    html = page(desk.get(f"/desk/parts/{part.pk}/edit/"))
    assert "changes you made at" in html
    assert "Half-written changes.</textarea>" in html
    preview = page(desk.get(f"/desk/parts/{part.pk}/preview/"))
    assert "Half-written changes." in preview and "These changes are not published yet." in preview

    save(desk, part, body="Half-written changes, finished.")
    assert part.body.endswith(">Half-written changes, finished.</p>")
    assert "Half-written changes, finished." in page(reader.get(part.get_absolute_url()))
    assert "changes you made at" not in page(desk.get(f"/desk/parts/{part.pk}/edit/"))


def test_unsaved_changes_to_a_published_part_can_be_thrown_away(desk, book):
    part = add_part(desk, book)
    save(desk, part, body="As published.", action="publish")
    autosave(desk, part, body="A bad idea.")
    desk.post(f"/desk/parts/{part.pk}/discard/")
    html = page(desk.get(f"/desk/parts/{part.pk}/edit/"))
    assert "A bad idea." not in html
    assert "As published.</textarea>" in html


# Preview, history


def test_the_preview_shows_the_part_as_readers_will_see_it(desk, book):
    part = add_part(desk, book)
    save(desk, part, title="Arrival", body="The *fog*.", notes_before="A note.", tropes="Fog")
    html = page(desk.get(f"/desk/parts/{part.pk}/preview/"))
    assert "<strong>Preview</strong>" in html
    assert "It is not published yet." in html
    assert '<h1 class="part__title">Arrival</h1>' in html
    assert "The <em>fog</em>." in html
    assert "A note." in html and ">Fog</a>" in html
    assert '<meta name="robots" content="noindex">' in html


def test_save_and_preview_saves_then_shows_the_preview(desk, book):
    part = add_part(desk, book)
    response = save(desk, part, body="Previewed.", action="preview")
    assert response["Location"] == f"/desk/parts/{part.pk}/preview/"
    assert part.body.endswith(">Previewed.</p>")


def test_the_history_compares_versions_and_restores_one(desk, book):
    part = add_part(desk, book)
    save(desk, part, body="The fog came in.\n\nThe keeper slept.\n\nMorning.")
    first = part.revisions.order_by("-id").first()
    save(desk, part, body="The fog rolled in.\n\nThe keeper slept.\n\nA ship.\n\nMorning.")

    html = page(desk.get(f"/desk/parts/{part.pk}/revisions/"))
    assert html.count("data-revision=") == part.revisions.count() == 3
    html = page(desk.get(f"/desk/parts/{part.pk}/revisions/compare/?from={first.pk}&to=current"))
    assert re.search(r"The fog <del>.*?came.*?</del><ins>.*?rolled.*?</ins> in\.", html)
    assert re.search(
        r"<ins><span class=\"visually-hidden\">Added paragraph: </span>A ship\.</ins>", html
    )
    assert '<p class="diff diff--same">The keeper slept.</p>' in html

    response = desk.post(f"/desk/parts/{part.pk}/revisions/{first.pk}/restore/")
    assert response["Location"] == f"/desk/parts/{part.pk}/edit/"
    part.refresh_from_db()
    assert "The fog came in." in part.body and "A ship." not in part.body
    latest = part.revisions.order_by("-id").first()
    assert latest.kind == PartRevision.Kind.RESTORE
    assert part.revisions.count() == 4  # the restore is a revision of its own
    compare = page(desk.get(f"/desk/parts/{part.pk}/revisions/compare/?from={first.pk}"))
    assert "No differences: these two versions are the same." in compare


def test_a_revision_of_another_part_is_not_found(desk, book):
    one, two = add_part(desk, book), add_part(desk, book)
    save(desk, two, body="Two.")
    other = two.revisions.first()
    assert desk.get(f"/desk/parts/{one.pk}/revisions/compare/?from={other.pk}").status_code == 404
    assert desk.post(f"/desk/parts/{one.pk}/revisions/{other.pk}/restore/").status_code == 404


# Publishing


def test_publishing_now_puts_the_part_before_readers_and_tells_the_site_once(
    desk, book, reader, announced, django_capture_on_commit_callbacks
):
    part = add_part(desk, book)
    with django_capture_on_commit_callbacks(execute=True):
        response = save(desk, part, action="publish")
    assert response.status_code == 302
    assert part.state == PartState.PUBLISHED and part.published_at
    assert announced == [part.pk]
    assert "Published: readers can read it now." in page(desk.get(response["Location"]))
    assert page(reader.get(part.get_absolute_url()))
    with django_capture_on_commit_callbacks(execute=True):
        save(desk, part, body="An edit after publishing.")
    assert announced == [part.pk]


def test_unpublishing_takes_a_part_back_and_publishing_again_tells_no_one_twice(
    desk, book, reader, announced, django_capture_on_commit_callbacks
):
    part = add_part(desk, book)
    with django_capture_on_commit_callbacks(execute=True):
        save(desk, part, action="publish")
        save(desk, part, action="unpublish")
    assert part.state == PartState.DRAFT
    assert reader.get(part.get_absolute_url()).status_code == 404
    assert Story.objects.get(pk=book.pk).parts_count == 0
    with django_capture_on_commit_callbacks(execute=True):
        save(desk, part, action="publish")
    assert reader.get(part.get_absolute_url()).status_code == 200
    assert announced == [part.pk]


def test_a_part_can_be_scheduled_for_later(desk, book, reader, announced):
    part = add_part(desk, book)
    when = timezone.localtime() + timedelta(days=2)
    response = save(desk, part, action="schedule", publish_at=when.strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 302
    assert part.state == PartState.SCHEDULED
    assert part.publish_at == when.replace(second=0, microsecond=0)
    assert reader.get(part.get_absolute_url()).status_code == 404
    assert "Scheduled: it comes out on" in page(desk.get(response["Location"]))
    assert "Scheduled</span>" in page(desk.get(f"/desk/stories/{book.pk}/"))
    assert announced == []

    save(desk, part, action="unpublish")
    assert (part.state, part.publish_at) == (PartState.DRAFT, None)


@pytest.mark.parametrize(
    ("publish_at", "message"),
    [
        ("", "Choose the date and time it comes out."),
        ("2001-01-01T10:00", "Choose a time in the future."),
    ],
)
def test_a_schedule_needs_a_time_to_come(desk, book, publish_at, message):
    part = add_part(desk, book)
    response = save(desk, part, action="schedule", publish_at=publish_at)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert part.state == PartState.DRAFT


def test_parts_of_a_draft_book_are_announced_when_the_book_is_shared(
    alice, desk, announced, django_capture_on_commit_callbacks
):
    story = services.story_edit(
        Story(title="Secret Book"),
        editor=alice,
        description_source="",
        tags={"warning": [Tag.objects.get(name="No Archive Warnings Apply")]},
    )
    part = add_part(desk, story)
    with django_capture_on_commit_callbacks(execute=True):
        save(desk, part, action="publish")
    assert announced == []
    with django_capture_on_commit_callbacks(execute=True):
        story.visibility = Visibility.PUBLIC
        services.story_save(story)
        services.story_save(story)
    assert announced == [part.pk]
