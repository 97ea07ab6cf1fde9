"""Bob's reading preferences: tags and warnings he hides are left out of every list, and a part
carrying one asks before it shows its text."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from storyhouse.accounts import services as accounts
from storyhouse.engagement import read_buffer
from storyhouse.stories import access, services
from storyhouse.stories.models import Part, PartState, Story, Tag, TagType
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db


def text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def titles_in(html: str) -> set[str]:
    return set(re.findall(r'class="story-card__title"><a href="[^"]+">([^<]+)</a>', html))


def tag(name: str, type: str = TagType.TROPE, **fields) -> Tag:
    return services.tag_save(Tag(name=name, type=type, **fields))


@pytest.fixture
def as_bob(bob) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(bob)
    return client


@pytest.fixture
def death() -> Tag:
    return Tag.objects.get(name="Major Character Death")


@pytest.fixture
def shelf(alice, death) -> dict[str, Story]:
    """Alice's books: one warns on the book, one only on a part, one is rated Explicit, and
    one carries a synonym of the warning; two carry nothing bob minds."""
    sea = tag("Sea", TagType.FANDOM)
    synonym = services.warning_tag("canonical character death")
    assert synonym.synonym_of == death
    on_book = write_book(alice, "The Last Keeper", 2, tags=[death, sea])
    on_part = write_book(alice, "One-Shots of the Sea", ["Gentle", "Grim"], tags=[sea])
    on_part.parts.get(title="Grim").tags.add(death)
    explicit = write_book(alice, "After Dark", 1, tags=[sea])
    explicit.rating = Tag.objects.get(name="Explicit")
    services.story_save(explicit)
    through_synonym = write_book(alice, "Salt Widow", 1, tags=[synonym, sea])
    draft_warning = write_book(alice, "Calm Waters", 1, tags=[sea])
    services.part_save(
        Part(story=draft_warning, title="Unfinished", body="<p>Later.</p>"), tags=[death]
    )
    gentle = write_book(alice, "Morning Ferry", 1, tags=[sea])
    return {
        "on_book": on_book,
        "on_part": on_part,
        "explicit": explicit,
        "through_synonym": through_synonym,
        "draft_warning": draft_warning,
        "gentle": gentle,
    }


ALL = {
    "The Last Keeper",
    "One-Shots of the Sea",
    "After Dark",
    "Salt Widow",
    "Calm Waters",
    "Morning Ferry",
}
WITHOUT_DEATH = {"After Dark", "Calm Waters", "Morning Ferry"}


def lists_seen_by(client: Client) -> dict[str, set[str]]:
    return {
        "home": titles_in(text(client.get("/"))),
        "tag": titles_in(text(client.get("/tags/sea/"))),
        "author": titles_in(text(client.get("/authors/alice/"))),
    }


def test_bob_hides_a_warning_and_no_list_shows_books_carrying_it(as_bob, bob, shelf, death):
    assert lists_seen_by(as_bob) == {"home": ALL, "tag": ALL, "author": ALL}

    as_bob.post("/accounts/preferences/", {"tag": death.pk, "hide": "1"})

    # On the book, on a published part, or through a synonym: all left out. A warning on a
    # part that is still a draft is nothing readers see, so that book stays.
    assert lists_seen_by(as_bob) == {
        "home": WITHOUT_DEATH,
        "tag": WITHOUT_DEATH,
        "author": WITHOUT_DEATH,
    }
    assert set(access.listed_stories(bob).values_list("title", flat=True)) == WITHOUT_DEATH


def test_typing_a_synonym_hides_its_canonical_tag_and_all_its_synonyms(as_bob, bob, shelf, death):
    synonym = Tag.objects.get(name="canonical character death")
    page = text(as_bob.get("/accounts/preferences/", {"q": "canonical char"}))
    assert "a synonym of Major Character Death: hides it and all its synonyms" in page

    done = as_bob.post(
        "/accounts/preferences/", {"tag": synonym.pk, "hide": "1", "q": "canonical char"}
    )

    assert done["Location"] == "/accounts/preferences/?q=canonical+char"
    assert list(bob.hidden_tags.all()) == [death]
    assert titles_in(text(as_bob.get("/"))) == WITHOUT_DEATH


def test_hiding_a_rating_hides_the_books_rated_so(as_bob, bob, shelf):
    accounts.preferences_hide_tag(bob, Tag.objects.get(name="Explicit"))
    assert titles_in(text(as_bob.get("/tags/sea/"))) == ALL - {"After Dark"}


def test_guests_and_other_readers_see_everything(as_bob, bob, shelf, death, alice, reader):
    accounts.preferences_hide_tag(bob, death)
    assert titles_in(text(reader.get("/"))) == ALL
    assert set(access.listed_stories(alice).values_list("title", flat=True)) == ALL


def test_bob_shows_a_tag_again(as_bob, bob, shelf, death):
    accounts.preferences_hide_tag(bob, Tag.objects.get(name="canonical character death"))
    page = text(as_bob.get("/accounts/preferences/"))
    assert 'href="/tags/major-character-death/">Major Character Death</a>' in page
    assert "and 1 synonym" in page

    done = as_bob.post("/accounts/preferences/", {"tag": death.pk, "show": "1"}, follow=True)

    assert "Major Character Death shows again." in text(done)
    assert bob.hidden_tags.count() == 0
    assert titles_in(text(as_bob.get("/"))) == ALL


def test_the_search_box_finds_tags_and_leaves_out_hidden_ones(as_bob, bob, shelf, death):
    page = text(as_bob.get("/accounts/preferences/", {"q": "death"}))
    results = page[page.index('id="tag-results"') :]
    assert ">Major Character Death</span>" in results
    assert ">canonical character death</span>" in results

    accounts.preferences_hide_tag(bob, death)
    page = text(as_bob.get("/accounts/preferences/", {"q": "death"}))
    assert "No tag you do not already hide matches “death”." in page

    # While bob types, htmx asks for the results alone.
    partial = text(as_bob.get("/accounts/preferences/", {"q": "sea"}, HTTP_HX_REQUEST="true"))
    assert partial.startswith('<div id="tag-results"')
    assert ">Sea</span>" in partial
    assert "<html" not in partial


def test_a_tag_that_is_gone_is_a_clear_message(as_bob):
    page = text(as_bob.post("/accounts/preferences/", {"tag": 99999, "hide": "1"}))
    assert "That tag no longer exists." in page


def test_lists_cost_the_same_queries_however_many_tags_bob_hides(as_bob, bob, shelf, alice):
    accounts.preferences_hide_tag(bob, Tag.objects.get(name="Explicit"))

    def queries_for(address: str) -> int:
        with CaptureQueriesContext(connection) as context:
            text(as_bob.get(address))
        return len(context)

    before = {address: queries_for(address) for address in ["/", "/tags/sea/", "/authors/alice/"]}
    sea = Tag.objects.get(name="Sea")
    for number in range(10):
        accounts.preferences_hide_tag(bob, tag(f"Hidden trope {number}"))
        write_book(alice, f"More Sea {number}", 2, tags=[sea])
    after = {address: queries_for(address) for address in before}

    assert after == before


# A part carrying a hidden warning


def test_a_part_carrying_a_hidden_warning_asks_first(as_bob, bob, shelf, death):
    accounts.preferences_hide_tag(bob, death)
    book = shelf["on_part"]
    grim = book.parts.get(title="Grim")

    page = text(as_bob.get(grim.get_absolute_url()))

    assert (
        "This part carries a warning you chose to hide: <strong>Major Character Death</strong>."
        in page
    )
    assert f'href="{grim.get_absolute_url()}?show=hidden" rel="nofollow">Show it anyway</a>' in page
    assert f'<a href="{book.get_absolute_url()}">Back to the book</a>' in page
    assert "data-part-body" not in page  # the text is not on the page
    read_buffer.flush()
    grim.refresh_from_db()
    assert grim.reads_count == 0  # asking is not reading

    shown = text(as_bob.get(grim.get_absolute_url(), {"show": "hidden"}))
    assert "data-part-body" in shown
    assert "The first paragraph of Grim." in shown
    assert "(hidden by you)" in shown
    read_buffer.flush()
    grim.refresh_from_db()
    assert grim.reads_count == 1

    # The other one-shot in the book carries nothing bob hides.
    gentle = text(as_bob.get(book.parts.get(title="Gentle").get_absolute_url()))
    assert "The first paragraph of Gentle." in gentle


def test_a_warning_on_the_book_asks_on_every_part(as_bob, bob, shelf, death):
    accounts.preferences_hide_tag(bob, death)
    for part in shelf["on_book"].parts.all():
        assert "chose to hide" in text(as_bob.get(part.get_absolute_url()))


def test_hidden_trope_is_called_a_tag_and_guests_are_never_asked(as_bob, bob, alice, reader):
    angst = tag("Angst")
    book = write_book(alice, "Grey Sea", 1, tags=[angst])
    part = book.parts.get()
    accounts.preferences_hide_tag(bob, angst)

    assert "This part carries a tag you chose to hide: <strong>Angst</strong>." in text(
        as_bob.get(part.get_absolute_url())
    )
    assert "chose to hide" not in text(reader.get(part.get_absolute_url()))


def test_the_book_page_marks_hidden_warnings_rather_than_blocking(as_bob, bob, shelf, death):
    accounts.preferences_hide_tag(bob, death)

    on_book = text(as_bob.get(shelf["on_book"].get_absolute_url()))
    assert (
        "You chose to hide this tag, and it is here: <strong>Major Character Death</strong>"
        in on_book
    )
    assert (
        '<a class="tag tag--warning tag--hidden" href="/tags/major-character-death/">'
        'Major Character Death <span class="tag__hidden">(hidden by you)</span></a>'
    ) in on_book
    assert "Start reading" in on_book

    # A warning only on one part is marked in the list of parts.
    on_part = text(as_bob.get(shelf["on_part"].get_absolute_url()))
    assert 'Major Character Death <span class="tag__hidden">(hidden by you)</span>' in on_part


def test_a_draft_part_is_still_only_its_authors(as_bob, bob, shelf, death):
    """The interstitial comes after the access check: it never reveals a draft."""
    accounts.preferences_hide_tag(bob, death)
    draft = shelf["draft_warning"].parts.get(state=PartState.DRAFT)
    assert as_bob.get(draft.get_absolute_url()).status_code == 404
