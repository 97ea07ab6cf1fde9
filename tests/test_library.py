"""The library: books a reader keeps, and reading lists (private or public, in their order)."""

import re

import pytest
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.engagement import services
from storyhouse.engagement.models import LibraryEntry, ReadingList, ReadingListEntry
from storyhouse.stories import services as story_services
from storyhouse.stories.models import Story, Visibility
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def signed_in(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(user)
    return client


def titles_in(html: str) -> list[str]:
    return re.findall(r'class="story-card__title"><a href="[^"]+">([^<]+)</a>', html)


@pytest.fixture
def lighthouse(alice) -> Story:
    return write_book(alice, "The Lighthouse", 2)


@pytest.fixture
def salt(alice) -> Story:
    return write_book(alice, "Salt and Stars", 1)


# The library


def test_a_reader_adds_a_book_from_its_page_and_finds_it_in_the_library(lighthouse, bob):
    client = signed_in(bob)
    page = client.get(lighthouse.get_absolute_url()).content.decode()
    assert "Add to library" in page

    response = client.post(
        f"/library/stories/{lighthouse.pk}/",
        {"action": "add", "next": lighthouse.get_absolute_url()},
    )

    assert response["Location"] == lighthouse.get_absolute_url()
    assert "Remove from library" in client.get(lighthouse.get_absolute_url()).content.decode()
    assert titles_in(client.get("/library/").content.decode()) == ["The Lighthouse"]


def test_the_library_button_toggles_in_place_on_the_part_page(lighthouse, bob):
    part = lighthouse.parts.first()
    client = signed_in(bob)
    assert "Add to library" in client.get(part.get_absolute_url()).content.decode()

    added = client.post(f"/library/stories/{lighthouse.pk}/", {"action": "add"}, **HTMX)
    assert added.content.decode().lstrip().startswith('<form class="library-form"')
    assert "Remove from library" in added.content.decode()

    removed = client.post(f"/library/stories/{lighthouse.pk}/", {"action": "remove"}, **HTMX)
    assert "Add to library" in removed.content.decode()
    assert not LibraryEntry.objects.exists()


def test_the_library_lists_the_latest_added_first_and_leaves_out_books_gone_from_view(
    lighthouse, salt, alice, bob
):
    services.library_add(user=bob, story=lighthouse)
    services.library_add(user=bob, story=salt)
    assert titles_in(signed_in(bob).get("/library/").content.decode()) == [
        "Salt and Stars",
        "The Lighthouse",
    ]

    salt.visibility = Visibility.DRAFT
    story_services.story_save(salt)

    assert titles_in(signed_in(bob).get("/library/").content.decode()) == ["The Lighthouse"]


def test_adding_twice_keeps_one_entry(lighthouse, bob):
    services.library_add(user=bob, story=lighthouse)
    services.library_add(user=bob, story=lighthouse)
    assert LibraryEntry.objects.filter(user=bob).count() == 1


def test_a_book_nobody_may_see_cannot_be_added(alice, bob):
    secret = write_book(alice, "Secret", 1, visibility=Visibility.DRAFT)
    assert (
        signed_in(bob).post(f"/library/stories/{secret.pk}/", {"action": "add"}).status_code == 404
    )
    assert not LibraryEntry.objects.exists()


def test_guests_have_no_library(lighthouse, reader):
    assert reader.get("/library/").status_code == 302
    assert "Add to library" not in reader.get(lighthouse.get_absolute_url()).content.decode()


def test_the_library_page_costs_the_same_queries_however_many_books(
    alice, bob, django_assert_max_num_queries
):
    client = signed_in(bob)
    services.library_add(user=bob, story=write_book(alice, "Book 0", 2))
    client.get("/library/")
    with django_assert_max_num_queries(30) as few:
        assert client.get("/library/").status_code == 200
    for number in range(1, 8):
        story = write_book(alice, f"Book {number}", 2)
        services.library_add(user=bob, story=story)
        services.progress_record(user=bob, part=story.parts.last())
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/library/").status_code == 200


# Reading lists


def test_a_reader_makes_a_list_from_a_book_page_and_it_holds_the_book(lighthouse, bob):
    client = signed_in(bob)

    response = client.post(
        "/library/lists/",
        {"title": "  Cosy   reads ", "story": lighthouse.pk, "next": lighthouse.get_absolute_url()},
    )

    (reading_list,) = ReadingList.objects.all()
    assert (reading_list.title, reading_list.public, reading_list.owner) == (
        "Cosy reads",
        False,
        bob,
    )
    assert response["Location"] == lighthouse.get_absolute_url()
    page = client.get(lighthouse.get_absolute_url()).content.decode()
    assert f'On your lists: <a href="/library/lists/{reading_list.pk}/">Cosy reads</a>' in page


def test_books_go_on_a_list_in_order_and_move_up_and_down(lighthouse, salt, alice, bob):
    third = write_book(alice, "Third Tide", 1)
    reading_list = services.reading_list_create(owner=bob, title="Next")
    client = signed_in(bob)
    for story in [lighthouse, salt, third]:
        client.post("/library/lists/add/", {"list": reading_list.pk, "story": story.pk})

    def order() -> list[str]:
        page = client.get(f"/library/lists/{reading_list.pk}/").content.decode()
        return re.findall(r'class="reading-list__title" href="[^"]+">([^<]+)</a>', page)

    assert order() == ["The Lighthouse", "Salt and Stars", "Third Tide"]
    client.post(f"/library/lists/{reading_list.pk}/books/{third.pk}/", {"action": "up"})
    assert order() == ["The Lighthouse", "Third Tide", "Salt and Stars"]
    client.post(f"/library/lists/{reading_list.pk}/books/{lighthouse.pk}/", {"action": "bottom"})
    assert order() == ["Third Tide", "Salt and Stars", "The Lighthouse"]
    client.post(f"/library/lists/{reading_list.pk}/books/{salt.pk}/", {"action": "remove"})
    assert order() == ["Third Tide", "The Lighthouse"]
    positions = ReadingListEntry.objects.order_by("position").values_list("position", flat=True)
    assert list(positions) == [1, 2]


def test_adding_a_book_twice_to_a_list_keeps_it_once(lighthouse, bob):
    reading_list = services.reading_list_create(owner=bob, title="Next")
    assert services.reading_list_add(user=bob, reading_list=reading_list, story=lighthouse)
    assert not services.reading_list_add(user=bob, reading_list=reading_list, story=lighthouse)
    assert reading_list.entries.count() == 1


def test_a_list_is_renamed_and_made_public_then_shows_on_the_owners_profile(
    lighthouse, bob, reader
):
    reading_list = services.reading_list_create(owner=bob, title="Nexst")
    services.reading_list_add(user=bob, reading_list=reading_list, story=lighthouse)
    address = f"/lists/bob/{reading_list.pk}/"
    assert reader.get(address).status_code == 404
    assert "public reading list" not in reader.get("/authors/bob/").content.decode()

    signed_in(bob).post(f"/library/lists/{reading_list.pk}/", {"title": "Next", "public": "on"})

    profile = reader.get("/authors/bob/").content.decode()
    assert '<a href="/lists/bob/">1 public reading list</a>' in profile
    lists = reader.get("/lists/bob/").content.decode()
    assert f'<a href="{address}">Next</a>' in lists
    html = reader.get(address).content.decode()
    assert "<h1>Next</h1>" in html
    assert titles_in(html) == ["The Lighthouse"]


def test_a_private_list_is_seen_by_its_owner_only(lighthouse, alice, bob, reader):
    reading_list = services.reading_list_create(owner=bob, title="Guilty pleasures")
    services.reading_list_add(user=bob, reading_list=reading_list, story=lighthouse)
    address = f"/lists/bob/{reading_list.pk}/"

    assert signed_in(bob).get(address).status_code == 200
    assert reader.get(address).status_code == 404
    assert signed_in(alice).get(address).status_code == 404
    assert "Guilty pleasures" not in reader.get("/lists/bob/").content.decode()
    assert "Guilty pleasures" in signed_in(bob).get("/lists/bob/").content.decode()


def test_only_the_owner_changes_a_list(lighthouse, alice, bob):
    reading_list = services.reading_list_create(owner=bob, title="Mine", public=True)
    services.reading_list_add(user=bob, reading_list=reading_list, story=lighthouse)
    alice_client = signed_in(alice)

    assert alice_client.get(f"/library/lists/{reading_list.pk}/").status_code == 403
    assert (
        alice_client.post(
            f"/library/lists/{reading_list.pk}/", {"title": "Hers", "public": "on"}
        ).status_code
        == 403
    )
    assert (
        alice_client.post(
            f"/library/lists/{reading_list.pk}/books/{lighthouse.pk}/", {"action": "remove"}
        ).status_code
        == 403
    )
    assert alice_client.post(f"/library/lists/{reading_list.pk}/delete/").status_code == 403
    assert (
        alice_client.post(
            "/library/lists/add/", {"list": reading_list.pk, "story": lighthouse.pk}
        ).status_code
        == 403
    )
    reading_list.refresh_from_db()
    assert reading_list.title == "Mine" and reading_list.entries.count() == 1


def test_a_list_shows_only_the_books_its_viewer_may_see(alice, bob, reader):
    members = write_book(alice, "For Members", 1, visibility=Visibility.MEMBERS)
    public = write_book(alice, "For Everyone", 1)
    reading_list = services.reading_list_create(owner=bob, title="Mixed", public=True)
    for story in [members, public]:
        services.reading_list_add(user=bob, reading_list=reading_list, story=story)

    assert titles_in(reader.get(f"/lists/bob/{reading_list.pk}/").content.decode()) == [
        "For Everyone"
    ]
    assert titles_in(signed_in(alice).get(f"/lists/bob/{reading_list.pk}/").content.decode()) == [
        "For Members",
        "For Everyone",
    ]


def test_a_list_needs_a_name_and_is_deleted_with_a_confirmation(bob):
    client = signed_in(bob)
    response = client.post("/library/lists/", {"title": "   "})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    reading_list = services.reading_list_create(owner=bob, title="Short-lived")

    assert (
        "Delete “Short-lived”?"
        in client.get(f"/library/lists/{reading_list.pk}/delete/").content.decode()
    )
    client.post(f"/library/lists/{reading_list.pk}/delete/")
    assert not ReadingList.objects.exists()


def test_library_and_list_forms_need_a_csrf_token(lighthouse, bob):
    reading_list = services.reading_list_create(owner=bob, title="Mine")
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT, enforce_csrf_checks=True)
    client.force_login(bob)

    for address, data in [
        (f"/library/stories/{lighthouse.pk}/", {"action": "add"}),
        ("/library/lists/", {"title": "Another"}),
        ("/library/lists/add/", {"list": reading_list.pk, "story": lighthouse.pk}),
        (f"/library/lists/{reading_list.pk}/", {"title": "Renamed"}),
        (f"/library/lists/{reading_list.pk}/books/{lighthouse.pk}/", {"action": "remove"}),
        (f"/library/lists/{reading_list.pk}/delete/", {}),
    ]:
        assert client.post(address, data).status_code == 403, address
    assert not LibraryEntry.objects.exists()
    assert list(ReadingList.objects.values_list("title", flat=True)) == ["Mine"]
    assert not ReadingListEntry.objects.exists()
