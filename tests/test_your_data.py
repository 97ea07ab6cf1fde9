"""A person downloads everything they wrote: their books as EPUB and Markdown, drafts
included, and a JSON of their comments, votes, reading lists, library and follows."""

import io
import json
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

from storyhouse.engagement import services as engagement
from storyhouse.stories import services
from storyhouse.stories.models import Part, PartState
from tests.export_books import epubcheck_problems
from tests.helpers import needs_tool, write_book


@pytest.fixture
def archive(alice, bob, tmp_path) -> zipfile.ZipFile:
    book = write_book(alice, "Letters to the Lighthouse", ["The first letter"])
    services.part_save(
        Part(story=book, title="Unsent", body="<p>A letter I never sent.</p>"),
        edited_by=alice,
    )
    bobs = write_book(bob, "Bob's Garden", ["Spring"])
    spring = bobs.parts.get()
    engagement.vote_toggle(user=alice, part=spring)
    engagement.comment_post(author=alice, part=spring, body="The tulips made me cry.")
    engagement.library_add(user=alice, story=bobs)
    favourites = engagement.reading_list_create(owner=alice, title="Gentle ones")
    engagement.reading_list_add(user=alice, reading_list=favourites, story=bobs)
    engagement.follow(follower=alice, writer=bob)

    client = Client()
    client.force_login(alice)
    page = client.get(reverse("accounts:your_data"))
    assert "Download my data" in page.content.decode()
    response = client.post(reverse("accounts:your_data"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "storyhouse-alice-" in response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_zip_holds_each_book_with_its_drafts(archive, alice):
    names = archive.namelist()
    book = alice.stories.get()
    stem = f"books/{book.pk}-{book.slug}"
    assert {f"{stem}.epub", f"{stem}.md", "your-data.json"} <= set(names)
    assert not any("garden" in name for name in names)  # Bob's book is Bob's
    markdown = archive.read(f"{stem}.md").decode()
    assert "The first letter" in markdown and "A letter I never sent." in markdown
    assert Part.objects.get(title="Unsent").state == PartState.DRAFT


def test_the_json_holds_comments_votes_lists_library_and_follows(archive):
    data = json.loads(archive.read("your-data.json"))
    assert data["account"]["username"] == "alice"
    assert [comment["text"] for comment in data["comments"]] == ["The tulips made me cry."]
    assert data["comments"][0]["book"]["title"] == "Bob's Garden"
    assert data["comments"][0]["part"]["url"].startswith("http")
    assert [vote["part"]["title"] for vote in data["votes"]] == ["Spring"]
    [reading_list] = data["reading_lists"]
    assert reading_list["title"] == "Gentle ones" and reading_list["public"] is False
    assert [book["title"] for book in reading_list["books"]] == ["Bob's Garden"]
    assert [entry["title"] for entry in data["library"]] == ["Bob's Garden"]
    assert [follow["username"] for follow in data["following"]] == ["bob"]
    assert data["books"][0]["title"] == "Letters to the Lighthouse"
    assert data["shows_adult_content"] is False  # the adult-content gate's preference


@needs_tool("epubcheck", "epubcheck")
def test_the_books_epub_passes_epubcheck(archive, alice, tmp_path):
    book = alice.stories.get()
    path = tmp_path / "book.epub"
    path.write_bytes(archive.read(f"books/{book.pk}-{book.slug}.epub"))
    assert epubcheck_problems(path) == {"book.epub": []}


def test_the_download_is_for_signed_in_people_and_needs_a_csrf_token(alice):
    response = Client().post(reverse("accounts:your_data"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(reverse("accounts:your_data")).status_code == 403
