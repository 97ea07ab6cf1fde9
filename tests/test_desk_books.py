"""Alice's desk: her books with their state and counts, and starting and editing a book with
its rating, archive warnings, tags, language, status and who may read it."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from storyhouse.accounts.models import User
from storyhouse.stories import services
from storyhouse.stories.models import Part, PartState, Story, Tag, TagType, Visibility
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def signed_in(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(user)
    return client


@pytest.fixture
def desk(alice) -> Client:
    return signed_in(alice)


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def book_form(**changes) -> dict:
    """What a writer fills in for a new book: the least the form needs, and the changes."""
    data = {
        "title": "The Lighthouse",
        "description": "A keeper, a storm and *one* light.",
        "language": "en",
        "status": "ongoing",
        "visibility": "public",
        "rating": Tag.objects.get(name="Teen And Up Audiences").pk,
        "archive_warnings": [Tag.objects.get(name="No Archive Warnings Apply").pk],
        "other_warnings": "",
        "categories": [],
        "fandoms": "",
        "relationships": "",
        "characters": "",
        "tropes": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def errors_of(html: str) -> list[str]:
    return re.findall(r'<ul class="errorlist"[^>]*><li>(.*?)</li>', html)


# The desk


def test_a_new_writer_is_invited_to_start_a_book(desk):
    html = page(desk.get("/desk/"))
    assert "<h1>Your desk</h1>" in html
    assert "You have not started a book yet." in html
    assert 'href="/desk/stories/new/"' in html


def test_the_desk_lists_each_book_with_its_state_parts_and_counts(alice, bob, desk):
    lighthouse = write_book(alice, "The Lighthouse", ["Arrival", "Storm"])
    services.part_save(Part(story=lighthouse, title="Morning", body="<p>One two three.</p>"))
    first = lighthouse.parts.get(title="Arrival")
    first.imported_reads, first.imported_votes = 120, 4
    services.part_save(first)
    write_book(alice, "Notes for Later", 0, visibility=Visibility.DRAFT)
    write_book(bob, "Bob's Own", 1)

    html = page(desk.get("/desk/"))

    titles = re.findall(r'class="desk-book__title"><a href="[^"]+">([^<]+)</a>', html)
    assert titles == ["Notes for Later", "The Lighthouse"]
    lighthouse_card = html[html.index(">The Lighthouse</a>") :]
    assert "Published</span> · for everyone" in lighthouse_card
    assert "3 parts: 2 published, 1 draft" in lighthouse_card
    words = sum(part.word_count for part in lighthouse.parts.all())
    assert f'data-count="words"><strong>{words}</strong> words' in lighthouse_card
    assert 'data-count="reads"><strong>120</strong> reads' in lighthouse_card
    assert 'data-count="votes"><strong>4</strong> votes' in lighthouse_card
    notes_card = html[html.index(">Notes for Later</a>") : html.index(">The Lighthouse</a>")]
    assert "Draft</span> · only you and your co-authors see it" in notes_card
    assert "0 parts" in notes_card
    assert "Bob's Own" not in html


def test_the_desk_shows_a_hidden_book_marked_with_the_reason(alice, desk):
    story = write_book(alice, "Trouble", 1)
    story.visibility, story.hidden_reason = Visibility.HIDDEN, "Reported as spam."
    services.story_save(story)
    html = page(desk.get("/desk/"))
    assert "Hidden by a moderator</span>: Reported as spam." in html


def test_the_desk_costs_as_many_queries_for_twelve_books_as_for_two(alice, desk):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page(desk.get("/desk/"))
        return len(captured)

    for number in range(2):
        write_book(alice, f"Book {number}", 2)
    few = queries()
    for number in range(2, 12):
        write_book(alice, f"Book {number}", 2)
    assert queries() == few


def test_guests_are_sent_to_log_in(reader, settings):
    response = reader.get("/desk/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/desk/")


def test_the_navigation_offers_write_to_signed_in_people_only(desk, reader):
    assert '<a href="/desk/">Write</a>' in page(desk.get("/"))
    assert 'href="/desk/"' not in page(reader.get("/"))


# A new book


def test_alice_starts_a_book_with_tags_and_it_waits_on_her_desk(alice, desk):
    canonical = services.tag_save(Tag(name="Slow Burn", type=TagType.TROPE, canonical=True))
    response = desk.post(
        "/desk/stories/new/",
        book_form(
            fandoms="Original Work",
            characters="The Keeper, Mara",
            relationships="The Keeper/Mara",
            tropes="slow burn, Found Family, found family",
            archive_warnings=[Tag.objects.get(name="Major Character Death").pk],
            other_warnings="canonical character death",
            categories=[Tag.objects.get(name="F/F").pk],
            language="pt-BR",
            status="complete",
        ),
    )

    story = Story.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/stories/{story.pk}/"
    assert story.title == "The Lighthouse"
    assert story.description == "<p>A keeper, a storm and <em>one</em> light.</p>"
    assert story.description_source == "A keeper, a storm and *one* light."
    assert story.rating.name == "Teen And Up Audiences"
    assert story.language == "pt-BR"
    assert story.status == "complete"
    assert story.visibility == Visibility.PUBLIC
    assert list(story.byline_authors) == [alice]
    tags = {(tag.type, tag.name) for tag in story.tags.all()}
    assert tags == {
        ("warning", "Major Character Death"),
        ("warning", "canonical character death"),
        ("category", "F/F"),
        ("fandom", "Original Work"),
        ("character", "The Keeper"),
        ("character", "Mara"),
        ("relationship", "The Keeper/Mara"),
        ("trope", "Slow Burn"),
        ("trope", "Found Family"),
    }
    # "slow burn" is the canonical tag that already existed, not a second one.
    assert story.tags.get(name="Slow Burn") == canonical
    # A free warning that means an archive warning filters as it.
    death = story.tags.get(name="canonical character death")
    assert death.synonym_of.name == "Major Character Death"
    html = page(desk.get(response["Location"]))
    assert "Now add its first part." in html


def test_a_new_book_is_a_not_rated_draft_unless_the_writer_says_otherwise(desk):
    html = page(desk.get("/desk/stories/new/"))
    not_rated = Tag.objects.get(name="Not Rated")
    assert f'<option value="{not_rated.pk}" selected>Not Rated</option>' in html
    assert re.search(r'<input type="radio" name="visibility" value="draft"[^>]* checked', html)
    assert '<option value="pt-BR">Português (Brasil)</option>' in html
    # Hidden is for moderators: the writer is not offered it.
    assert 'value="hidden"' not in html


def test_a_name_already_used_by_a_tag_of_another_type_is_that_tag(desk):
    services.tag_save(Tag(name="Hurt/Comfort", type=TagType.TROPE, canonical=True))
    desk.post("/desk/stories/new/", book_form(characters="Hurt/Comfort"))
    tag = Story.objects.get().tags.get(name="Hurt/Comfort")
    assert tag.type == TagType.TROPE
    assert Tag.objects.filter(name__iexact="hurt/comfort").count() == 1


@pytest.mark.parametrize(
    ("warnings", "message"),
    [
        ([], "Choose at least one archive warning."),
        (
            ["Creator Chose Not To Use Archive Warnings", "Major Character Death"],
            "“Creator Chose Not To Use Archive Warnings” cannot be combined with other archive "
            "warnings.",
        ),
        (
            ["No Archive Warnings Apply", "Graphic Depictions Of Violence"],
            "“No Archive Warnings Apply” cannot be combined with other archive warnings.",
        ),
    ],
)
def test_archive_warnings_are_a_required_and_consistent_choice(desk, warnings, message):
    chosen = [Tag.objects.get(name=name).pk for name in warnings]
    response = desk.post("/desk/stories/new/", book_form(archive_warnings=chosen))
    assert response.status_code == 200
    assert message in errors_of(response.content.decode())
    assert not Story.objects.exists()


def test_a_free_warning_meaning_an_archive_warning_counts_as_it(desk):
    response = desk.post(
        "/desk/stories/new/",
        book_form(other_warnings="Character death"),  # with "No Archive Warnings Apply"
    )
    assert response.status_code == 200
    assert errors_of(response.content.decode()) == [
        "“No Archive Warnings Apply” cannot be combined with other archive warnings."
    ]


def test_several_archive_warnings_may_go_together(desk):
    chosen = ["Graphic Depictions Of Violence", "Major Character Death"]
    desk.post(
        "/desk/stories/new/",
        book_form(archive_warnings=[Tag.objects.get(name=name).pk for name in chosen]),
    )
    assert sorted(Story.objects.get().tags.values_list("name", flat=True)) == chosen


def test_a_book_needs_a_title_and_a_rating(desk):
    response = desk.post("/desk/stories/new/", book_form(title="  ", rating=None))
    html = response.content.decode()
    assert "This field is required." in errors_of(html)
    assert html.count('aria-invalid="true"') >= 2
    assert not Story.objects.exists()


def test_a_writer_cannot_hide_a_book_by_sending_hidden(desk):
    response = desk.post("/desk/stories/new/", book_form(visibility="hidden"))
    assert response.status_code == 200
    assert not Story.objects.exists()


def test_the_writers_html_in_the_description_is_cleaned(desk):
    desk.post(
        "/desk/stories/new/",
        book_form(description='Hi <script>alert(1)</script><img src=x onerror="alert(2)">'),
    )
    story = Story.objects.get()
    assert "script" not in story.description
    assert "onerror" not in story.description
    assert "<img" not in story.description


# Editing a book


@pytest.fixture
def lighthouse(alice, desk) -> Story:
    desk.post(
        "/desk/stories/new/",
        book_form(
            fandoms="Original Work",
            tropes="Slow Burn",
            archive_warnings=[Tag.objects.get(name="Major Character Death").pk],
            other_warnings="grief",
        ),
    )
    return Story.objects.get()


def test_the_edit_form_shows_what_the_writer_wrote(desk, lighthouse):
    html = page(desk.get(f"/desk/stories/{lighthouse.pk}/edit/"))
    assert "A keeper, a storm and *one* light.</textarea>" in html
    assert 'value="Original Work"' in html
    assert 'value="Slow Burn"' in html
    assert 'value="grief"' in html
    death = Tag.objects.get(name="Major Character Death")
    assert re.search(rf'value="{death.pk}"[^>]*checked', html)


def test_editing_changes_the_book_and_keeps_tags_the_form_does_not_show(desk, lighthouse):
    english = services.tag_get_or_create("English", type=TagType.LANGUAGE)
    lighthouse.tags.add(english)
    response = desk.post(
        f"/desk/stories/{lighthouse.pk}/edit/",
        book_form(
            title="The Lighthouse Keeper",
            tropes="Found Family",
            fandoms="Original Work",
            archive_warnings=[Tag.objects.get(name="Major Character Death").pk],
            visibility="members",
        ),
    )
    assert response.status_code == 302
    story = Story.objects.get()
    assert story.title == "The Lighthouse Keeper"
    assert story.visibility == Visibility.MEMBERS
    names = set(story.tags.values_list("name", flat=True))
    assert names == {"Major Character Death", "Original Work", "Found Family", "English"}


def test_a_writer_sees_a_hidden_book_marked_and_cannot_bring_it_back(desk, lighthouse):
    lighthouse.visibility, lighthouse.hidden_reason = Visibility.HIDDEN, "Copied from elsewhere."
    services.story_save(lighthouse)

    html = page(desk.get(f"/desk/stories/{lighthouse.pk}/edit/"))
    assert "A moderator has hidden this book" in html
    assert "Copied from elsewhere." in html

    desk.post(
        f"/desk/stories/{lighthouse.pk}/edit/",
        book_form(
            title="Renamed",
            visibility="public",
            archive_warnings=[Tag.objects.get(name="Major Character Death").pk],
        ),
    )
    story = Story.objects.get()
    assert story.title == "Renamed"
    assert story.visibility == Visibility.HIDDEN
    assert story.hidden_reason == "Copied from elsewhere."


def test_a_language_the_list_does_not_offer_is_kept(desk, lighthouse):
    Story.objects.filter(pk=lighthouse.pk).update(language="gsw")
    html = page(desk.get(f"/desk/stories/{lighthouse.pk}/edit/"))
    assert '<option value="gsw" selected>gsw</option>' in html


def test_deleting_a_book_asks_first(desk, lighthouse):
    html = page(desk.get(f"/desk/stories/{lighthouse.pk}/delete/"))
    assert "Delete “The Lighthouse”?" in html
    assert Story.objects.exists()
    response = desk.post(f"/desk/stories/{lighthouse.pk}/delete/")
    assert response.status_code == 302
    assert not Story.objects.exists()


def test_the_book_desk_lists_parts_in_order_with_their_state(alice, desk):
    story = write_book(alice, "The Lighthouse", ["Arrival", "Storm"])
    services.part_save(Part(story=story, title="Morning", body="<p>Soon.</p>"))
    html = page(desk.get(f"/desk/stories/{story.pk}/"))
    rows = re.findall(
        r'class="desk-part__title" href="[^"]+">([^<]+)</a>\s*'
        r'<span class="desk-part__meta"><span class="state state--(\w+)">',
        html,
    )
    assert rows == [("Arrival", "published"), ("Storm", "published"), ("Morning", "draft")]
    assert story.parts.filter(state=PartState.PUBLISHED).count() == 2


# Tag suggestions


def test_tag_suggestions_offer_canonical_tags_of_the_type_completing_the_field(desk):
    for name in ("Slow Burn", "Slow Dancing", "Burning Slowly", "Fluff"):
        services.tag_save(Tag(name=name, type=TagType.TROPE, canonical=True))
    services.tag_save(Tag(name="slow slow slow", type=TagType.TROPE))  # not canonical
    services.tag_save(Tag(name="Slow Character", type=TagType.CHARACTER, canonical=True))

    html = page(desk.get("/desk/tags/", {"type": "trope", "q": "Fluff, slo"}))

    options = re.findall(r'<option value="([^"]+)">', html)
    # Names starting with what was typed come first; each option is the whole field.
    assert options == ["Fluff, Slow Burn", "Fluff, Slow Dancing", "Fluff, Burning Slowly"]


def test_tag_suggestions_escape_names_and_need_a_known_type(desk):
    services.tag_save(Tag(name='Quotes "and" <tags>', type=TagType.TROPE, canonical=True))
    html = page(desk.get("/desk/tags/", {"type": "trope", "q": "quotes"}))
    assert "Quotes &quot;and&quot; &lt;tags&gt;" in html
    assert desk.get("/desk/tags/", {"type": "nonsense", "q": "a"}).status_code == 400
    assert page(desk.get("/desk/tags/", {"type": "trope", "q": ""})).strip() == ""


def test_the_tag_inputs_point_at_their_suggestions(desk):
    html = page(desk.get("/desk/stories/new/"))
    assert re.search(r'<input type="text" name="characters"[^>]*list="character-options"', html)
    assert '<datalist id="character-options"></datalist>' in html
    assert 'data-tag-options="/desk/tags/"' in html
