"""Alice's book as an EPUB 3: valid by epubcheck, read by calibre, and laid out as the
importers expect (title page, tag list, one file per published part, navigation).

The book holds everything awkward at once (see tests/export_books.py), and is exported once
for the whole module: epubcheck and calibre each take a few seconds a file.
"""

import re
import zipfile

import pytest
from django.conf import settings
from django.db import transaction
from django.test import override_settings
from lxml import etree

from storyhouse.accounts.models import User
from storyhouse.stories import exporters
from storyhouse.stories.models import PartState, Story, Visibility
from tests.export_books import AWKWARD_TITLE, ebook_meta, epubcheck_problems, write_awkward_book
from tests.helpers import needs_tool

# Every test, so that the test database is set up even when only one is chosen.
pytestmark = pytest.mark.django_db

EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
NS = {
    "opf": "http://www.idpf.org/2007/opf",
    "dc": "http://purl.org/dc/elements/1.1/",
    "x": "http://www.w3.org/1999/xhtml",
    "epub": "http://www.idpf.org/2007/ops",
    "ncx": "http://www.daisy.org/z3986/2005/ncx/",
}


@pytest.fixture(scope="module")
def exported(django_db_setup, django_db_blocker, tmp_path_factory) -> dict:
    """The awkward book and a bare one (no cover, no parts, nothing but a title), exported
    once; the database is left as it was."""
    folder = tmp_path_factory.mktemp("epub")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=folder / "media"),
        transaction.atomic(),
    ):
        alice = User.objects.create_user(
            "alice", "alice@example.org", "alice-password-1", display_name="Alice Liddell"
        )
        story = write_awkward_book(alice)
        # Written right to left, too.
        bare = Story.objects.create(
            title="كتاب", slug="كتاب", language="ar", visibility=Visibility.PUBLIC
        )
        result = {
            "path": folder / "awkward.epub",
            "bare_path": folder / "bare.epub",
            "story_id": story.pk,
            "identifier": exporters.book_for_export(story).identifier,
        }
        result["path"].write_bytes(exporters.render(story, "epub"))
        result["bare_path"].write_bytes(exporters.render(bare, "epub"))
        transaction.set_rollback(True)
    return result


@pytest.fixture(scope="module")
def epub(exported) -> zipfile.ZipFile:
    return zipfile.ZipFile(exported["path"])


def xml(epub: zipfile.ZipFile, name: str) -> etree._Element:
    return etree.fromstring(epub.read(name))


def text_of(element: etree._Element) -> str:
    # Only ASCII white space: a non-breaking space is part of the text.
    return re.sub(r"[ \t\r\n]+", " ", "".join(element.itertext())).strip()


# What epubcheck and calibre say


@needs_tool("epubcheck", "epubcheck")
def test_epubcheck_finds_no_errors_and_no_warnings(exported):
    """The awkward book, and a bare one without cover, parts or tags."""
    assert epubcheck_problems(exported["path"], exported["bare_path"]) == {
        "awkward.epub": [],
        "bare.epub": [],
    }


@needs_tool("ebook-meta", "calibre")
def test_calibre_reads_title_authors_tags_series_and_language(exported):
    meta = ebook_meta(exported["path"])
    assert meta["Title"] == AWKWARD_TITLE
    # calibre joins authors with " & " and doubles an "&" inside a name.
    assert meta["Author(s)"] == "Alice Liddell & Zoë O'Brien && Co"
    tags = meta["Tags"]
    for name in ["Teen And Up Audiences", "Blue Lagoon (TV)", "Ada <Lovelace>", "Ada/Charles",
                 "Enemies to Lovers", "F/F", "Major Character Death", "Blood & gore"]:  # fmt: skip
        assert name in tags
    assert meta["Series"] == "Sea & Sky #2"
    assert meta["Languages"] == "ell"
    assert meta["Publisher"] == settings.SITE_NAME


# The package


def test_mimetype_comes_first_uncompressed(epub):
    first = epub.infolist()[0]
    assert first.filename == "mimetype"
    assert first.compress_type == zipfile.ZIP_STORED
    assert epub.read("mimetype") == b"application/epub+zip"
    container = xml(epub, "META-INF/container.xml")
    assert container[0][0].get("full-path") == "OEBPS/content.opf"


