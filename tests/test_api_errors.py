"""The API's edges: every error is JSON with a message, rate limits answer a clear 429, and
the description at /api/openapi.json (and its docs page) says all of it."""

import json

import pytest
from django.test import Client

from storyhouse.accounts import tokens
from storyhouse.api import books
from storyhouse.stories.models import Tag
from storyhouse.stories.services import NO_WARNINGS_APPLY
from tests.helpers import write_book

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def with_token(user) -> Client:
    _token, raw = tokens.token_create(user, "script")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def message(response, status: int) -> str:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    return response.json()["message"]


def test_reads_over_the_limit_wait_with_a_clear_429(settings, reader, alice):
    settings.API_READS_PER_MINUTE = 3
    for _ in range(3):
        assert reader.get("/api/books/").status_code == 200
    response = reader.get("/api/books/")
    text = message(response, 429)
    seconds = int(response["Retry-After"])
    assert 1 <= seconds <= 60
    assert text == f"Too many requests: wait {seconds} seconds and try again."
    # Someone else, with a token of their own, is not held back.
    assert with_token(alice).get("/api/books/").status_code == 200


def test_writes_are_counted_apart_from_reads(settings, alice):
    settings.API_WRITES_PER_MINUTE = 2
    client = with_token(alice)
    story = write_book(alice, "The Lighthouse", tags=[Tag.objects.get(name=NO_WARNINGS_APPLY)])
    for number in range(2):
        response = client.patch(
            f"/api/books/{story.pk}",
            json.dumps({"title": f"Take {number}"}),
            content_type="application/json",
        )
        assert response.status_code == 200
    refused = client.patch(
        f"/api/books/{story.pk}", json.dumps({"title": "Take 3"}), content_type="application/json"
    )
    assert message(refused, 429).startswith("Too many requests: wait ")
    assert client.get(f"/api/books/{story.pk}").json()["title"] == "Take 1"


def test_use_under_the_limit_is_never_refused(settings, reader):
    settings.API_READS_PER_MINUTE = 40
    statuses = {reader.get("/api/tags/?type=rating").status_code for _ in range(40)}
    assert statuses == {200}


def test_the_client_address_counts_through_a_proxy(settings, reader):
    settings.API_READS_PER_MINUTE = 1
    settings.PROXY_COUNT = 1
    assert reader.get("/api/tags/", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 200
    assert reader.get("/api/tags/", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429
    assert reader.get("/api/tags/", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200


def test_a_method_an_address_does_not_take_is_a_json_405(reader):
    response = reader.delete("/api/books/")
    assert message(response, 405) == "This address takes only GET, POST requests."
    assert response["Allow"] == "GET, POST"


def test_an_address_that_names_nothing_is_a_json_404(reader):
    assert message(reader.get("/api/spaceships/"), 404) == (
        "There is no such address in the API: see /api/docs."
    )
    assert message(reader.get("/api/authors/a/b"), 404)


def test_a_bug_is_a_json_500_and_logged(reader, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(books, "book_page", broken)
    response = reader.get("/api/books/")
    assert message(response, 500) == "Something went wrong on our side; it has been logged."
    assert "a bug" in caplog.text


def test_text_with_nul_characters_is_no_500(reader, alice):
    with_token(alice)
    assert reader.get("/api/tags/?q=a%00b").status_code == 200
    assert reader.get("/api/authors/al%00ice").status_code in {200, 404}
    assert reader.get("/api/search/?q=%00").status_code == 200


def test_ids_beyond_what_the_database_holds_are_a_422(reader):
    assert "story_id" in json.loads(reader.get(f"/api/books/{2**64}").content)["errors"]


def test_the_openapi_description_documents_every_answer(reader):
    response = reader.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) == {
        "/api/books/",
        "/api/books/{story_id}",
        "/api/books/{story_id}/parts/",
        "/api/parts/{part_id}",
        "/api/parts/{part_id}/vote",
        "/api/parts/{part_id}/comments",
        "/api/tags/",
        "/api/tags/{slug}",
        "/api/authors/{username}",
        "/api/search/",
        "/api/stats/",
        "/api/stats/books/{story_id}",
    }
    assert schema["components"]["securitySchemes"] == {
        "PersonalToken": {"type": "http", "scheme": "bearer"},
        "PersonalTokenAsPassword": {"type": "http", "scheme": "basic"},
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            documented = set(operation["responses"])
            assert {"401", "404", "422", "429"} <= documented, (method, path)
            if method != "get":
                assert {"403", "415"} <= documented, (method, path)
                assert {} not in operation["security"]  # writes need the token
            else:
                assert {} in operation["security"]  # reads welcome one


def test_the_docs_page_uses_no_cdn(reader):
    response = reader.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<script src="/api/docs/files/swagger-ui-bundle.js">' in html
    assert '"url": "/api/openapi.json"' in html
    assert "http" not in html.lower()  # nothing from elsewhere
    script = reader.get("/api/docs/files/swagger-ui-bundle.js")
    assert script.status_code == 200 and script["Content-Type"] == "text/javascript"
    assert reader.get("/api/docs/files/redoc.standalone.js").status_code == 404
