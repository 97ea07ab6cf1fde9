"""Reading through the API: a guest sees what a guest may, a token what its owner may, and
lists come in pages."""

import pytest
from django.test import Client

from storyhouse.accounts import tokens
from storyhouse.discovery import fulltext
from storyhouse.stories import services
from storyhouse.stories.models import Part, PartState, Tag, Visibility
from tests.helpers import write_book

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def with_token(user) -> Client:
    _token, raw = tokens.token_create(user, "script")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def json_of(response, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    return response.json()


@pytest.fixture
def library(alice, bob):
    """Alice's public book with a draft part, her members-only book, and her draft book."""
    hero = Tag.objects.get(name="No Archive Warnings Apply")
    lighthouse = write_book(
        alice, "The Lighthouse", ["Arrival", "Storm"], tags=[hero], description="<p>A keeper.</p>"
    )
    services.part_save(Part(story=lighthouse, title="Unwritten", body="<p>Soon.</p>"))
    members = write_book(alice, "Members Only", 1, visibility=Visibility.MEMBERS)
    draft = write_book(alice, "Still A Draft", 1, visibility=Visibility.DRAFT)
    return {"lighthouse": lighthouse, "members": members, "draft": draft}


def titles(data: dict) -> list[str]:
    return [book["title"] for book in data["items"]]


def test_a_guest_lists_public_books_newest_first(reader, library):
    data = json_of(reader.get("/api/books/"))
    assert titles(data) == ["The Lighthouse"]
    assert data["total"] == 1 and data["page"] == 1 and data["page_size"] == 20
    book = data["items"][0]
    assert book["authors"][0]["username"] == "alice"
    assert book["authors"][0]["name"] == "Alice Liddell"
    assert book["rating"]["name"] == "Not Rated"
    assert [tag["name"] for tag in book["tags"]["warnings"]] == ["No Archive Warnings Apply"]
    assert book["parts_published"] == 2
    assert book["url"] == f"http://testserver{library['lighthouse'].get_absolute_url()}"


def test_a_token_reads_what_its_owner_may_read(bob, alice, library):
    bob_reads = titles(json_of(with_token(bob).get("/api/books/")))
    assert sorted(bob_reads) == ["Members Only", "The Lighthouse"]
    # A draft is its author's only, however it is asked for.
    draft = library["draft"].pk
    assert json_of(with_token(bob).get(f"/api/books/{draft}"), 404)["message"]
    assert json_of(with_token(alice).get(f"/api/books/{draft}"))["title"] == "Still A Draft"


def test_a_writer_lists_her_own_books_drafts_included(alice, library):
    data = json_of(with_token(alice).get("/api/books/?mine=true"))
    assert sorted(titles(data)) == ["Members Only", "Still A Draft", "The Lighthouse"]


def test_members_only_books_are_not_found_for_guests(reader, library):
    response = reader.get(f"/api/books/{library['members'].pk}")
    assert json_of(response, 404) == {"message": "There is nothing here, or nothing you may see."}


def test_a_session_reads_as_its_person(bob, library):
    client = Client()
    client.force_login(bob)
    assert json_of(client.get(f"/api/books/{library['members'].pk}"))["title"] == "Members Only"


def test_a_book_shows_its_parts_readers_may_read(reader, alice, library):
    book_id = library["lighthouse"].pk
    data = json_of(reader.get(f"/api/books/{book_id}"))
    assert [part["title"] for part in data["parts"]] == ["Arrival", "Storm"]
    assert data["description"] == "<p>A keeper.</p>"
    assert data["counts"] == {"reads": 0, "votes": 0, "comments": 0}
    assert data["can_edit"] is False
    assert {download["format"] for download in data["downloads"]} == {"epub", "html", "md"}
    # Its author sees the draft part too.
    mine = json_of(with_token(alice).get(f"/api/books/{book_id}/parts/"))
    assert [(part["title"], part["state"]) for part in mine] == [
        ("Arrival", "published"),
        ("Storm", "published"),
        ("Unwritten", "draft"),
    ]


def test_counts_sum_those_earned_here_and_imported(reader, library):
    part = library["lighthouse"].parts.get(title="Arrival")
    Part.objects.filter(pk=part.pk).update(reads_count=10)  # ten reads here, as reads count
    part.imported_reads, part.imported_votes = 583, 4
    services.part_save(part)
    data = json_of(reader.get(f"/api/books/{library['lighthouse'].pk}"))
    assert data["counts"] == {"reads": 593, "votes": 4, "comments": 0}


def test_a_part_has_its_text_notes_tags_and_neighbours(reader, library):
    arrival, storm = library["lighthouse"].parts.filter(state=PartState.PUBLISHED)
    trope = services.tag_get_or_create("Hero/Villain", type="trope")
    arrival.notes_before = "<p>Thank you for reading!</p>"
    services.part_save(arrival, tags=[trope])
    data = json_of(reader.get(f"/api/parts/{arrival.pk}"))
    assert data["title"] == "Arrival"
    assert "The first paragraph of Arrival." in data["body"]
    assert data["notes_before"] == "<p>Thank you for reading!</p>"
    assert [tag["name"] for tag in data["tags"]] == ["Hero/Villain"]
    assert data["book"]["title"] == "The Lighthouse"
    assert (data["previous_part"], data["next_part"]) == (None, storm.pk)


def test_a_draft_part_is_not_found_for_readers(reader, bob, library):
    draft = library["lighthouse"].parts.get(title="Unwritten")
    assert reader.get(f"/api/parts/{draft.pk}").status_code == 404
    assert with_token(bob).get(f"/api/parts/{draft.pk}").status_code == 404


def test_pages_of_books(reader, alice):
    for number in range(5):
        write_book(alice, f"Book {number}")
    first = json_of(reader.get("/api/books/?page_size=2"))
    assert titles(first) == ["Book 4", "Book 3"] and first["total"] == 5
    assert titles(json_of(reader.get("/api/books/?page_size=2&page=3"))) == ["Book 0"]
    beyond = json_of(reader.get("/api/books/?page_size=2&page=9"))
    assert beyond["items"] == [] and beyond["total"] == 5


@pytest.mark.parametrize(
    "query", ["page=two", "page=0", "page_size=101", "page_size=-1", "mine=perhaps"]
)
def test_paging_that_cannot_be_read_is_a_422(reader, query):
    data = json_of(reader.get(f"/api/books/?{query}"), 422)
    assert data["message"] == "Some of what you sent could not be read: see errors."
    assert list(data["errors"]) == [query.split("=")[0]]


def test_books_filtered_by_author_tag_and_status(reader, alice, bob, library):
    write_book(bob, "Bob's Book")
    assert titles(json_of(reader.get("/api/books/?author=bob"))) == ["Bob's Book"]
    assert titles(json_of(reader.get("/api/books/?tag=no-archive-warnings-apply"))) == [
        "The Lighthouse"
    ]
    assert titles(json_of(reader.get("/api/books/?status=complete"))) == []


def test_tags_found_by_the_start_of_their_name(reader, library):
    services.tag_get_or_create("Hero/Villain", type="trope")
    services.tag_get_or_create("Heroic Sacrifice", type="trope")
    data = json_of(reader.get("/api/tags/?q=hero"))
    assert [tag["name"] for tag in data["items"]] == ["Hero/Villain", "Heroic Sacrifice"]
    ratings = json_of(reader.get("/api/tags/?type=rating&page_size=10"))
    assert ratings["total"] == 5
    assert json_of(reader.get("/api/tags/?type=spaceship"), 422)["errors"]["type"]


def test_a_tag_with_its_books_and_synonyms(reader, library):
    data = json_of(reader.get("/api/tags/no-archive-warnings-apply"))
    assert data["name"] == "No Archive Warnings Apply" and data["type"] == "warning"
    assert [book["title"] for book in data["books"]["items"]] == ["The Lighthouse"]
    assert json_of(reader.get("/api/tags/no-such-tag"), 404)["message"]


def test_an_author_with_the_books_you_may_read(reader, bob, library):
    data = json_of(reader.get("/api/authors/alice"))
    assert data["name"] == "Alice Liddell"
    assert [book["title"] for book in data["books"]["items"]] == ["The Lighthouse"]
    members = json_of(with_token(bob).get("/api/authors/alice"))
    assert sorted(book["title"] for book in members["books"]["items"]) == [
        "Members Only",
        "The Lighthouse",
    ]
    assert json_of(reader.get("/api/authors/nobody"), 404)["message"]


def test_search_takes_the_search_pages_parameters(reader, alice, library):
    write_book(alice, "The Storm Chronicles", tags=[Tag.objects.get(name="Major Character Death")])
    fulltext.rebuild()  # the worker's job: bring the words index up to date
    data = json_of(reader.get("/api/search/?q=lighthouse"))
    assert titles(data) == ["The Lighthouse"] and data["total"] == 1
    excluded = json_of(reader.get("/api/search/?exclude=major-character-death"))
    assert titles(excluded) == ["The Lighthouse"]
    facets = {
        facet["type"]: facet["tags"] for facet in json_of(reader.get("/api/search/"))["facets"]
    }
    warnings = {entry["tag"]["name"]: entry["books"] for entry in facets["warning"]}
    assert warnings == {"No Archive Warnings Apply": 1, "Major Character Death": 1}
    unknown = json_of(reader.get("/api/search/?include=no-such-tag"))
    assert unknown["items"] == [] and unknown["unknown_tags"] == ["no-such-tag"]


def test_search_parameters_that_cannot_be_read_are_a_422(reader, library):
    assert json_of(reader.get("/api/search/?words_min=many"), 422)["errors"]["words_min"]
    assert json_of(reader.get("/api/search/?sort=random"), 422)["errors"]["sort"]
    crossed = json_of(reader.get("/api/search/?words_min=10&words_max=5"), 422)
    assert crossed["message"] == "words_min is more than words_max: no book can match both."


def test_dates_in_a_search_are_written_as_on_the_search_page(reader, library):
    assert json_of(reader.get("/api/search/?updated_since=2020-01-31"))["total"] == 1
    assert json_of(reader.get("/api/search/?updated_since=0"), 422)["errors"]["updated_since"]
    assert json_of(reader.get("/api/search/?updated_since=2020-13-45"), 422)["message"]