def test_package_metadata(epub, exported):
    opf = xml(epub, "OEBPS/content.opf")
    meta = opf.find("opf:metadata", NS)
    assert opf.get("version") == "3.0"
    assert meta.findtext("dc:identifier", namespaces=NS) == exported["identifier"]
    assert exported["identifier"].startswith("urn:uuid:")
    assert meta.findtext("dc:title", namespaces=NS) == AWKWARD_TITLE
    assert [c.text for c in meta.findall("dc:creator", NS)] == ["Alice Liddell", "Zoë O'Brien & Co"]
    assert meta.findtext("dc:language", namespaces=NS) == "el"
    assert meta.find("dc:description", NS) is None  # the book has no description
    subjects = {s.text for s in meta.findall("dc:subject", NS)}
    assert {"Teen And Up Audiences", "Ada <Lovelace>", "Ελληνικά", "Blood & gore"} <= subjects
    assert meta.findtext("dc:publisher", namespaces=NS) == settings.SITE_NAME
    assert f"/stories/{exported['story_id']}-" in meta.findtext("dc:source", namespaces=NS)
    assert meta.find("opf:meta[@property='dcterms:modified']", NS).text.endswith("Z")
    collection = meta.find("opf:meta[@property='belongs-to-collection']", NS)
    assert collection.text == "Sea & Sky"
    position = meta.find(
        f"opf:meta[@refines='#{collection.get('id')}'][@property='group-position']", NS
    )
    assert position.text == "2"
    assert meta.find("opf:meta[@name='calibre:series']", NS).get("content") == "Sea & Sky"
    assert meta.find("opf:meta[@name='calibre:series_index']", NS).get("content") == "2"


def test_identifier_is_the_same_on_every_export(exported):
    assert exporters.base.book_identifier(exported["story_id"]) == exported["identifier"]


def test_spine_is_cover_title_page_then_published_parts_in_order(epub):
    opf = xml(epub, "OEBPS/content.opf")
    hrefs = {item.get("id"): item.get("href") for item in opf.iterfind(".//opf:item", NS)}
    spine = [hrefs[ref.get("idref")] for ref in opf.iterfind(".//opf:itemref", NS)]
    assert spine == ["cover.xhtml", "title.xhtml", "part-001.xhtml", "part-002.xhtml"]
    cover = opf.find(".//opf:item[@properties='cover-image']", NS)
    assert cover.get("href") == "images/cover.jpg"
    assert epub.read("OEBPS/images/cover.jpg").startswith(b"\xff\xd8")  # a JPEG


def test_draft_parts_are_not_exported(epub):
    everything = b"".join(epub.read(name) for name in epub.namelist())
    assert b"A draft no reader has seen" not in everything
    assert b"Secret draft" not in everything


def test_navigation_lists_the_parts_with_their_titles(epub):
    nav = xml(epub, "OEBPS/nav.xhtml")
    toc = nav.find(".//x:nav[@epub:type='toc']", NS)
    links = [(a.get("href"), a.text) for a in toc.iterfind(".//x:a", NS)]
    assert links == [
        ("part-001.xhtml", 'Chapter <1> & "Beginnings"'),
        ("part-002.xhtml", "Κεφάλαιο δύο"),
    ]
    landmarks = nav.find(".//x:nav[@epub:type='landmarks']", NS)
    kinds = [a.get(EPUB_TYPE) for a in landmarks.iterfind(".//x:a", NS)]
    assert kinds == ["cover", "titlepage", "bodymatter"]
    ncx = xml(epub, "OEBPS/toc.ncx")
    assert [text_of(p.find("ncx:navLabel", NS)) for p in ncx.iterfind(".//ncx:navPoint", NS)][
        1:
    ] == ['Chapter <1> & "Beginnings"', "Κεφάλαιο δύο"]


def test_title_page_has_title_byline_tags_in_ao3_order(epub):
    page = xml(epub, "OEBPS/title.xhtml")
    assert text_of(page.find(".//x:h1", NS)) == AWKWARD_TITLE
    assert text_of(page.find(".//x:p[@class='byline']", NS)) == "Alice Liddell, Zoë O'Brien & Co"
    tags = page.find(".//x:dl[@class='tags']", NS)
    labels = [text_of(dt) for dt in tags.iterfind("x:dt", NS)]
    values = [text_of(dd) for dd in tags.iterfind("x:dd", NS)]
    assert dict(zip(labels, values, strict=True)) == {
        "Rating:": "Teen And Up Audiences",
        "Archive Warning:": "Major Character Death",
        "Category:": "F/F",
        "Fandom:": "Blue Lagoon (TV)",
        "Relationship:": "Ada/Charles",
        "Character:": "Ada <Lovelace>",
        "Additional Tags:": "Enemies to Lovers",
        "Content Warnings:": "Blood & gore",
        "Language:": "Greek, Ελληνικά",
        "Series:": "Part 2 of Sea & Sky",
        "Status:": "Complete",
    }
    assert list(labels) == list(exporters.base.LABEL_ORDER)
    # No description: no empty summary either.
    assert page.find(".//x:div[@class='summary']", NS) is None


