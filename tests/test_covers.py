"""Covers: Alice uploads an image for her book, or gets one made from its title and her name.

Uploads are checked by Pillow, turned upright, cropped to 2:3 and written again as JPEG in
three sizes with no metadata; whatever else is sent is refused with a clear message.
"""

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import ExifTags, Image

from storyhouse.accounts.models import User
from storyhouse.stories import covers, services
from storyhouse.stories.models import Story, Tag
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def desk(alice: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(alice)
    return client


def book_form(**changes) -> dict:
    data = {
        "title": "The Lighthouse",
        "description": "",
        "language": "en",
        "status": "ongoing",
        "visibility": "public",
        "rating": Tag.objects.get(name="Not Rated").pk,
        "archive_warnings": [Tag.objects.get(name="No Archive Warnings Apply").pk],
    }
    data.update(changes)
    return data


def image_file(
    kind: str = "JPEG", size: tuple[int, int] = (600, 900), name: str = "cover.jpg", **save
) -> SimpleUploadedFile:
    image = Image.new("RGB", size, "#2a6f97")
    buffer = io.BytesIO()
    image.save(buffer, kind, **save)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/whatever")


def stored(story: Story, size: str, media_root: Path) -> Image.Image:
    path = media_root / "covers" / f"{story.cover}-{size}.jpg"
    return Image.open(path)


def errors_of(response) -> list[str]:
    return re.findall(r'<ul class="errorlist"[^>]*><li>(.*?)</li>', response.content.decode())


def test_an_uploaded_photo_loses_its_metadata_and_stands_upright(desk, media_root):
    """A phone photo taken sideways, with the camera's name and where it was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.ImageDescription] = "In my kitchen"
    exif[ExifTags.Base.Orientation] = 6  # shown turned a quarter clockwise
    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (51.0, 30.0, 12.0),
    }
    sideways = Image.new("RGB", (900, 600), "#0000ff")
    sideways.paste(Image.new("RGB", (450, 600), "#ff0000"), (0, 0))  # left half: the top
    buffer = io.BytesIO()
    sideways.save(buffer, "JPEG", exif=exif, comment=b"secret comment")
    upload = SimpleUploadedFile("holiday.jpg", buffer.getvalue(), content_type="image/jpeg")
    assert b"SecretCam" in upload.read()
    upload.seek(0)

    response = desk.post("/desk/stories/new/", book_form(cover=upload))

    assert response.status_code == 302
    story = Story.objects.get()
    assert story.cover_uploaded
    for size, expected in covers.SIZES.items():
        image = stored(story, size, media_root)
        assert image.format == "JPEG"
        assert image.size == expected
        assert not image.getexif()
        assert "comment" not in image.info and "icc_profile" not in image.info
        raw = (media_root / "covers" / f"{story.cover}-{size}.jpg").read_bytes()
        for secret in (b"SecretCam", b"In my kitchen", b"secret comment", b"Exif"):
            assert secret not in raw
    page = stored(story, "page", media_root).convert("RGB")
    top, bottom = page.getpixel((300, 100)), page.getpixel((300, 800))
    assert top[0] > 200 and top[2] < 60  # red on top: the photo was turned upright
    assert bottom[2] > 200 and bottom[0] < 60


@pytest.mark.parametrize(
    ("kind", "name", "save"),
    [("PNG", "cover.png", {}), ("WEBP", "cover.webp", {"quality": 90})],
)
def test_png_and_webp_become_jpeg_covers_cropped_to_two_by_three(
    desk, media_root, kind, name, save
):
    upload = image_file(kind, size=(1000, 1000), name=name, **save)
    desk.post("/desk/stories/new/", book_form(cover=upload))
    story = Story.objects.get()
    assert story.cover_uploaded
    assert stored(story, "ebook", media_root).size == (1600, 2400)
    assert stored(story, "thumb", media_root).size == (200, 300)


def test_a_transparent_png_gets_a_white_background(desk, media_root):
    image = Image.new("RGBA", (400, 600), (0, 0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", pnginfo=None)
    upload = SimpleUploadedFile("clear.png", buffer.getvalue())
    desk.post("/desk/stories/new/", book_form(cover=upload))
    corner = stored(Story.objects.get(), "page", media_root).getpixel((5, 5))
    assert min(corner) > 245


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims an enormous image: a decompression bomb's shape."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("cover.jpg", b"<html><script>alert(1)</script></html>"),
            "This file is not an image we can read. Please upload a JPEG, PNG or WebP image.",
        ),
        (
            SimpleUploadedFile("bomb.png", png_declaring(30_000, 30_000)),
            "This image is too large in pixels to use as a cover.",
        ),
        (
            SimpleUploadedFile("huge.png", png_declaring(9_000, 7_000)),
            "This image is too large: at most 50 megapixels, please.",
        ),
        (
            SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024)),
            "This file is too large: covers can be up to 10 MB.",
        ),
    ],
    ids=["not-an-image", "decompression-bomb", "too-many-pixels", "too-many-bytes"],
)
def test_files_that_cannot_be_covers_are_refused_with_a_clear_message(desk, upload, message):
    response = desk.post("/desk/stories/new/", book_form(cover=upload))
    assert response.status_code == 200
    assert errors_of(response) == [message]
    assert not Story.objects.exists()


def test_a_gif_or_a_tiny_image_is_refused(desk):
    gif = image_file("GIF", name="cover.gif")
    response = desk.post("/desk/stories/new/", book_form(cover=gif))
    assert errors_of(response) == ["Please upload a JPEG, PNG or WebP image."]
    tiny = image_file("PNG", size=(120, 180), name="tiny.png")
    response = desk.post("/desk/stories/new/", book_form(cover=tiny))
    assert errors_of(response) == [
        "This image is too small for a cover: at least 200 pixels on each side."
    ]


def test_a_book_without_an_upload_gets_a_cover_with_its_title(desk, media_root):
    desk.post("/desk/stories/new/", book_form())
    story = Story.objects.get()
    assert story.cover and not story.cover_uploaded
    assert stored(story, "page", media_root).size == (600, 900)
    assert stored(story, "ebook", media_root).size == (1600, 2400)
    # Shown on the book page and on the cards that list it.
    services.part_save(
        story.parts.model(story=story, title="One", body="<p>Hi.</p>", state="published")
    )
    html = desk.get(story.get_absolute_url()).content.decode()
    assert f'<img class="story__cover" src="/media/covers/{story.cover}-page.jpg"' in html
    home = desk.get("/").content.decode()
    assert f'<img class="story-card__cover" src="/media/covers/{story.cover}-thumb.jpg"' in home


def test_the_generated_cover_changes_with_the_title_and_the_old_files_go(
    desk, media_root, django_capture_on_commit_callbacks
):
    desk.post("/desk/stories/new/", book_form())
    story = Story.objects.get()
    first = story.cover
    with django_capture_on_commit_callbacks(execute=True):
        desk.post(f"/desk/stories/{story.pk}/edit/", book_form(title="The Lighthouse Keeper"))
    story.refresh_from_db()
    assert story.cover != first
    assert not (media_root / "covers" / f"{first}-page.jpg").exists()
    assert (media_root / "covers" / f"{story.cover}-page.jpg").exists()
    # Saving again with nothing changed draws nothing new.
    desk.post(f"/desk/stories/{story.pk}/edit/", book_form(title="The Lighthouse Keeper"))
    story.refresh_from_db()
    assert story.cover_made_for == covers.cover_signature(
        "The Lighthouse Keeper", ["Alice Liddell"]
    )


def test_a_writer_can_go_back_from_an_uploaded_cover_to_a_generated_one(desk):
    desk.post("/desk/stories/new/", book_form(cover=image_file()))
    story = Story.objects.get()
    assert story.cover_uploaded
    html = desk.get(f"/desk/stories/{story.pk}/edit/").content.decode()
    assert "Use a generated cover instead of my image" in html
    desk.post(f"/desk/stories/{story.pk}/edit/", book_form(cover_remove="on"))
    story.refresh_from_db()
    assert story.cover and not story.cover_uploaded


def test_titles_in_other_scripts_and_very_long_ones_make_covers_too():
    for title in ["Война и мир", "شمس الليل", "月が綺麗ですね", "A " + "very " * 80 + "long title"]:
        image = covers.draw_cover(title, ["Alice Liddell", "bob"])
        assert image.size == (1600, 2400)
        # Something is drawn: more than the background colour.
        assert len(image.getcolors(maxcolors=100_000) or range(100_001)) > 2


def test_covers_are_served_as_images_and_nothing_else_is(desk, media_root, reader):
    desk.post("/desk/stories/new/", book_form())
    story = Story.objects.get()
    response = reader.get(story.cover_thumb_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"

    (media_root / "notes.html").write_text("<script>alert(1)</script>")
    (media_root / "covers" / "fake.jpg").write_text("<script>alert(1)</script>")
    assert reader.get("/media/notes.html").status_code == 404
    assert reader.get("/media/covers/missing-page.jpg").status_code == 404
    assert reader.get("/media/../secret_key.jpg").status_code == 404
    assert reader.get("/media/%2e%2e/%2e%2e/etc/passwd.jpg").status_code == 404
    # Even a file that is not really an image is only ever sent as one.
    fake = reader.get("/media/covers/fake.jpg")
    assert fake["Content-Type"] == "image/jpeg"
    assert fake["X-Content-Type-Options"] == "nosniff"


def test_the_covers_of_a_deleted_book_are_deleted(
    alice, desk, media_root, django_capture_on_commit_callbacks
):
    desk.post("/desk/stories/new/", book_form(cover=image_file()))
    story = Story.objects.get()
    files = list((media_root / "covers").iterdir())
    assert len(files) == 3
    with django_capture_on_commit_callbacks(execute=True):
        desk.post(f"/desk/stories/{story.pk}/delete/")
    assert list((media_root / "covers").iterdir()) == []


def test_imported_books_get_their_cover_from_the_worker(alice, media_root):
    story = write_book(alice, "Imported Long Ago", 1)
    assert story.cover == ""
    assert services.stories_without_covers_draw(limit=10) == 1
    story.refresh_from_db()
    assert (media_root / "covers" / f"{story.cover}-thumb.jpg").exists()
    assert services.stories_without_covers_draw(limit=10) == 0


def test_a_new_display_name_is_drawn_on_the_generated_covers(desk, alice):
    desk.post("/desk/stories/new/", book_form())
    story = Story.objects.get()
    desk.post("/accounts/settings/", {"display_name": "Alice Pleasance", "bio": ""})
    story.refresh_from_db()
    assert story.cover_made_for == covers.cover_signature("The Lighthouse", ["Alice Pleasance"])


def test_a_kept_book_of_a_deleted_account_no_longer_shows_its_name_on_the_cover(desk, alice):
    from storyhouse.accounts.services import account_delete, orphan_account

    desk.post("/desk/stories/new/", book_form())
    account_delete(alice, keep_stories=True)
    story = Story.objects.get()
    assert story.cover_made_for == covers.cover_signature("The Lighthouse", [orphan_account().name])
