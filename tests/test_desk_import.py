"""Alice brings books in from files at her desk: she uploads them, chooses whether they go out
at once, and reads a summary; a file that cannot be read is named with the reason, and leaves
nothing behind."""

import io
import re
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.stories import services
from storyhouse.stories.exporters import render
from storyhouse.stories.models import Part, Story, Visibility
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db

BOOK_TITLE = "One For All and Izuku Midoriya One-Shots"
PART_TITLE = "Love Doesn't Always Mean A Happy Ending"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def signed_in(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(user)
    return client


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def results(html: str) -> dict[str, str]:
    """Each file of the summary, by name: the text said about it, tags and spaces squeezed."""
    found = re.findall(
        r'<li class="import-result import-result--\w+" data-file="([^"]+)">(.*?)</li>', html, re.S
    )
    return {name: " ".join(re.sub(r"<[^>]+>", " ", text).split()) for name, text in found}


def test_the_desk_links_to_the_import_form(alice):
    html = signed_in(alice).get("/desk/").content.decode()
    assert 'href="/desk/import/"' in html
    html = signed_in(alice).get("/desk/import/").content.decode()
    assert "<h1>Import books</h1>" in html
    assert 'type="file" name="files"' in html and "multiple" in html
    assert "Publish now" in html and "Keep as drafts" in html


def test_alice_uploads_the_sample_page_and_gets_a_book(alice, sample_path, reader):
    response = signed_in(alice).post(
        "/desk/import/",
        {
            "files": [upload("love.txt", sample_path.read_bytes())],
            "visibility": Visibility.PUBLIC,
        },
    )
    html = response.content.decode()
    assert response.status_code == 200, html
    story = Story.objects.get(title=BOOK_TITLE)
    assert story.visibility == Visibility.PUBLIC
    assert list(story.authorship_set.values_list("user__username", flat=True)) == ["alice"]
    assert [part.title for part in story.parts.all()] == [PART_TITLE]
    assert "1 of 1 file imported" in html
    assert f'<a href="{story.get_absolute_url()}">{BOOK_TITLE}</a>' in html
    assert results(html)["love.txt"].endswith("1 part created, 0 updated, 0 unchanged")
    # Out at once: a guest reads it.
    assert reader.get(story.parts.get().get_absolute_url()).status_code == 200

    # The same file again changes nothing.
    html = (
        signed_in(alice)
        .post(
            "/desk/import/",
            {"files": [upload("love.txt", sample_path.read_bytes())], "visibility": "public"},
        )
        .content.decode()
    )
    assert results(html)["love.txt"].endswith("0 parts created, 0 updated, 1 unchanged")
    assert Story.objects.count() == 1


def test_books_kept_as_drafts_are_seen_by_no_one_else(alice, sample_path, reader):
    response = signed_in(alice).post(
        "/desk/import/",
        {"files": [upload("love.txt", sample_path.read_bytes())], "visibility": Visibility.DRAFT},
    )
    assert response.status_code == 200
    story = Story.objects.get(title=BOOK_TITLE)
    assert story.visibility == Visibility.DRAFT
    assert reader.get(story.get_absolute_url()).status_code == 404


def test_a_broken_file_is_named_with_its_reason_while_the_good_one_imports(alice, sample_path):
    response = signed_in(alice).post(
        "/desk/import/",
        {
            "files": [
                upload("empty.txt", b"  \n"),
                upload("love.txt", sample_path.read_bytes()),
                upload("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + bytes(200)),
            ],
            "visibility": Visibility.PUBLIC,
        },
    )
    html = response.content.decode()
    assert response.status_code == 200, html
    assert "1 of 3 files imported" in html
    assert "2 files could not be read; nothing of them was kept." in html
    said = results(html)
    assert said["empty.txt"] == "empty.txt : could not be read: the file is empty"
    assert said["photo.jpg"].startswith("photo.jpg : could not be read: ")
    assert len(said["photo.jpg"]) > len("photo.jpg : could not be read: ")
    assert "1 part created" in said["love.txt"]
    assert list(Story.objects.values_list("title", flat=True)) == [BOOK_TITLE]


def test_a_file_that_fails_while_being_written_leaves_nothing_behind(
    alice, sample_path, monkeypatch
):
    def failing_part_save(*args, **kwargs):
        raise ValidationError("the part could not be saved")

    monkeypatch.setattr(services, "part_save", failing_part_save)
    response = signed_in(alice).post(
        "/desk/import/",
        {"files": [upload("love.txt", sample_path.read_bytes())], "visibility": "public"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert results(html)["love.txt"] == "love.txt : could not be read: the part could not be saved"
    # The book was written before its part failed: it went back with it.
    assert not Story.objects.exists() and not Part.objects.exists()


def test_markdown_files_sent_together_make_one_book(alice):
    files = [
        upload("02-storm.md", b"---\ntitle: Storm\n---\nThe storm came at night.\n"),
        upload("01-arrival.md", b"---\ntitle: Arrival\n---\nThe keeper *came* at dusk.\n"),
        upload("book.md", b"---\ntitle: The Lighthouse\n---\nA keeper and one light.\n"),
    ]
    response = signed_in(alice).post("/desk/import/", {"files": files, "visibility": "public"})
    html = response.content.decode()
    assert response.status_code == 200, html
    said = results(html)["02-storm.md, 01-arrival.md, book.md"]
    assert "2 parts created" in said, said
    story = Story.objects.get()
    assert story.title == "The Lighthouse"
    assert [part.title for part in story.parts.order_by("position")] == ["Arrival", "Storm"]
    assert "<em>came</em>" in story.parts.get(title="Arrival").body


def test_a_zip_of_a_markdown_folder_is_one_book_and_a_lone_markdown_file_another(alice):
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.writestr("lighthouse/01.md", "---\ntitle: Arrival\n---\nDusk.\n")
        archive.writestr("lighthouse/02.md", "---\ntitle: Storm\n---\nNight.\n")
    files = [
        upload("The Lighthouse.zip", packed.getvalue()),
        upload("A Lone Tale.md", b"# The only part\n\nOnce.\n"),
    ]
    response = signed_in(alice).post("/desk/import/", {"files": files, "visibility": "public"})
    html = response.content.decode()
    assert response.status_code == 200, html
    said = results(html)
    assert "2 parts created" in said["The Lighthouse.zip"], said
    assert "1 part created" in said["A Lone Tale.md"], said
    assert Story.objects.count() == 2


def test_an_epub_exported_from_storyhouse_comes_back_in(alice, bob):
    book = write_book(bob, "The Lighthouse", ["Arrival", "Storm"])
    epub = render(book, "epub")
    response = signed_in(alice).post(
        "/desk/import/",
        {"files": [upload("the-lighthouse.epub", epub)], "visibility": "draft"},
    )
    html = response.content.decode()
    assert response.status_code == 200, html
    said = results(html)["the-lighthouse.epub"]
    assert "2 parts created" in said, said
    mine = Story.objects.get(authorship__user=alice)
    assert mine.title == "The Lighthouse" and mine.visibility == Visibility.DRAFT
    assert [part.title for part in mine.parts.order_by("position")] == ["Arrival", "Storm"]


# Limits and rules


def test_no_file_chosen_is_a_form_error(alice):
    response = signed_in(alice).post("/desk/import/", {"visibility": "public"})
    assert response.status_code == 400
    assert "Choose at least one file to import." in response.content.decode()


def test_a_too_large_upload_gets_a_kind_answer(alice, sample_path, settings):
    settings.IMPORT_UPLOAD_MAX_SIZE = 2000
    response = signed_in(alice).post(
        "/desk/import/",
        {"files": [upload("big.txt", sample_path.read_bytes())], "visibility": "public"},
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert "These files are too large to send at once: up to 2.0\xa0KB in one go." in html
    assert not Story.objects.exists()


def test_too_many_files_get_a_kind_answer(alice, settings):
    settings.IMPORT_UPLOAD_MAX_FILES = 2
    files = [upload(f"{n}.txt", b"words") for n in range(3)]
    response = signed_in(alice).post("/desk/import/", {"files": files, "visibility": "public"})
    assert response.status_code == 400
    assert "send at most 2 in one go" in response.content.decode()
    assert not Story.objects.exists()


def test_a_guest_is_sent_to_log_in(reader, sample_path):
    for response in (
        reader.get("/desk/import/"),
        reader.post("/desk/import/", {"files": [upload("love.txt", sample_path.read_bytes())]}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/desk/import/")
    assert not Story.objects.exists()


def test_an_unconfirmed_writer_cannot_import(alice, sample_path):
    alice.email_verified = False
    alice.save()
    response = signed_in(alice).post(
        "/desk/import/",
        {"files": [upload("love.txt", sample_path.read_bytes())], "visibility": "public"},
    )
    assert response.status_code == 403
    assert not Story.objects.exists()


def test_the_upload_needs_the_csrf_token(alice, sample_path):
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(alice)
    data = {"files": [upload("love.txt", sample_path.read_bytes())], "visibility": "public"}
    assert client.post("/desk/import/", data).status_code == 403
    assert not Story.objects.exists()
    # With the token from the form, it goes through.
    html = client.get("/desk/import/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    data = {"files": [upload("love.txt", sample_path.read_bytes())], "visibility": "public"}
    response = client.post("/desk/import/", {**data, "csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert Story.objects.filter(title=BOOK_TITLE).exists()
