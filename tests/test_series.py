"""Series: Alice puts her books in an order of their own; readers see the series' page and
step from book to book, never seeing a book they may not read. Only Alice changes her series."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from storyhouse.accounts.models import User
from storyhouse.stories import access, services
from storyhouse.stories import series as series_rules
from storyhouse.stories.models import Series, SeriesEntry, Story, TagType, Visibility
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(user)
    return client


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def make_series(owner: User, title: str, books: list[Story], description: str = "") -> Series:
    series = series_rules.series_edit(
        Series(), owner=owner, title=title, description_source=description
    )
    for book in books:
        series_rules.series_add(series, book)
    return series


def book_titles(html: str) -> list[str]:
    return re.findall(r'<h3 class="story-card__title"><a href="[^"]+">([^<]+)</a>', html)


@pytest.fixture
def lighthouse_years(alice) -> dict[str, Story]:
    """Four books in a series: public, draft, members-only, public."""
    books = {
        "arrival": write_book(alice, "Arrival", 2),
        "storm": write_book(alice, "Storm", 1, visibility=Visibility.DRAFT),
        "keepers": write_book(alice, "Keepers", 1, visibility=Visibility.MEMBERS),
        "dawn": write_book(alice, "Dawn", 1),
    }
    books["series"] = make_series(
        alice, "The Lighthouse Years", list(books.values()), "Four books of *one* light."
    )
    return books


# The readers' page


def test_a_series_page_shows_its_title_description_writer_and_books_in_order(
    lighthouse_years, reader
):
    series = lighthouse_years["series"]
    assert series.get_absolute_url() == f"/series/{series.pk}-the-lighthouse-years/"
    html = page(reader.get(series.get_absolute_url()))
    assert "<h1>The Lighthouse Years</h1>" in html
    assert "Four books of <em>one</em> light." in html
    assert 'href="/authors/alice/">Alice Liddell</a>' in html
    # A guest sees the public books only, in the series' order.
    assert book_titles(html) == ["Arrival", "Dawn"]
    assert "Storm" not in html and "Keepers" not in html


def test_a_member_sees_members_only_books_and_the_writer_sees_her_drafts(
    lighthouse_years, alice, bob
):
    url = lighthouse_years["series"].get_absolute_url()
    assert book_titles(page(signed_in(bob).get(url))) == ["Arrival", "Keepers", "Dawn"]
    html = page(signed_in(alice).get(url))
    assert book_titles(html) == ["Arrival", "Storm", "Keepers", "Dawn"]
    assert f'href="/desk/series/{lighthouse_years["series"].pk}/"' in html


def test_a_wrong_slug_redirects_to_the_series(lighthouse_years, reader):
    series = lighthouse_years["series"]
    response = reader.get(f"/series/{series.pk}-old-name/")
    assert response.status_code == 301
    assert response["Location"] == series.get_absolute_url()


def test_a_series_of_books_no_one_else_may_read_is_not_found(alice, bob, reader):
    secret = make_series(alice, "Notebooks", [write_book(alice, "Notes", 1, visibility="draft")])
    assert reader.get(secret.get_absolute_url()).status_code == 404
    assert signed_in(bob).get(secret.get_absolute_url()).status_code == 404
    # Not even a redirect that would confirm it exists.
    assert reader.get(f"/series/{secret.pk}-x/").status_code == 404
    assert "Notes" in page(signed_in(alice).get(secret.get_absolute_url()))


def test_books_with_tags_a_reader_hides_are_left_out_and_said_so(lighthouse_years, bob):
    gore = services.tag_get_or_create("Gore", type=TagType.WARNING)
    dawn = lighthouse_years["dawn"]
    dawn.tags.add(gore)
    bob.hidden_tags.add(gore)
    html = page(signed_in(bob).get(lighthouse_years["series"].get_absolute_url()))
    assert book_titles(html) == ["Arrival", "Keepers"]
    assert "1 more book is left out: it carries tags you chose to hide." in html


def test_the_series_page_costs_the_same_queries_however_many_books(alice, reader):
    series = make_series(alice, "Short", [write_book(alice, "One", 1)])
    with CaptureQueriesContext(connection) as few:
        page(reader.get(series.get_absolute_url()))
    for number in range(2, 7):
        series_rules.series_add(series, write_book(alice, f"Book {number}", 1))
    with CaptureQueriesContext(connection) as many:
        html = page(reader.get(series.get_absolute_url()))
    assert len(book_titles(html)) == 6
    # Only the count of "left out" books walks the books (one query, no query per book).
    assert len(many) == len(few)


# On each book page


def test_a_book_page_says_its_place_and_links_the_visible_neighbours(lighthouse_years, reader):
    arrival, dawn = lighthouse_years["arrival"], lighthouse_years["dawn"]
    series = lighthouse_years["series"]
    html = page(reader.get(arrival.get_absolute_url()))
    assert f'Part 1 of <a href="{series.get_absolute_url()}">The Lighthouse Years</a>' in html
    # The guest's next book skips the draft and the members-only book.
    assert f'<a href="{dawn.get_absolute_url()}" rel="next">Next: Dawn →</a>' in html
    assert 'rel="prev"' not in html
    html = page(reader.get(dawn.get_absolute_url()))
    assert "Part 4 of" in html
    assert f'<a href="{arrival.get_absolute_url()}" rel="prev">← Previous: Arrival</a>' in html
    assert 'rel="next"' not in html
    assert "Storm" not in html and "Keepers" not in html


def test_members_and_the_writer_step_through_the_books_they_may_read(lighthouse_years, alice, bob):
    arrival = lighthouse_years["arrival"]
    assert "Next: Keepers" in page(signed_in(bob).get(arrival.get_absolute_url()))
    assert "Next: Storm" in page(signed_in(alice).get(arrival.get_absolute_url()))


def test_a_book_in_two_series_shows_both_places(lighthouse_years, alice, reader):
    dawn = lighthouse_years["dawn"]
    prequel = write_book(alice, "Before the Light", 1)
    make_series(alice, "Dawn and After", [prequel, dawn])
    html = page(reader.get(dawn.get_absolute_url()))
    assert "Part 4 of" in html and "The Lighthouse Years</a>" in html
    assert "Part 2 of" in html and "Dawn and After</a>" in html
    assert "Previous: Before the Light" in html


def test_a_book_in_no_series_says_nothing_of_series(alice, reader):
    html = page(reader.get(write_book(alice, "Alone", 1).get_absolute_url()))
    assert "series-places" not in html


def test_the_author_page_lists_the_series_a_reader_may_see(lighthouse_years, alice, reader):
    make_series(alice, "Notebooks", [write_book(alice, "Notes", 1, visibility="draft")])
    html = page(reader.get("/authors/alice/"))
    series = lighthouse_years["series"]
    assert f'<a href="{series.get_absolute_url()}">The Lighthouse Years</a>' in html
    assert "(2 books)" in html
    assert "Notebooks" not in html
    assert "Notebooks" in page(signed_in(alice).get("/authors/alice/"))


# The series desk


def test_alice_makes_a_series_and_fills_it_from_her_desk(alice):
    desk = signed_in(alice)
    arrival = write_book(alice, "Arrival", 1)
    storm = write_book(alice, "Storm", 1)
    assert 'href="/desk/series/"' in page(desk.get("/desk/"))
    assert "You have no series yet." in page(desk.get("/desk/series/"))

    response = desk.post(
        "/desk/series/new/",
        {"title": "  The   Lighthouse Years ", "description": "A *keeper*.<script>x()</script>"},
    )
    series = Series.objects.get(owner=alice)
    assert response.status_code == 302 and response["Location"] == f"/desk/series/{series.pk}/"
    assert series.title == "The Lighthouse Years"
    assert series.description == "<p>A <em>keeper</em>.</p>"

    html = page(desk.get(f"/desk/series/{series.pk}/"))
    assert "No books in this series yet." in html
    assert f'<option value="{arrival.pk}">Arrival</option>' in html

    for book in (arrival, storm):
        response = desk.post(f"/desk/series/{series.pk}/books/", {"story": book.pk})
        assert response.status_code == 302
    assert [e.story.title for e in series.seriesentry_set.order_by("position")] == [
        "Arrival",
        "Storm",
    ]
    html = page(desk.get(f"/desk/series/{series.pk}/"))
    assert "All your books are in this series." in html

    desk.post(f"/desk/series/{series.pk}/books/{storm.pk}/move/", {"direction": "up"})
    assert list(
        series.seriesentry_set.order_by("position").values_list("story_id", "position")
    ) == [
        (storm.pk, 1),
        (arrival.pk, 2),
    ]
    response = desk.post(
        f"/desk/series/{series.pk}/books/{storm.pk}/move/", {"direction": "sideways"}
    )
    assert response.status_code == 400

    desk.post(f"/desk/series/{series.pk}/books/{storm.pk}/remove/")
    assert list(series.seriesentry_set.values_list("story_id", "position")) == [(arrival.pk, 1)]
    assert Story.objects.filter(pk=storm.pk).exists()


def test_alice_renames_and_describes_her_series_in_markdown(alice, reader):
    series = make_series(alice, "Working Title", [write_book(alice, "Arrival", 1)], "Old *words*.")
    desk = signed_in(alice)
    html = page(desk.get(f"/desk/series/{series.pk}/edit/"))
    assert "Old *words*." in html  # edited as Markdown again
    response = desk.post(
        f"/desk/series/{series.pk}/edit/", {"title": "The Lighthouse Years", "description": "New."}
    )
    assert response.status_code == 302
    series.refresh_from_db()
    assert (series.title, series.slug, series.description) == (
        "The Lighthouse Years",
        "the-lighthouse-years",
        "<p>New.</p>",
    )
    assert reader.get(f"/series/{series.pk}-working-title/")["Location"] == (
        series.get_absolute_url()
    )
    response = desk.post(f"/desk/series/{series.pk}/edit/", {"title": "   ", "description": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode() or "A series needs a title." in (
        response.content.decode()
    )


def test_deleting_a_series_keeps_its_books(lighthouse_years, alice):
    series = lighthouse_years["series"]
    desk = signed_in(alice)
    assert "Delete the series “The Lighthouse Years”?" in page(
        desk.get(f"/desk/series/{series.pk}/delete/")
    )
    response = desk.post(f"/desk/series/{series.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/desk/series/"
    assert not Series.objects.filter(pk=series.pk).exists()
    assert not SeriesEntry.objects.exists()
    assert Story.objects.count() == 4


def test_a_book_is_in_a_series_only_once(alice):
    arrival = write_book(alice, "Arrival", 1)
    series = make_series(alice, "Once", [arrival])
    with pytest.raises(Exception, match="already in this series"):
        series_rules.series_add(series, arrival)
    response = signed_in(alice).post(f"/desk/series/{series.pk}/books/", {"story": arrival.pk})
    assert response.status_code == 400
    assert series.seriesentry_set.count() == 1


# Only the owner


def test_another_writer_cannot_see_or_change_someone_elses_series(lighthouse_years, bob):
    series = lighthouse_years["series"]
    arrival = lighthouse_years["arrival"]
    bobs_book = write_book(bob, "Bob's Book", 1)
    desk = signed_in(bob)
    base = f"/desk/series/{series.pk}"
    assert desk.get(f"{base}/").status_code == 404
    assert desk.get(f"{base}/edit/").status_code == 404
    assert desk.post(f"{base}/edit/", {"title": "Mine now"}).status_code == 404
    assert desk.post(f"{base}/books/", {"story": bobs_book.pk}).status_code == 404
    assert desk.post(f"{base}/books/{arrival.pk}/move/", {"direction": "down"}).status_code == 404
    assert desk.post(f"{base}/books/{arrival.pk}/remove/").status_code == 404
    assert desk.post(f"{base}/delete/").status_code == 404
    series.refresh_from_db()
    assert series.title == "The Lighthouse Years"
    assert series.seriesentry_set.count() == 4
    assert not series.stories.filter(pk=bobs_book.pk).exists()


def test_a_writer_cannot_put_someone_elses_book_in_her_series(lighthouse_years, bob):
    arrival = lighthouse_years["arrival"]
    series = make_series(bob, "Bob's Favourites", [])
    desk = signed_in(bob)
    assert f'value="{arrival.pk}"' not in page(desk.get(f"/desk/series/{series.pk}/"))
    response = desk.post(f"/desk/series/{series.pk}/books/", {"story": arrival.pk})
    assert response.status_code == 400
    assert "Choose one of your own books." in response.content.decode()
    assert not series.seriesentry_set.exists()


def test_guests_are_sent_to_log_in_and_unconfirmed_writers_cannot_make_series(alice, reader):
    series = make_series(alice, "Mine", [])
    for url in ("/desk/series/", "/desk/series/new/", f"/desk/series/{series.pk}/"):
        response = reader.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = reader.post(f"/desk/series/{series.pk}/delete/")
    assert response.status_code == 302 and Series.objects.filter(pk=series.pk).exists()
    alice.email_verified = False
    alice.save()
    response = signed_in(alice).post("/desk/series/new/", {"title": "Another"})
    assert response.status_code == 403
    assert Series.objects.count() == 1


def test_series_forms_need_the_csrf_token(alice):
    series = make_series(alice, "Mine", [])
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post("/desk/series/new/", {"title": "Forged"}).status_code == 403
    assert client.post(f"/desk/series/{series.pk}/delete/").status_code == 403
    assert Series.objects.count() == 1


def test_permissions_live_in_access(lighthouse_years, alice, bob):
    series = lighthouse_years["series"]
    assert access.can_edit_series(alice, series)
    assert not access.can_edit_series(bob, series)
    bobs_book = write_book(bob, "Bob's Book", 1)
    assert not access.can_add_to_series(alice, series, bobs_book)
    assert access.can_add_to_series(alice, series, lighthouse_years["dawn"])
