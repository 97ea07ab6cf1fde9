"""The adult-content gate: a book rated Mature or Explicit opens behind a page naming its rating
and warnings, with Proceed and Go back, until the reader proceeds (for the browser session) or,
signed in, switches the gate off in their reading preferences. Guests see the gate on cached
pages too, and no cached page ever answers a gated request with the book, or the reverse.
Not Rated books show their rating and warnings prominently instead."""

import re

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.test import Client
from django.urls import reverse

from storyhouse.accounts import services as accounts
from storyhouse.accounts.models import User
from storyhouse.engagement import read_buffer
from storyhouse.engagement.models import PartProgress
from storyhouse.pagecache.app import PageCacheApp
from storyhouse.pagecache.store import LocalStore
from storyhouse.stories import adult_gate, services
from storyhouse.stories.models import Story, Tag, TagType
from tests.helpers import BROWSER_AGENT, write_book
from tests.test_page_cache import (  # noqa: F401 (fixtures)
    call,
    connections_kept,
    following,
    versions,
)
from tests.test_personal_pages import Session, signed_in_as

pytestmark = pytest.mark.django_db

GATE = "This story is rated"
COOKIE = adult_gate.COOKIE


def rated(story: Story, rating: str, *warnings: str) -> Story:
    story.rating = Tag.objects.get(name=rating, type=TagType.RATING)
    tags = [services.tag_get_or_create(name, type=TagType.WARNING) for name in warnings]
    return services.story_save(story, tags=[*story.tags.all(), *tags])


@pytest.fixture
def explicit(alice) -> Story:
    story = write_book(alice, "The Night Harbour", ["Landfall", "Undertow"])
    return rated(story, "Explicit", "Major Character Death", "shipwreck grief")


@pytest.fixture
def carol(db) -> User:
    return User.objects.create_user(
        username="carol", email="carol@example.com", password="pw-carol-12345", email_verified=True
    )


def parts(story: Story) -> list[str]:
    return [part.get_absolute_url() for part in story.parts.order_by("position")]


def proceed_link(html: str) -> str:
    return re.search(r'<a class="button" href="([^"]+)" rel="nofollow">Proceed</a>', html)[1]


def back_link(html: str) -> str:
    return re.search(r'<a class="button button--quiet" href="([^"]+)"[^>]*>Go back</a>', html)[1]


def guest() -> Client:
    return Client(HTTP_USER_AGENT=BROWSER_AGENT)


