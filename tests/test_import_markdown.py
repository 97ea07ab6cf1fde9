"""Importing a book written as Markdown files: a folder, a zip of one, or a single file."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from storyhouse.stories.importers import CannotImport, read_book
from storyhouse.stories.imports import book_import
from storyhouse.stories.models import Change, Series, Story, TagType

BOOK_MD = """---
title: Salt and Ink
authors: [Nell Ward]
rating: Mature
warnings: [No Archive Warnings Apply, grief]
fandoms: Original Work
characters: [Nell, Odile]
relationships: Nell/Odile
tags: Letters, Epistolary
category: F/F
language: pt-BR
status: complete
series: Sea Letters
series_position: 1
---
Two sailors write to each other across a *very* wide sea.
"""
FIRST = """---
title: The First Letter
summary: Nell writes first.
notes: Thanks to my beta.
end_notes: More soon!
tags: [Longing]
warnings: [mentions of drowning]
---
Dear Odile,

The sea is **grey** today. ![a ship](ship.png)
"""
SECOND = """# The Reply

Dear Nell,

It is blue here.
"""
TENTH = """The last letter.
"""


def write_folder(folder: Path) -> Path:
    folder.mkdir()
    (folder / "book.md").write_text(BOOK_MD, encoding="utf-8")
    (folder / "01-first.md").write_text(FIRST, encoding="utf-8")
    (folder / "2-reply.md").write_text(SECOND, encoding="utf-8")
    (folder / "10-the-end.md").write_text(TENTH, encoding="utf-8")
    (folder / "notes.txt").write_text("not a part", encoding="utf-8")
    return folder


def test_a_folder_is_a_book_with_one_part_a_file(tmp_path):
    book = read_book(write_folder(tmp_path / "salt-and-ink"))
    assert book.title == "Salt and Ink"
    assert book.authors == ["Nell Ward"]
    assert book.rating == "Mature"
    assert book.archive_warnings == ["No Archive Warnings Apply"]
    assert book.tags == {
        "warning": ["grief"],
        "fandom": ["Original Work"],
        "character": ["Nell", "Odile"],
        "relationship": ["Nell/Odile"],
        "trope": ["Letters", "Epistolary"],
        "category": ["F/F"],
    }
    assert (book.language, book.status) == ("pt-BR", "complete")
    assert (book.series_title, book.series_position) == ("Sea Letters", 1)
    assert (
        book.description_html
        == "<p>Two sailors write to each other across a <em>very</em> wide sea.</p>"
    )
    # Ordered by name, numbers in names as numbers.
    assert [part.title for part in book.parts] == ["The First Letter", "The Reply", "The end"]


def test_a_parts_front_matter_and_markdown_are_kept(tmp_path):
    first = read_book(write_folder(tmp_path / "book")).parts[0]
    assert first.description_html == "<p>Nell writes first.</p>"
    assert first.notes_before_html == "<p>Thanks to my beta.</p>"
    assert first.notes_after_html == "<p>More soon!</p>"
    assert (first.tropes, first.warnings) == (["Longing"], ["mentions of drowning"])
    assert "<strong>grey</strong>" in first.body_html
    assert "<img" not in first.body_html  # images are dropped
    assert first.sources["body"].startswith("Dear Odile,")


def test_a_markdown_book_is_written_with_its_sources(tmp_path, alice):
    results = book_import(read_book(write_folder(tmp_path / "book")), author=alice)
    story = Story.objects.get()
    assert story.title == "Salt and Ink"
    assert (story.rating.name, story.language, story.status) == ("Mature", "pt-BR", "complete")
    assert story.tags.filter(name="No Archive Warnings Apply", type=TagType.WARNING).exists()
    assert Series.objects.get(owner=alice).title == "Sea Letters"
    part = results[0].part
    assert part.body_format == "markdown"
    assert part.sources["body"].startswith("Dear Odile,")
    assert {tag.name for tag in part.tags.all()} == {"Longing", "mentions of drowning"}

    changes = Change.objects.count()
    again = book_import(read_book(tmp_path / "book"), author=alice)
    assert {result.outcome for result in again} == {"unchanged"}
    assert Change.objects.count() == changes


def test_a_zip_of_the_folder_reads_the_same(tmp_path):
    folder = write_folder(tmp_path / "book")
    archive_path = tmp_path / "upload.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        for path in folder.iterdir():
            archive.write(path, f"book/{path.name}")
        archive.writestr("__MACOSX/book/._01-first.md", b"\x00\x05\x16\x07")
    assert read_book(archive_path) == read_book(folder)


def test_order_in_front_matter_comes_before_names(tmp_path):
    folder = tmp_path / "book"
    folder.mkdir()
    (folder / "a.md").write_text("---\ntitle: Later\n---\nText.\n", encoding="utf-8")
    (folder / "b.md").write_text("---\ntitle: Sooner\norder: 1\n---\nText.\n", encoding="utf-8")
    assert [part.title for part in read_book(folder).parts] == ["Sooner", "Later"]


def test_a_single_markdown_file_is_a_book_of_one_part(tmp_path):
    path = tmp_path / "first.md"
    path.write_text(FIRST, encoding="utf-8")
    book = read_book(path)
    assert book.title == "The First Letter"
    assert [part.title for part in book.parts] == ["The First Letter"]
    assert book.archive_warnings == []


def test_without_a_title_the_folder_names_the_book(tmp_path):
    folder = tmp_path / "Quiet Hours"
    folder.mkdir()
    (folder / "one.md").write_text("It was quiet.\n", encoding="utf-8")
    (folder / "two.md").write_text("Still quiet.\n", encoding="utf-8")
    book = read_book(folder)
    assert book.title == "Quiet Hours"
    assert [part.title for part in book.parts] == ["One", "Two"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("---\ntitle: [unclosed\n---\nText.\n", "the front matter of bad.md is not valid YAML"),
        ("---\n- a list\n---\nText.\n", "is not a list of keys and values"),
        ("---\ntitle: Nothing\n---\n", "found no Markdown parts with text"),
    ],
    ids=["bad-yaml", "not-a-mapping", "no-text"],
)
def test_a_broken_markdown_book_is_refused_in_one_line(tmp_path, text, reason):
    folder = tmp_path / "book"
    folder.mkdir()
    (folder / "bad.md").write_text(text, encoding="utf-8")
    with pytest.raises(CannotImport) as refused:
        read_book(folder)
    assert reason in str(refused.value)
    assert "\n" not in str(refused.value)


def test_the_command_imports_a_folder_and_names_a_broken_file(tmp_path):
    """`storyhouse import` on a folder and a broken file, against a fresh SQLite database."""
    from tests.test_import_command import environment

    var_dir = tmp_path / "var"
    var_dir.mkdir()
    storyhouse = Path(sys.executable).parent / "storyhouse"
    env = environment(var_dir)
    migrated = subprocess.run(  # noqa: S603
        [storyhouse, "migrate", "--no-input", "-v", "0"], env=env, capture_output=True, timeout=120
    )
    assert migrated.returncode == 0, migrated.stderr
    folder = write_folder(tmp_path / "book")
    broken = tmp_path / "broken.epub"
    broken.write_bytes(b"PK\x03\x04 this is not really a zip")

    done = subprocess.run(  # noqa: S603
        [storyhouse, "import", folder, broken],
        env=env,
        cwd=var_dir,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 1
    assert len(done.stdout.splitlines()) == 3
    assert all(line.startswith("created ") for line in done.stdout.splitlines())
    assert done.stderr.splitlines() == [
        f"{broken}: this is not a readable zip file",
        "1 of 2 files imported, 3 parts written, 1 failed",
    ]
