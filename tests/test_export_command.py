"""The operator exports books with `storyhouse export`: by number or address, in any format,
into a folder; one line per file written, a clear error for a book that does not exist."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from storyhouse.accounts.models import User
from storyhouse.stories import exporters
from storyhouse.stories.management.commands.export import story_id_from
from storyhouse.stories.models import Story
from tests.export_books import epubcheck_problems
from tests.helpers import needs_tool, write_book

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def export(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("export", *args, stdout=out, stderr=err)
    except SystemExit as exit:
        code = exit.code
    else:
        code = 0
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def books(alice: User) -> list[Story]:
    return [
        write_book(alice, "The Lighthouse", 2, description="<p>A keeper &amp; her light.</p>"),
        write_book(alice, "Harbour Songs", ["Dawn", "Dusk"]),
    ]


def test_exports_books_by_number_and_address(books, tmp_path):
    lighthouse, harbour = books
    out_dir = tmp_path / "out"
    address = f"https://stories.example.org{harbour.get_absolute_url()}"
    code, out, err = export(str(lighthouse.pk), address, str(harbour.pk), "--output", str(out_dir))
    assert code == 0
    assert out.splitlines() == [
        str(out_dir / "The Lighthouse - Alice Liddell.epub"),
        str(out_dir / "Harbour Songs - Alice Liddell.epub"),
    ]
    assert err.strip() == "2 files written for 2 books"  # Harbour Songs named twice
    written = out_dir / "Harbour Songs - Alice Liddell.epub"
    assert written.read_bytes() == exporters.render(harbour, "epub")


def test_several_formats_at_once_use_the_same_cached_files(books, tmp_path):
    lighthouse = books[0]
    code, out, _err = export(
        f"{lighthouse.pk}-{lighthouse.slug}", "--format", "md", "--format", "html",
        "--output", str(tmp_path),
    )  # fmt: skip
    assert code == 0
    assert [Path(line).name for line in out.splitlines()] == [
        "The Lighthouse - Alice Liddell.md",
        "The Lighthouse - Alice Liddell.html",
    ]
    markdown = (tmp_path / "The Lighthouse - Alice Liddell.md").read_bytes()
    assert markdown == exporters.export_file(lighthouse, "md").read_bytes()
    assert markdown.startswith(b"# The Lighthouse\n")


def test_an_unknown_book_is_reported_and_the_others_are_still_written(books, tmp_path):
    code, out, err = export("999999", "not-a-book", str(books[0].pk), "--output", str(tmp_path))
    assert code == 1
    assert "999999: no book with this number or address" in err
    assert "not-a-book: no book with this number or address" in err
    assert "1 file written for 1 book, 2 not found" in err
    assert out.splitlines() == [str(tmp_path / "The Lighthouse - Alice Liddell.epub")]


def test_an_unknown_format_is_refused_before_anything_is_written(books, tmp_path):
    with pytest.raises(CommandError, match="invalid choice: 'pdf'"):
        export(str(books[0].pk), "--format", "pdf", "--output", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_books_of_the_same_title_get_files_of_their_own(alice, tmp_path):
    first = write_book(alice, "Twins", 1)
    second = write_book(alice, "Twins", 1)
    code, out, _err = export(str(first.pk), str(second.pk), "--output", str(tmp_path / "out"))
    assert code == 0
    assert {path.name for path in (tmp_path / "out").iterdir()} == {
        "Twins - Alice Liddell.epub",
        f"Twins - Alice Liddell ({second.pk}).epub",
    }


def test_book_addresses_are_understood():
    assert story_id_from("12") == 12
    assert story_id_from("12-the-lighthouse") == 12
    assert story_id_from("/stories/12-the-lighthouse/") == 12
    assert story_id_from("http://127.0.0.1:8000/stories/12-x/parts/3-y/") == 12
    assert story_id_from("https://example.org/stories/12-x/download.epub") == 12
    assert story_id_from("the-lighthouse") is None
    assert story_id_from("https://example.org/tags/12-x/") is None


@needs_tool("epubcheck", "epubcheck")
def test_the_files_written_pass_epubcheck(books, tmp_path):
    export(*(str(book.pk) for book in books), "--output", str(tmp_path / "out"))
    problems = epubcheck_problems(*sorted((tmp_path / "out").glob("*.epub")))
    assert problems == {
        "Harbour Songs - Alice Liddell.epub": [],
        "The Lighthouse - Alice Liddell.epub": [],
    }