def signed_in(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(user)
    return client


# Guests, straight through Django


@pytest.mark.parametrize("rating", ["Mature", "Explicit"])
def test_a_guest_opening_a_mature_or_explicit_book_meets_the_gate(alice, rating):
    story = rated(write_book(alice, "The Night Harbour", 2), rating, "Major Character Death")
    for url in [story.get_absolute_url(), *parts(story)]:
        response = guest().get(url)
        assert response.status_code == 200  # the page itself, not a redirect
        html = response.content.decode()
        assert f'<h1 id="adult-gate-heading">{GATE} {rating}</h1>' in html
        assert "Major Character Death" in html
        assert "The first paragraph of" not in html and "Start reading" not in html
        assert proceed_link(html) == f"{url}?adult=proceed"
        assert back_link(html) == "/"
        assert '<meta name="robots" content="noindex">' in html


def test_the_gate_names_every_warning_on_the_book(explicit):
    html = guest().get(parts(explicit)[0]).content.decode()
    assert re.findall(r'class="tag tag--warning" href="[^"]+">([^<]+)</a>', html) == [
        "Major Character Death",
        "shipwreck grief",
    ]
    assert '<a class="rating" href="/tags/explicit/">Explicit</a>' in html


def test_general_and_teen_books_open_without_a_gate(alice):
    for rating in ["General Audiences", "Teen And Up Audiences"]:
        story = rated(write_book(alice, f"A {rating} book", 1), rating)
        html = guest().get(parts(story)[0]).content.decode()
        assert GATE not in html and "The first paragraph of Chapter 1." in html


def test_proceeding_shows_the_part_and_the_rest_of_the_book_for_the_session(explicit):
    browser = guest()
    first, second = parts(explicit)
    gate = browser.get(first).content.decode()
    response = browser.get(proceed_link(gate))
    html = response.content.decode()
    assert response.status_code == 200
    assert "The first paragraph of Landfall." in html and GATE not in html
    cookie = response.cookies[COOKIE]
    assert cookie.value == "1"
    # A session cookie: it ends when the browser closes.
    assert not cookie["max-age"] and not cookie["expires"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    # The next part and the book page open straight away; the cookie is not set again.
    nxt = browser.get(second)
    assert "The first paragraph of Undertow." in nxt.content.decode()
    assert COOKIE not in nxt.cookies
    assert "Start reading" in browser.get(explicit.get_absolute_url()).content.decode()
    # Another browser has not proceeded.
    assert GATE in guest().get(second).content.decode()


def test_a_gate_counts_no_read(explicit):
    part = explicit.parts.order_by("position").first()
    browser = guest()
    browser.get(part.get_absolute_url())
    read_buffer.flush()
    part.refresh_from_db()
    assert part.reads_count == 0
    browser.get(f"{part.get_absolute_url()}?adult=proceed")
    read_buffer.flush()
    part.refresh_from_db()
    assert part.reads_count == 1


def test_lists_still_show_the_book_with_its_rating(explicit):
    html = guest().get("/").content.decode()
    assert "The Night Harbour" in html
    assert GATE not in html


def test_a_not_rated_book_names_its_rating_and_warnings_on_its_pages(alice):
    story = rated(write_book(alice, "Unmarked Waters", 1), "Not Rated", "Major Character Death")
    for url in [story.get_absolute_url(), parts(story)[0]]:
        html = guest().get(url).content.decode()
        assert GATE not in html
        notice = re.search(r'<p class="not-rated" role="note">(.*?)</p>', html, re.S)[1]
        assert "Not Rated" in notice and "Major Character Death" in notice


def test_a_book_s_author_is_not_asked(explicit, alice):
    html = signed_in(alice).get(parts(explicit)[0]).content.decode()
    assert GATE not in html and "The first paragraph of Landfall." in html


# Signed-in readers, straight through Django


def test_a_signed_in_reader_meets_the_gate_and_may_proceed_for_the_session(explicit, bob):
    browser = signed_in(bob)
    first, second = parts(explicit)
    gate = browser.get(first, HTTP_REFERER="http://testserver/tags/explicit/").content.decode()
    assert GATE in gate
    assert back_link(gate) == "http://testserver/tags/explicit/"
    assert 'href="/accounts/preferences/"' in gate
    html = browser.get(proceed_link(gate)).content.decode()
    assert "The first paragraph of Landfall." in html
    assert "The first paragraph of Undertow." in browser.get(second).content.decode()


def test_go_back_never_leads_off_the_site_nor_back_into_the_book(explicit, bob):
    browser = signed_in(bob)
    url = parts(explicit)[1]
    for referer in ["https://elsewhere.example/", f"http://testserver{parts(explicit)[0]}"]:
        html = browser.get(url, HTTP_REFERER=referer).content.decode()
        assert back_link(html) == "/"


def test_a_reader_who_switched_the_gate_off_opens_the_book_directly(explicit, bob):
    browser = signed_in(bob)
    page = browser.get(reverse("accounts:preferences")).content.decode()
    assert "Show Mature and Explicit stories without asking" in page
    assert 'name="shows_adult_content"' in page and "checked" not in page.split("adult-help")[0]
    response = browser.post(
        reverse("accounts:preferences"), {"adult": "1", "shows_adult_content": "on"}, follow=True
    )
    html = response.content.decode()
    assert "Mature and Explicit stories open without asking now." in html
    assert re.search(r'name="shows_adult_content"[^>]* checked', html)
    bob.refresh_from_db()
    assert bob.shows_adult_content
    for url in [explicit.get_absolute_url(), *parts(explicit)]:
        assert GATE not in browser.get(url).content.decode()
    # And back on: the gate asks again.
    browser.post(reverse("accounts:preferences"), {"adult": "1"})
    bob.refresh_from_db()
    assert not bob.shows_adult_content
    assert GATE in browser.get(parts(explicit)[0]).content.decode()


def test_the_preference_needs_the_form_s_csrf_token(bob):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(bob)
    response = browser.post(
        reverse("accounts:preferences"), {"adult": "1", "shows_adult_content": "on"}
    )
    assert response.status_code == 403
    bob.refresh_from_db()
    assert not bob.shows_adult_content


def test_guests_have_no_preference_to_set():
    response = guest().post(reverse("accounts:preferences"), {"adult": "1"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# Guests through the page cache


@pytest.fixture
def site(settings, versions):  # noqa: F811
    settings.REDIS_URL = ""
    return PageCacheApp(WSGIHandler(), versions=versions, local=LocalStore(500))


def test_guests_see_the_gate_on_a_cached_page(site, explicit):
    url = parts(explicit)[0]
    first, second = call(site, url), call(site, url)
    assert (first.cache, second.cache) == ("miss", "hit")
    assert GATE in second.text and "The first paragraph of Landfall." not in second.text
    assert second.text == first.text
    book = [call(site, explicit.get_absolute_url()) for _ in range(2)]
    assert [answer.cache for answer in book] == ["miss", "hit"]
    assert GATE in book[1].text


def test_the_proceed_link_is_cached_with_its_cookie_and_never_answers_the_gate(site, explicit):
    first, second = parts(explicit)
    call(site, first)  # the gate, kept
    proceed = f"{first}?adult=proceed"
    answers = [call(site, proceed) for _ in range(2)]
    assert [answer.cache for answer in answers] == ["miss", "hit"]
    for answer in answers:
        assert "The first paragraph of Landfall." in answer.text and GATE not in answer.text
        cookie = answer.cookie(COOKIE)
        assert cookie is not None and cookie.startswith(f"{COOKIE}=1;")
        assert "max-age" not in cookie.lower() and "expires" not in cookie.lower()
        assert sum(1 for k, v in answer.headers if v.strip().startswith(f"{COOKIE}=")) == 1
    # The gate is still what a guest without the cookie gets.
    without = call(site, first)
    assert without.cache == "hit" and GATE in without.text


def test_with_the_cookie_a_guest_gets_the_book_kept_apart_from_the_gate(site, explicit):
    first, second = parts(explicit)
    gate = call(site, second)
    assert gate.cache == "miss" and GATE in gate.text
    cookie = f"{COOKIE}=1"
    passed = [call(site, second, cookie=cookie) for _ in range(2)]
    assert [answer.cache for answer in passed] == ["miss", "hit"]
    assert all("The first paragraph of Undertow." in a.text for a in passed)
    assert all(GATE not in a.text and a.cookie(COOKIE) is None for a in passed)
    # Neither answers for the other, whichever was kept first.
    again = call(site, second)
    assert again.cache == "hit" and GATE in again.text
    book = call(site, explicit.get_absolute_url(), cookie=f"theme=dark; {cookie}")
    assert book.cache == "miss" and "Start reading" in book.text
    assert GATE in call(site, explicit.get_absolute_url()).text
    # A cookie with another value is no proceeding.
    assert GATE in call(site, second, cookie=f"{COOKIE}=0").text


def test_a_hit_on_the_gate_counts_no_read_and_a_hit_past_it_does(site, explicit):
    part = explicit.parts.order_by("position").first()
    url = part.get_absolute_url()
    for _ in range(3):
        call(site, url)
    read_buffer.flush()
    part.refresh_from_db()
    assert part.reads_count == 0
    call(site, url, cookie=f"{COOKIE}=1")
    call(site, url, cookie=f"{COOKIE}=1; storyhouse_reader=aaaaaaaaaaaaaaaaaaaaaa")
    read_buffer.flush()
    part.refresh_from_db()
    assert part.reads_count == 2


def test_the_gate_changes_when_the_book_s_rating_changes(site, explicit):
    url = parts(explicit)[0]
    call(site, url)
    assert call(site, url).cache == "hit"
    rated(explicit, "Teen And Up Audiences")
    site.versions.poll()
    opened = call(site, url)
    assert opened.cache == "miss" and GATE not in opened.text


# Signed-in readers through the shared shell (pagecache/personal.py)


def test_a_gated_reader_never_gets_the_passed_shell(site, explicit, bob, carol):
    accounts.preferences_adult_content(bob, show=True)
    url = parts(explicit)[0]
    bob_first = Session(bob).get(site, url)
    bob_again = Session(bob).get(site, url)
    assert (bob_first.cache, bob_again.cache) == ("miss", "personal")
    assert GATE not in bob_again.text and "The first paragraph of Landfall." in bob_again.text
    carol_session = Session(carol)
    carol_page = carol_session.get(site, url)
    assert carol_page.cache != "personal"  # Django's page: the gate
    assert GATE in carol_page.text and "The first paragraph of Landfall." not in carol_page.text
    assert signed_in_as(carol_page.text) == "carol"
    assert not PartProgress.objects.filter(user=carol).exists()  # the gate is not reading
    # Bob's shell is still kept, and the gate did not replace it.
    assert Session(bob).get(site, url).cache == "personal"


def test_a_gated_reader_first_leaves_no_shell_and_the_passed_reader_gets_the_book(
    site, explicit, bob, carol
):
    url = parts(explicit)[0]
    for _ in range(2):
        gate = Session(carol).get(site, url)
        assert GATE in gate.text and gate.cache != "personal"
    accounts.preferences_adult_content(bob, show=True)
    page = Session(bob).get(site, url)
    assert page.cache == "miss" and "The first paragraph of Landfall." in page.text


def test_a_reader_who_proceeded_gets_the_shell_for_the_session(site, explicit, bob, carol):
    accounts.preferences_adult_content(bob, show=True)
    url = parts(explicit)[0]
    Session(bob).get(site, url)  # the passed shell, kept
    carol_session = Session(carol)
    assert GATE in carol_session.get(site, url).text
    carol_session.cookie += f"; {COOKIE}=1"
    page = carol_session.get(site, url)
    assert page.cache == "personal" and GATE not in page.text
    assert signed_in_as(page.text) == "carol"


def test_switching_the_gate_back_on_shows_it_on_the_next_request(site, explicit, bob):
    accounts.preferences_adult_content(bob, show=True)
    url = parts(explicit)[0]
    session = Session(bob)
    session.get(site, url)
    assert session.get(site, url).cache == "personal"
    accounts.preferences_adult_content(bob, show=False)
    page = session.get(site, url)
    assert page.cache != "personal" and GATE in page.text


def test_a_book_that_is_not_adult_keeps_one_shell_for_everyone(site, alice, bob, carol):
    story = rated(write_book(alice, "Calm Seas", 1), "General Audiences")
    url = parts(story)[0]
    accounts.preferences_adult_content(bob, show=True)
    assert Session(bob).get(site, url).cache == "miss"
    assert Session(carol).get(site, url).cache == "personal"


# The pages themselves


def test_the_gate_and_the_preferences_page_are_well_formed_html5(explicit, bob):
    import html5lib

    pages = {
        "gate": guest().get(parts(explicit)[0]),
        "preferences": signed_in(bob).get(reverse("accounts:preferences")),
    }
    for name, response in pages.items():
        assert response.status_code == 200
        parser = html5lib.HTMLParser(namespaceHTMLElements=False)
        document = parser.parse(response.content, transport_encoding="utf-8")
        assert parser.errors == [], name
        assert len(document.findall(".//h1")) == 1, name
        assert len(document.findall(".//main")) == 1, name
