"""When the database cannot be reached, Bob gets a short, kind page saying so (a 503 with
Retry-After), never the 500 page; an API client gets the same in JSON; and once the
database answers again, so does Storyhouse."""

import json
import logging
from contextlib import contextmanager

import pytest
from django.db import OperationalError, connection
from django.test import Client

from storyhouse.engagement import services as engagement
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db

FRIENDLY = "Storyhouse is taking a short break"


@pytest.fixture
def browser() -> Client:
    # The test client re-raises what a view raised; a browser sees the page Django answers.
    return Client(HTTP_USER_AGENT=BROWSER_AGENT, raise_request_exception=False)


@contextmanager
def database_down(message: str = "connection refused"):
    """Every query fails as it does when PostgreSQL has stopped."""

    def refuse(execute, sql, params, many, context):
        raise OperationalError(message)

    with connection.execute_wrapper(refuse):
        yield


def assert_outage_page(response) -> str:
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert FRIENDLY in html
    assert "Please try again in a minute." in html
    return html


def outage_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name in {"storyhouse.outage", "django.request"}]


def test_a_guest_gets_the_friendly_page_while_the_database_is_down(browser, alice, caplog):
    book = write_book(alice, "The Lighthouse", 2)
    with database_down():
        response = browser.get(book.get_absolute_url())
    html = assert_outage_page(response)
    assert f'href="{book.get_absolute_url()}"' in html  # "Try again" reloads the same page
    assert "Something went wrong" not in html
    # Logged once, by us: not a second time by Django as a server error.
    records = outage_records(caplog)
    assert len(records) == 1, [r.getMessage() for r in records]
    assert records[0].levelno == logging.ERROR
    assert "connection refused" in records[0].getMessage()


def test_the_page_needs_nothing_from_the_database(browser, alice):
    """Signed in, the session and the account are looked up before any view runs: that
    failure is caught too, and the page shows nothing that would need the database."""
    write_book(alice, "The Lighthouse", 1)
    browser.force_login(alice)
    assert "Alice Liddell" in browser.get("/").content.decode()
    with database_down():
        html = assert_outage_page(browser.get("/"))
    for personal in ("alice", "Alice Liddell", "The Lighthouse", "Sign out", "Notifications"):
        assert personal not in html
    assert "{%" not in html and "{{" not in html


def test_the_database_locked_past_its_busy_timeout_is_a_503_not_a_500(
    browser, alice, bob, monkeypatch
):
    book = write_book(alice, "The Lighthouse", 1)
    part = book.parts.get()
    bob.email_verified = True
    bob.save()
    browser.force_login(bob)

    def locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr(engagement, "vote_toggle", locked)
    response = browser.post(f"/parts/{part.pk}/vote/", {"voted": "true"})
    assert response.status_code == 503
    html = response.content.decode()
    assert FRIENDLY in html
    # Bob learns that his vote did not go through, and what to do.
    assert "What you just sent did not reach us" in html
    assert response["Retry-After"] == "30"


def test_an_api_client_gets_json(browser, alice):
    write_book(alice, "The Lighthouse", 1)
    with database_down():
        response = browser.get("/api/books/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Content-Type"] == "application/json"
    message = json.loads(response.content)["message"]
    assert message.startswith("Storyhouse is taking a short break")
    assert "try again in 30 seconds" in message


def test_storyhouse_answers_again_as_soon_as_the_database_does(browser, alice):
    book = write_book(alice, "The Lighthouse", 1)
    with database_down():
        assert browser.get(book.get_absolute_url()).status_code == 503
    response = browser.get(book.get_absolute_url())
    assert response.status_code == 200
    assert "The Lighthouse" in response.content.decode()


def test_other_errors_are_still_the_500_page(browser, alice, monkeypatch):
    """A bug is not a break: it gets the 500 page, and so does a missing table (a
    migration not run), which SQLite also reports as an OperationalError."""
    book = write_book(alice, "The Lighthouse", 1)
    part = book.parts.get()
    alice.email_verified = True
    alice.save()
    browser.force_login(alice)
    for error in (RuntimeError("a bug"), OperationalError("no such table: engagement_vote")):

        def broken(error=error, **kwargs):
            raise error

        monkeypatch.setattr(engagement, "vote_toggle", broken)
        response = browser.post(f"/parts/{part.pk}/vote/", {"voted": "true"})
        assert response.status_code == 500
        assert FRIENDLY not in response.content.decode()


def test_a_failure_in_a_middleware_gets_the_same_answer(browser):
    """A personal token is looked up by a middleware, before any view (or the API) runs."""
    with database_down():
        page = browser.get("/", HTTP_AUTHORIZATION="Bearer sh_not-a-real-token")
        api = browser.get("/api/books/", HTTP_AUTHORIZATION="Bearer sh_not-a-real-token")
    assert_outage_page(page)
    assert api.status_code == 503
    assert api["Content-Type"] == "application/json"
    assert api["Retry-After"] == "30"