def test_each_part_carries_its_summary_tags_notes_and_text(epub):
    page = xml(epub, "OEBPS/part-001.xhtml")
    section = page.find(".//x:section", NS)
    assert section.get(EPUB_TYPE) == "chapter"
    assert section.get("class") == "part"
    children = [child.get("class") for child in section]
    assert children == [
        "part-title", "summary", "tags", "notes notes-before", "userstuff", "notes notes-after"
    ]  # fmt: skip
    assert text_of(section[0]) == 'Chapter <1> & "Beginnings"'
    assert text_of(section[1].find("x:p", NS)) == "The first part & its 2 < 3 tale."
    tags = {
        text_of(dt): text_of(dd) for dt, dd in zip(section[2][::2], section[2][1::2], strict=True)
    }
    assert tags == {"Additional Tags:": "Hurt/Comfort", "Content Warnings:": "Needles"}
    assert text_of(section[3].find("x:p", NS)) == "Thanks to my beta 💜 & friends."
    body = text_of(section[4])
    assert (
        "Fish & chips < 3 “quoted” and ‘single’ — an emoji 🐙 and a non‑breaking\u00a0space."
        in body
    )
    assert section[4].find(".//x:a", NS).get("href") == "https://example.org/a?b=1&c=2"
    assert text_of(section[5].find("x:p", NS)) == "See you next time."


def test_rich_text_becomes_well_formed_xhtml_with_unique_ids(epub):
    source = epub.read("OEBPS/part-002.xhtml").decode()
    page = etree.fromstring(source.encode())
    ids = page.xpath("//@id")
    assert len(ids) == len(set(ids))
    body = page.find(".//x:div[@class='userstuff']", NS)
    # The body keeps its paragraph id; the note that repeated it loses its copy.
    assert body.find("x:p", NS).get("id") == "p-0001"
    assert text_of(body) == "Two\u00a0&\u00a0morelines.old"
    assert body.find(".//x:br", NS) is not None
    assert body.find(".//x:s", NS) is not None  # <strike> is not HTML5
    assert "&nbsp;" not in source


def test_every_document_is_well_formed_and_declares_the_language(epub):
    for name in epub.namelist():
        if name.endswith((".xhtml", ".opf", ".ncx", ".xml")):
            document = etree.fromstring(epub.read(name))  # raises if not well formed
            if name.endswith(".xhtml"):
                assert document.get("{http://www.w3.org/XML/1998/namespace}lang") == "el"


def test_a_book_without_cover_or_parts_still_has_a_title_page_and_navigation(exported):
    bare = zipfile.ZipFile(exported["bare_path"])
    names = set(bare.namelist())
    assert "OEBPS/cover.xhtml" not in names and "OEBPS/images/cover.jpg" not in names
    nav = xml(bare, "OEBPS/nav.xhtml")
    assert [a.get("href") for a in nav.iterfind(".//x:nav[@id='toc']//x:a", NS)] == ["title.xhtml"]


def test_a_right_to_left_book_reads_right_to_left(exported, epub):
    bare = zipfile.ZipFile(exported["bare_path"])
    assert xml(bare, "OEBPS/title.xhtml").get("dir") == "rtl"
    spine = xml(bare, "OEBPS/content.opf").find(".//opf:spine", NS)
    assert spine.get("page-progression-direction") == "rtl"
    assert xml(epub, "OEBPS/title.xhtml").get("dir") == "ltr"


def test_same_book_makes_the_same_bytes(alice, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    story = write_awkward_book(alice)
    assert exporters.render(story, "epub") == exporters.render(story, "epub")
    assert story.parts.filter(state=PartState.PUBLISHED).count() == 2


def test_unknown_format_is_refused():
    story = Story.objects.create(title="T", slug="t")
    with pytest.raises(exporters.UnknownFormat):
        exporters.render(story, "pdf")
