"""Importing EPUB files as people have them: made by FanFicFare, by calibre, by AO3 (a calibre
conversion of its HTML download), and broken or hostile ones."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from storyhouse.stories.importers import CannotImport, read_book
from storyhouse.stories.imports import book_import
from storyhouse.stories.models import Change, Series, SeriesEntry, Story, TagType
from tests.helpers import needs_tool

FILES = Path(__file__).parent / "files"
FANFICFARE = Path(sys.executable).parent / "fanficfare"
needs_calibre = needs_tool("ebook-convert", "calibre")


def fanficfare(folder: Path, sid: int, format: str = "epub") -> Path:
    """A story from FanFicFare's offline test site, as its command line writes it."""
    done = subprocess.run(  # noqa: S603 (our own tool, our own arguments)
        [FANFICFARE, "--non-interactive", "-f", format, f"http://test1.com?sid={sid}"],
        cwd=folder,
        env={**os.environ, "HOME": str(folder)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    (made,) = folder.glob(f"*-tst1_{sid}.{format}")
    return made


def ebook_convert(source: Path, target: Path, *options: str) -> Path:
    done = subprocess.run(  # noqa: S603
        ["ebook-convert", source, target, *options],  # noqa: S607 (Debian's calibre)
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return target


@pytest.fixture(scope="session")
def fanficfare_epubs(tmp_path_factory) -> dict[int, Path]:
    folder = tmp_path_factory.mktemp("fanficfare")
    # 1: in progress, in a series; 10: complete; 673: many authors.
    return {sid: fanficfare(folder, sid) for sid in (1, 10, 673)}


CHAPTERS_HTML = """<html><head><meta charset="utf-8"><title>The Lighthouse Keeper</title></head>
<body>
<h2>The Storm</h2><p>Rain came sideways &amp; the lamp <b>held</b>.</p><p>Second paragraph.</p>
<h2>The Morning After</h2><p>Gulls everywhere. <img src="gull.png" alt="a gull"></p>
<h2>Ship in Sight</h2><p>A sail on the horizon.</p>
</body></html>
"""


@pytest.fixture(scope="session")
def calibre_epubs(tmp_path_factory) -> dict[str, Path]:
    """An EPUB 3 from a chapters page and an EPUB 2 from plain text, as calibre makes them."""
    folder = tmp_path_factory.mktemp("calibre")
    source = folder / "book.html"
    source.write_text(CHAPTERS_HTML, encoding="utf-8")
    epub3 = ebook_convert(
        source,
        folder / "keeper.epub",
        *("--title", "The Lighthouse Keeper", "--authors", "Mara Quill & Jon Reed"),
        *("--tags", "Found Family,Slow Burn", "--series", "Coastal Tales", "--series-index", "2"),
        *("--language", "fr", "--comments", "<p>A keeper and a <em>storm</em>.</p>"),
        *("--chapter", "//h:h2", "--level1-toc", "//h:h2", "--epub-version", "3"),
    )
    text = folder / "letters.txt"
    text.write_text("Dear Ada,\n\nThe garden is blooming.\n\nYours, Tom\n", encoding="utf-8")
    epub2 = ebook_convert(
        text,
        folder / "letters.epub",
        *("--title", "Letters Home", "--authors", "Tom Fern", "--series", "Letters"),
        *("--series-index", "3", "--epub-version", "2", "--language", "en"),
    )
    ao3 = ebook_convert(
        FILES / "ao3-download.html",
        folder / "ao3.epub",
        *("--title", "The Cartographer's Daughter", "--authors", "tidewriter"),
        *("--series", "The Drowned Coast", "--series-index", "2"),
        *("--chapter", "//h:h2", "--level1-toc", "//h:h2"),
    )
    return {"epub3": epub3, "epub2": epub2, "ao3": ao3}


# FanFicFare


def test_fanficfare_metadata_arrives_from_the_opf_and_the_title_page(fanficfare_epubs):
    book = read_book(fanficfare_epubs[1])
    assert book.title == "Test Story Title 1"
    assert book.authors == ["Test Author aa"]
    assert book.language == "en"
    assert "Some more longer description." in book.description_html
    assert book.status == "ongoing"
    assert (book.series_title, book.series_position) == ("The Great Test", 1)
    # FanFicFare calls fandoms "Category" and genres "Genre"; its warnings are free text.
    assert "Harry Potter" in book.tags["fandom"]
    assert book.tags["character"] == ["Bob Smith", "Fred Smythe", "George Johnson"]
    assert "Harry Potter/Ginny Weasley" in book.tags["relationship"]
    assert book.tags["trope"] == ["Comedy", "Fantasy", "Noir", "Sci-Fi"]
    assert book.tags["warning"] == ["Swearing", "Violence"]
    assert book.archive_warnings == []
    assert book.rating == ""  # "Tweenie" is no rating this archive knows


def test_fanficfare_parts_come_from_the_spine_with_their_toc_titles(fanficfare_epubs):
    book = read_book(fanficfare_epubs[10])
    titles = [part.title for part in book.parts]
    assert len(titles) == 9  # the title page is no part
    assert titles[1:4] == [
        "Chapter 1, Xenos on Cinnabar",
        "Chapter 2, Sinmay on Kintikin",
        'Chapter 3, "Over" Cinnabar',
    ]
    assert "Chapter 4 & 4.5" in titles
    assert book.status == "complete"
    # The chapter's own heading is not repeated in its text.
    assert "fff_chapter_title" not in book.parts[1].body_html
    assert "Lorem tests" in book.parts[1].body_html


def test_fanficfare_names_every_author(fanficfare_epubs):
    book = read_book(fanficfare_epubs[673])
    assert book.authors[:2] == ["Test Author aa", "Author From List 1"]
    assert len(book.authors) == 20


def test_a_fanficfare_epub_becomes_a_tagged_book_in_its_series(fanficfare_epubs, alice):
    results = book_import(read_book(fanficfare_epubs[1]), author=alice)
    story = Story.objects.get()
    assert [result.outcome for result in results] == ["created"] * 9
    assert story.parts_count == 9
    assert story.rating.name == "Not Rated"
    assert story.status == "ongoing"
    tags = {(tag.type, tag.name) for tag in story.tags.all()}
    assert (TagType.FANDOM, "Harry Potter") in tags
    assert (TagType.CHARACTER, "Bob Smith") in tags
    assert (TagType.RELATIONSHIP, "Harry Potter/Ginny Weasley") in tags
    assert (TagType.TROPE, "Noir") in tags
    assert (TagType.WARNING, "Violence") in tags
    # Without archive warnings in the file, the creator chose not to use them.
    assert (TagType.WARNING, "Creator Chose Not To Use Archive Warnings") in tags
    entry = SeriesEntry.objects.get(story=story)
    assert (entry.series.title, entry.series.owner, entry.position) == ("The Great Test", alice, 1)


def test_importing_the_same_epub_twice_changes_nothing(fanficfare_epubs, alice):
    book_import(read_book(fanficfare_epubs[10]), author=alice)
    changes = Change.objects.count()
    again = book_import(read_book(fanficfare_epubs[10]), author=alice)
    assert {result.outcome for result in again} == {"unchanged"}
    assert Change.objects.count() == changes
    assert Story.objects.count() == 1
    assert SeriesEntry.objects.count() == 1


def test_a_draft_import_stays_with_its_writer(fanficfare_epubs, alice, reader):
    (first, *_rest) = book_import(read_book(fanficfare_epubs[10]), author=alice, visibility="draft")
    story = first.part.story
    assert story.visibility == "draft"
    assert reader.get(story.get_absolute_url()).status_code == 404


# calibre


@needs_calibre
def test_calibre_epub3_metadata_and_chapters(calibre_epubs):
    book = read_book(calibre_epubs["epub3"])
    assert book.title == "The Lighthouse Keeper"
    assert book.authors == ["Mara Quill", "Jon Reed"]
    assert book.language == "fr"
    assert book.description_html == "<p>A keeper and a <em>storm</em>.</p>"
    assert book.tags["trope"] == ["Found Family", "Slow Burn"]
    assert (book.series_title, book.series_position) == ("Coastal Tales", 2)
    assert [part.title for part in book.parts] == [
        "The Storm",
        "The Morning After",
        "Ship in Sight",
    ]
    assert "Rain came sideways &amp; the lamp" in book.parts[0].body_html
    assert "<img" not in book.parts[1].body_html  # images are dropped
    assert "The Storm</h2>" not in book.parts[0].body_html


@needs_calibre
def test_calibre_epub2_series_comes_from_calibre_series(calibre_epubs, alice):
    book = read_book(calibre_epubs["epub2"])
    assert (book.title, book.authors) == ("Letters Home", ["Tom Fern"])
    assert (book.series_title, book.series_position) == ("Letters", 3)
    assert len(book.parts) == 1
    assert "The garden is blooming." in book.parts[0].body_html

    (result,) = book_import(book, author=alice)
    series = Series.objects.get(owner=alice)
    assert series.title == "Letters"
    assert list(series.stories.all()) == [result.part.story]
    assert SeriesEntry.objects.get().position == 3


@needs_calibre
def test_a_calibre_book_in_french_with_its_parts_is_written(calibre_epubs, alice, reader):
    book_import(read_book(calibre_epubs["epub3"]), author=alice)
    story = Story.objects.get()
    assert story.language == "fr"
    assert [part.title for part in story.parts.all()] == [
        "The Storm",
        "The Morning After",
        "Ship in Sight",
    ]
    page = reader.get(story.parts.first().get_absolute_url())
    assert page.status_code == 200
    assert "Rain came sideways &amp; the lamp <b>held</b>." in page.content.decode()


@needs_calibre
def test_an_ao3_epub_reads_like_the_ao3_download(calibre_epubs):
    book = read_book(calibre_epubs["ao3"])
    assert book.title == "The Cartographer's Daughter"
    assert book.rating == "Teen And Up Audiences"
    assert book.archive_warnings == ["Graphic Depictions Of Violence", "Major Character Death"]
    assert book.tags["category"] == ["F/F", "Gen"]
    assert book.tags["relationship"] == ["Isolde/Wren"]
    assert (book.series_title, book.series_position) == ("The Drowned Coast", 2)
    assert [part.title for part in book.parts] == ["The Shifting Shore", "Chapter 2", "High Water"]
    assert "Isolde arrives at the coast." in book.parts[0].description_html
    assert "Thank you for reading" in book.parts[0].notes_after_html
    assert "The series continues" in book.parts[2].notes_after_html


# Broken and hostile files


def make_epub(path: Path, files: dict[str, str | bytes], *, container: bool = True) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        if container:
            archive.writestr(
                "META-INF/container.xml",
                '<?xml version="1.0"?><container version="1.0" '
                'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
                '<rootfile full-path="OEBPS/content.opf" '
                'media-type="application/oebps-package+xml"/></rootfiles></container>',
            )
        for name, content in files.items():
            archive.writestr(name, content)
    return path


OPF = """<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="id">x</dc:identifier><dc:title>{title}</dc:title><dc:language>en</dc:language>
</metadata>
<manifest><item id="c1" href="one.xhtml" media-type="application/xhtml+xml"/></manifest>
<spine><itemref idref="c1"/></spine>
</package>"""
CHAPTER = """<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>One</title></head>
<body><h1>One</h1>{body}</body></html>"""


def test_a_small_handmade_epub_is_read(tmp_path):
    path = make_epub(
        tmp_path / "ok.epub",
        {
            "OEBPS/content.opf": OPF.format(title="Handmade"),
            "OEBPS/one.xhtml": CHAPTER.format(body="<p>Hello&#160;there.</p>"),
        },
    )
    book = read_book(path)
    assert (book.title, [part.title for part in book.parts]) == ("Handmade", ["One"])
    assert "Hello\xa0there." in book.parts[0].body_html


def test_external_entities_are_never_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    opf = OPF.format(title="&xxe;").replace(
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<?xml version="1.0"?><!DOCTYPE package [<!ENTITY xxe SYSTEM "file://{secret}">]>',
    )
    path = make_epub(
        tmp_path / "xxe.epub",
        {"OEBPS/content.opf": opf, "OEBPS/one.xhtml": CHAPTER.format(body="<p>Hi.</p>")},
    )
    try:
        book = read_book(path)
    except CannotImport:
        return
    assert "TOP SECRET" not in book.title


@pytest.mark.parametrize(
    ("files", "container", "reason"),
    [
        ({}, False, "neither an EPUB nor Markdown"),
        ({"OEBPS/content.opf": "<package><metadata>"}, True, "the EPUB's OPF is not valid XML"),
        (
            {"OEBPS/content.opf": OPF.format(title="Empty")},
            True,
            "this EPUB has no readable parts",
        ),
        (
            {
                "OEBPS/content.opf": OPF.format(title="Blank"),
                "OEBPS/one.xhtml": CHAPTER.format(body="").replace("<h1>One</h1>", ""),
            },
            True,
            "this EPUB has no readable parts",
        ),
    ],
    ids=["no-container", "bad-opf", "missing-document", "no-text"],
)
def test_a_broken_epub_is_refused_in_one_line(tmp_path, files, container, reason):
    path = make_epub(tmp_path / "broken.epub", files, container=container)
    with pytest.raises(CannotImport) as refused:
        read_book(path)
    assert reason in str(refused.value)
    assert "\n" not in str(refused.value)


def test_a_truncated_zip_is_refused(tmp_path):
    good = make_epub(tmp_path / "good.epub", {"OEBPS/content.opf": OPF.format(title="T")})
    cut = tmp_path / "cut.epub"
    cut.write_bytes(good.read_bytes()[:60])
    with pytest.raises(CannotImport, match="not a readable zip file"):
        read_book(cut)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    path = tmp_path / "bomb.epub"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("META-INF/container.xml", "<container/>")
        zeros = b"\0" * (1024 * 1024)
        with archive.open("OEBPS/zeros.xhtml", "w", force_zip64=True) as entry:
            for _ in range(210):
                entry.write(zeros)
    assert path.stat().st_size < 2 * 1024 * 1024
    with pytest.raises(CannotImport, match="unpacks to more than 200 MB"):
        read_book(path)


def test_a_zip_with_thousands_of_entries_is_refused(tmp_path):
    path = tmp_path / "many.epub"
    with zipfile.ZipFile(path, "w") as archive:
        for number in range(5_001):
            archive.writestr(f"f{number}", "")
    with pytest.raises(CannotImport, match="too many files"):
        read_book(path)


def test_an_entry_larger_than_its_header_says_is_refused(tmp_path):
    path = make_epub(
        tmp_path / "liar.epub",
        {
            "OEBPS/content.opf": OPF.format(title="Liar"),
            "OEBPS/one.xhtml": CHAPTER.format(body="<p>" + "word " * 2000 + "</p>"),
        },
    )
    data = bytearray(path.read_bytes())
    # Make the central directory claim the chapter is 10 bytes long.
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("OEBPS/one.xhtml")
    name = b"OEBPS/one.xhtml"
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(name))
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    assert info.file_size > 10
    with pytest.raises(CannotImport, match="damaged"):
        read_book(path)
