"""Writing through the API: writers create and change their books and parts with a token,
under the same rules as the desk; nobody else can, and nothing is half-written."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from storyhouse.accounts import tokens
from storyhouse.stories.models import Part, PartState, Story, Visibility
from tests.helpers import write_book

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


class Api:
    """A script holding a personal token."""

    def __init__(self, user=None) -> None:
        headers = {}
        if user is not None:
            self.token, raw = tokens.token_create(user, "script")
            headers["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
        self.client = Client(**headers)

    def post(self, path: str, data: dict):
        return self.client.post(path, json.dumps(data), content_type="application/json")

    def patch(self, path: str, data: dict):
        return self.client.patch(path, json.dumps(data), content_type="application/json")


def answer(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:800])
    assert response["Content-Type"].startswith("application/json")
    return response.json()


NEW_BOOK = {
    "title": "The Lighthouse",
    "description": "A keeper, a storm and *one* light.",
    "rating": "Teen And Up Audiences",
    "warnings": ["No Archive Warnings Apply", "storms"],
    "categories": ["Gen"],
    "fandoms": ["Original Work"],
    "tropes": ["Slow Burn"],
    "status": "ongoing",
    "visibility": "public",
}


def test_alice_starts_a_book_with_her_token(alice):
    book = answer(Api(alice).post("/api/books/", NEW_BOOK), 201)
    assert book["title"] == "The Lighthouse"
    assert book["description"] == "<p>A keeper, a storm and <em>one</em> light.</p>"
    assert book["rating"]["name"] == "Teen And Up Audiences"
    assert [tag["name"] for tag in book["tags"]["warnings"]] == [
        "No Archive Warnings Apply",
        "storms",
    ]
    assert [tag["name"] for tag in book["tags"]["categories"]] == ["Gen"]
    assert [tag["name"] for tag in book["tags"]["fandoms"]] == ["Original Work"]
    assert book["authors"][0]["username"] == "alice" and book["can_edit"] is True
    story = Story.objects.get(pk=book["id"])
    assert story.description_source == NEW_BOOK["description"]
    assert story.visibility == Visibility.PUBLIC


def test_a_book_without_an_archive_warning_is_refused_as_at_the_desk(alice):
    response = Api(alice).post("/api/books/", {**NEW_BOOK, "warnings": ["storms"]})
    data = answer(response, 422)
    assert data["errors"]["warnings"] == [
        "Choose at least one archive warning, or “Creator Chose Not To Use Archive Warnings”."
    ]
    assert not Story.objects.exists()  # nothing half-written


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rating": "Very Spicy"}, "rating"),
        ({"categories": ["Romance"]}, "categories"),
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({"visibility": "hidden"}, "visibility"),
        ({"warnings": []}, "warnings"),
    ],
)
def test_what_cannot_be_taken_is_named(alice, change, field):
    data = answer(Api(alice).post("/api/books/", {**NEW_BOOK, **change}), 422)
    assert field in data["errors"], data
    assert data["message"]
    assert not Story.objects.exists()


def test_writes_need_a_token_not_a_session(alice):
    guest = Api()
    data = answer(guest.post("/api/books/", NEW_BOOK), 401)
    assert data["message"].startswith("Changes need a personal token")
    session = Client()
    session.force_login(alice)
    response = session.post("/api/books/", json.dumps(NEW_BOOK), content_type="application/json")
    assert answer(response, 401)["message"]
    assert not Story.objects.exists()


def test_a_revoked_token_is_refused(alice):
    api = Api(alice)
    tokens.token_revoke(api.token)
    assert answer(api.post("/api/books/", NEW_BOOK), 401)["message"].startswith(
        "This token is not valid"
    )


def test_changes_come_as_json_only(alice):
    # A page elsewhere can post a form with remembered credentials, but not JSON.
    api = Api(alice)
    response = api.client.post("/api/books/", {"title": "Sneaky"})
    assert answer(response, 415)["message"] == (
        "Send changes as JSON, with “Content-Type: application/json”."
    )
    assert not Story.objects.exists()


def test_the_token_as_a_basic_password_works_too(alice):
    _token, raw = tokens.token_create(alice, "e-reader")
    import base64

    basic = base64.b64encode(f"alice:{raw}".encode()).decode()
    client = Client(HTTP_AUTHORIZATION=f"Basic {basic}")
    response = client.post("/api/books/", json.dumps(NEW_BOOK), content_type="application/json")
    assert answer(response, 201)["title"] == "The Lighthouse"


def test_an_unconfirmed_account_cannot_post_yet(alice):
    alice.email_verified = False
    alice.save()
    data = answer(Api(alice).post("/api/books/", NEW_BOOK), 403)
    assert data["message"] == "Your account cannot post yet: confirm your email address first."


def test_alice_changes_only_what_she_sends(alice):
    api = Api(alice)
    book = answer(api.post("/api/books/", NEW_BOOK), 201)
    changed = answer(
        api.patch(f"/api/books/{book['id']}", {"title": "The Lamp", "status": "complete"}), 200
    )
    assert (changed["title"], changed["status"], changed["slug"]) == (
        "The Lamp",
        "complete",
        "the-lamp",
    )
    assert changed["tags"] == book["tags"]
    assert changed["description"] == book["description"]
    retagged = answer(api.patch(f"/api/books/{book['id']}", {"tropes": ["Found Family"]}), 200)
    assert [tag["name"] for tag in retagged["tags"]["tropes"]] == ["Found Family"]
    assert retagged["tags"]["fandoms"] == book["tags"]["fandoms"]


def test_others_cannot_change_a_book(alice, bob):
    public = write_book(alice, "Public")
    draft = write_book(alice, "Draft", visibility=Visibility.DRAFT)
    bob_api = Api(bob)
    data = answer(bob_api.patch(f"/api/books/{public.pk}", {"title": "Mine now"}), 403)
    assert data["message"] == "Only the book's authors can change it."
    # A book Bob cannot see does not exist, for him.
    answer(bob_api.patch(f"/api/books/{draft.pk}", {"title": "Mine now"}), 404)
    answer(bob_api.post(f"/api/books/{draft.pk}/parts/", {"title": "Mine"}), 404)
    answer(bob_api.post(f"/api/books/{public.pk}/parts/", {"title": "Mine"}), 403)
    part = public.parts.get()
    answer(bob_api.patch(f"/api/parts/{part.pk}", {"title": "Mine"}), 403)
    assert Story.objects.get(pk=public.pk).title == "Public"


def test_alice_writes_a_part_in_markdown_and_publishes_it(alice, reader):
    api = Api(alice)
    book = answer(api.post("/api/books/", NEW_BOOK), 201)
    part = answer(
        api.post(
            f"/api/books/{book['id']}/parts/",
            {
                "title": "Arrival",
                "body": "The *lamp* was lit.\n\nThe sea was loud.",
                "notes_before": "Thanks for **reading**!",
                "tropes": ["Hero/Villain"],
                "warnings": ["character death"],
                "state": "published",
            },
        ),
        201,
    )
    assert part["state"] == "published" and part["words"] == 8
    assert part["notes_before"] == "<p>Thanks for <strong>reading</strong>!</p>"
    assert [tag["name"] for tag in part["tags"]] == ["Hero/Villain", "character death"]
    read = answer(reader.get(f"/api/parts/{part['id']}"), 200)
    assert "<em>lamp</em> was lit." in read["body"] and 'id="p-' in read["body"]


def test_a_draft_part_stays_its_writers_until_published(alice, reader):
    story = write_book(alice, "The Lighthouse", 1)
    api = Api(alice)
    draft = answer(api.post(f"/api/books/{story.pk}/parts/", {"title": "Storm"}), 201)
    assert draft["state"] == "draft" and draft["position"] == 2
    answer(reader.get(f"/api/parts/{draft['id']}"), 404)
    published = answer(api.patch(f"/api/parts/{draft['id']}", {"state": "published"}), 200)
    assert published["state"] == "published" and published["title"] == "Storm"
    answer(reader.get(f"/api/parts/{draft['id']}"), 200)


def test_html_bodies_are_cleaned(alice):
    story = write_book(alice, "The Lighthouse", 1)
    part = story.parts.get()
    data = answer(
        Api(alice).patch(
            f"/api/parts/{part.pk}",
            {
                "body": '<p onclick="x()">Safe <script>alert(1)</script>text</p>',
                "body_format": "html",
            },
        ),
        200,
    )
    assert "script" not in data["body"] and "onclick" not in data["body"]
    assert "Safe" in data["body"] and data["title"] == part.title


def test_scheduling_needs_a_time_to_come(alice):
    story = write_book(alice, "The Lighthouse", 1)
    api = Api(alice)
    path = f"/api/books/{story.pk}/parts/"
    data = answer(api.post(path, {"title": "Later", "state": "scheduled"}), 422)
    assert "publish_at" in data["errors"]
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    answer(api.post(path, {"title": "Later", "state": "scheduled", "publish_at": past}), 422)
    answer(api.post(path, {"title": "Later", "state": "scheduled", "publish_at": 0}), 422)
    soon = (timezone.now() + timedelta(days=1)).isoformat()
    part = answer(api.post(path, {"title": "Later", "state": "scheduled", "publish_at": soon}), 201)
    assert part["state"] == "scheduled"
    assert Part.objects.get(pk=part["id"]).state == PartState.SCHEDULED


@pytest.mark.parametrize("body", ['"A title"', "[null, null]", "42", "{not json"])
def test_a_body_that_is_not_a_json_object_is_refused(alice, body):
    story = write_book(alice, "The Lighthouse", 1)
    part = story.parts.get()
    client = Api(alice).client
    for response in (
        client.patch(f"/api/parts/{part.pk}", body, content_type="application/json"),
        client.post(f"/api/books/{story.pk}/parts/", body, content_type="application/json"),
        client.post("/api/books/", body, content_type="application/json"),
    ):
        assert response.status_code in {400, 422}, response.content
        assert response.json()["message"]
    assert Part.objects.get(pk=part.pk).title == "Chapter 1"
    assert story.parts.count() == 1


# Votes and comments: the part page's rules, with a token.


def test_a_reader_votes_and_comments_with_a_token(alice, bob):
    part = write_book(alice, "The Lighthouse", 1).parts.get()
    api = Api(bob)
    assert answer(api.post(f"/api/parts/{part.pk}/vote", {}), 200) == {"voted": True, "votes": 1}
    assert answer(api.post(f"/api/parts/{part.pk}/vote", {"voted": True}), 200)["votes"] == 1
    assert answer(api.post(f"/api/parts/{part.pk}/vote", {"voted": False}), 200)["votes"] == 0
    paragraph = part.body.split('id="', 1)[1].split('"', 1)[0]
    said = answer(
        api.post(f"/api/parts/{part.pk}/comments", {"body": "Lovely.", "paragraph": paragraph}),
        201,
    )
    assert (said["body"], said["paragraph"], said["parent"]) == ("Lovely.", paragraph, None)
    reply = answer(
        Api(alice).post(
            f"/api/parts/{part.pk}/comments", {"body": "Thanks!", "parent": said["id"]}
        ),
        201,
    )
    assert reply["parent"] == said["id"]
    assert "Lovely." in Client().get(part.get_absolute_url()).content.decode()


def test_votes_and_comments_need_a_token_and_a_part_one_may_read(alice, bob):
    part = write_book(alice, "The Lighthouse", 1).parts.get()
    draft = write_book(alice, "Draft", 1, visibility=Visibility.DRAFT).parts.get()
    answer(Api().post(f"/api/parts/{part.pk}/vote", {}), 401)
    answer(Api(bob).post(f"/api/parts/{draft.pk}/vote", {}), 404)
    answer(Api(bob).post(f"/api/parts/{draft.pk}/comments", {"body": "Hi"}), 404)


def test_a_comment_the_services_refuse_is_a_422_by_field(alice, bob):
    part = write_book(alice, "The Lighthouse", 1).parts.get()
    other = write_book(alice, "Another", 1).parts.get()
    api = Api(bob)
    elsewhere = answer(api.post(f"/api/parts/{other.pk}/comments", {"body": "There."}), 201)
    empty = answer(api.post(f"/api/parts/{part.pk}/comments", {"body": "   "}), 422)
    assert "body" in empty["errors"]
    wrong = answer(
        api.post(f"/api/parts/{part.pk}/comments", {"body": "Hi", "parent": elsewhere["id"]}), 422
    )
    assert "parent" in wrong["errors"]
    gone = answer(
        api.post(f"/api/parts/{part.pk}/comments", {"body": "Hi", "paragraph": "p-x"}), 422
    )
    assert "paragraph" in gone["errors"]


def test_an_unconfirmed_account_cannot_vote_through_the_api(alice, bob):
    part = write_book(alice, "The Lighthouse", 1).parts.get()
    bob.email_verified = False
    bob.save()
    refused = answer(Api(bob).post(f"/api/parts/{part.pk}/vote", {}), 403)
    assert "cannot vote" in refused["message"]


def test_commenting_faster_than_allowed_is_a_429_with_a_message(settings, alice, bob):
    settings.COMMENTS_PER_MINUTE = 2
    part = write_book(alice, "The Lighthouse", 1).parts.get()
    api = Api(bob)
    for number in range(2):
        answer(api.post(f"/api/parts/{part.pk}/comments", {"body": f"Comment {number}"}), 201)
    refused = api.post(f"/api/parts/{part.pk}/comments", {"body": "One too many"})
    assert "faster than we allow" in answer(refused, 429)["message"]
    assert int(refused["Retry-After"]) > 0
