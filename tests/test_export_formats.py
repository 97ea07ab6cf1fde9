"""Readers download Alice's book from its page as EPUB, one HTML file or Markdown.

Only what readers may see is in a file (published parts of a book they may open); files are
built once and rebuilt after an edit.
"""

import re
import zipfile
from io import BytesIO
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import reverse
from lxml import html as lxml_html

from storyhouse.accounts import tokens
from storyhouse.accounts.models import User
from storyhouse.stories import exporters, services
from storyhouse.stories.exporters import markdown
from storyhouse.stories.models import Part, PartState, Story, Visibility
from tests.export_books import AWKWARD_TITLE, write_awkward_book
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def book(alice: User) -> Story:
    return write_book(
        alice,
        "The Lighthouse",
        ["Arrival", "Storm"],
        description="<p>A keeper &amp; her light.</p>",
    )


def download_url(story: Story, format: str, slug: str | None = None) -> str:
    kwargs = {"story_id": story.pk, "slug": slug or story.slug, "format": format}
    return reverse("story_download", kwargs=kwargs)


def content(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


def exported_files(exports_root: Path, story: Story) -> list[Path]:
    return sorted((exports_root / str(story.pk)).glob("*.*"))


# The book page


def test_book_page_offers_the_three_downloads(reader: Client, book: Story):
    page = reader.get(book.get_absolute_url()).content.decode()
    block = re.search(r'<p class="story__downloads">(.*?)</p>', page, re.S).group(1)
    assert "Download:" in block
    for format, label in [("epub", "EPUB"), ("html", "HTML"), ("md", "Markdown")]:
        assert f'href="{download_url(book, format)}"' in block
        assert f">{label}</a>" in block


def test_a_book_with_no_published_part_offers_no_download(alice: User):
    story = write_book(alice, "Not yet", [])
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(alice)
    assert "story__downloads" not in client.get(story.get_absolute_url()).content.decode()


# Downloads


@pytest.mark.parametrize(
    ("format", "media_type", "extension"),
    [
        ("epub", "application/epub+zip", "epub"),
        ("html", "text/html; charset=utf-8", "html"),
        ("md", "text/markdown; charset=utf-8", "md"),
    ],
)
def test_download_has_type_and_a_readable_file_name(reader, book, format, media_type, extension):
    response = reader.get(download_url(book, format))
    data = content(response)
    assert response["Content-Type"] == media_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="The Lighthouse - Alice Liddell.{extension}"; '
        f"filename*=UTF-8''The%20Lighthouse%20-%20Alice%20Liddell.{extension}"
    )
    assert data == exporters.render(book, format)


def test_file_name_of_a_non_latin_title_keeps_it_in_utf8_with_an_ascii_fallback(alice, reader):
    story = write_book(alice, "Ἡ Ὀδύσσεια: «ταξίδι»", 1)
    disposition = reader.get(download_url(story, "epub"))["Content-Disposition"]
    plain = re.search(r'filename="([^"]*)"', disposition).group(1)
    assert plain.isascii() and plain.endswith(".epub")
    assert plain == f"story-{story.pk} - Alice Liddell.epub"
    encoded = re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1)
    assert unquote(encoded) == "Ἡ Ὀδύσσεια «ταξίδι» - Alice Liddell.epub"


def test_file_name_leaves_out_what_file_systems_refuse(alice, reader):
    story = write_book(alice, 'Say "hi"; then/leave: why?', 1)
    disposition = reader.get(download_url(story, "html"))["Content-Disposition"]
    assert disposition == (
        'attachment; filename="Say hi then leave why - Alice Liddell.html"; '
        "filename*=UTF-8''Say%20hi%20then%20leave%20why%20-%20Alice%20Liddell.html"
    )


def test_file_name_with_nothing_latin_falls_back_to_the_book_number(reader):
    writer = User.objects.create_user("kenji", "k@example.org", "pw-kenji-1", display_name="健二")
    story = write_book(writer, "物語", 1)
    disposition = reader.get(download_url(story, "md"))["Content-Disposition"]
    assert f'filename="story-{story.pk}.md"' in disposition


def test_unknown_format_is_not_found(reader, book):
    assert reader.get(download_url(book, "pdf")).status_code == 404
    assert reader.get(f"/stories/{book.pk}-{book.slug}/download.").status_code == 404


def test_wrong_slug_redirects_to_the_right_address_keeping_the_token(bob, reader, book):
    _token, raw = tokens.token_create(bob, "e-reader")
    response = reader.get(download_url(book, "epub", slug="old-title") + f"?token={raw}")
    assert response.status_code == 301
    assert response["Location"] == download_url(book, "epub") + f"?token={raw}"


def test_a_book_a_reader_may_not_see_is_not_found(alice, bob, reader):
    draft = write_book(alice, "Drafted", 1, visibility=Visibility.DRAFT)
    members = write_book(alice, "For members", 1, visibility=Visibility.MEMBERS)
    hidden = write_book(alice, "Hidden", 1, visibility=Visibility.HIDDEN)
    for story in (draft, members, hidden):
        assert reader.get(download_url(story, "epub")).status_code == 404
    assert reader.get(download_url(draft, "epub", slug="wrong")).status_code == 404
    signed_in = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    signed_in.force_login(bob)
    response = signed_in.get(download_url(members, "epub"))
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert signed_in.get(download_url(draft, "epub")).status_code == 404
    assert reader.get(f"/stories/999999-{draft.slug}/download.epub").status_code == 404


def test_an_e_reader_downloads_a_members_only_book_with_a_personal_token(alice, bob, reader):
    members = write_book(alice, "For members", 1, visibility=Visibility.MEMBERS)
    _token, raw = tokens.token_create(bob, "e-reader")
    response = reader.get(download_url(members, "epub"), {"token": raw})
    assert response["Content-Type"] == "application/epub+zip"
    assert content(response).startswith(b"PK")
    assert reader.get(download_url(members, "epub"), {"token": "sh_wrong"}).status_code == 401


def test_only_published_parts_are_in_the_files_even_for_the_author(alice, book):
    services.part_save(
        Part(story=book, title="Unfinished", body="<p>Not ready at all.</p>"), edited_by=alice
    )
    author = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    author.force_login(alice)
    for format in ("epub", "html", "md"):
        data = content(author.get(download_url(book, format)))
        if format == "epub":
            archive = zipfile.ZipFile(BytesIO(data))
            data = b"".join(archive.read(name) for name in archive.namelist())
        assert b"Storm" in data
        assert b"Unfinished" not in data and b"Not ready" not in data


# The cache


def test_a_file_is_built_once_and_rebuilt_after_an_edit(alice, reader, book, exports_root):
    url = download_url(book, "html")
    first = content(reader.get(url))
    [built] = exported_files(exports_root, book)
    stamp = built.stat().st_mtime_ns
    assert content(reader.get(url)) == first
    assert exported_files(exports_root, book) == [built]
    assert built.stat().st_mtime_ns == stamp  # served again, not made again

    storm = book.parts.get(title="Storm")
    storm.body = "<p>The storm breaks &amp; the light holds.</p>"
    services.part_save(storm, edited_by=alice)
    again = content(reader.get(url))
    assert b"The storm breaks &amp; the light holds." in again
    [rebuilt] = exported_files(exports_root, book)
    assert rebuilt != built and not built.exists()  # the older file is gone


def test_formats_are_kept_apart_and_a_new_name_rebuilds(alice, reader, book, exports_root):
    content(reader.get(download_url(book, "epub")))
    content(reader.get(download_url(book, "md")))
    assert sorted(path.suffix for path in exported_files(exports_root, book)) == [".epub", ".md"]
    alice.display_name = "Alice P. Liddell"
    alice.save()
    data = content(reader.get(download_url(book, "md")))
    assert b"Alice P. Liddell" in data
    assert sorted(path.suffix for path in exported_files(exports_root, book)) == [".epub", ".md"]


def test_publishing_a_part_rebuilds_the_file(alice, reader, book):
    draft = services.part_save(
        Part(story=book, title="Calm", body="<p>After.</p>"), edited_by=alice
    )
    assert b"Calm" not in content(reader.get(download_url(book, "md")))
    draft.state = PartState.PUBLISHED
    services.part_save(draft, edited_by=alice)
    assert b"## Calm" in content(reader.get(download_url(book, "md")))


def test_export_file_and_render_agree(book):
    path = exporters.export_file(book, "epub")
    assert path.read_bytes() == exporters.render(book, "epub")
    assert exporters.export_file(book, "epub") == path


# One HTML file


@pytest.fixture
def awkward(alice: User) -> Story:
    return write_awkward_book(alice)


def test_html_file_is_one_page_with_title_page_contents_and_parts(awkward):
    page = exporters.render(awkward, "html").decode()
    document = lxml_html.document_fromstring(page)
    assert document.get("lang") == "el"
    assert document.findtext(".//title") == AWKWARD_TITLE
    assert document.find(".//h1").text_content() == AWKWARD_TITLE
    assert document.find(".//p[@class='byline']").text_content() == (
        "Alice Liddell, Zoë O'Brien & Co"
    )
    labels = [dt.text_content() for dt in document.find(".//header/dl[@class='tags']")[::2]]
    assert labels[:3] == ["Rating:", "Archive Warning:", "Category:"]
    toc = [(a.get("href"), a.text_content()) for a in document.iterfind(".//nav//a")]
    assert toc == [("#part-001", 'Chapter <1> & "Beginnings"'), ("#part-002", "Κεφάλαιο δύο")]
    sections = document.findall(".//section[@class='part']")
    assert [s.get("id") for s in sections] == ["part-001", "part-002"]
    assert [child.get("class") for child in sections[0]][1:] == [
        "summary", "tags", "notes notes-before", "userstuff", "notes notes-after"
    ]  # fmt: skip
    assert "Secret draft" not in page
    assert "&nbsp;" not in page and "<strike>" not in page
    ids = document.xpath("//@id")
    assert len(ids) == len(set(ids))  # paragraph ids unique across parts and notes
    assert "<script" not in page


def test_html_file_shows_the_summary(book):
    page = exporters.render(book, "html").decode()
    document = lxml_html.document_fromstring(page)
    summary = document.find(".//header/div[@class='summary']")
    assert summary.text_content() == "SummaryA keeper & her light."


# Markdown


def test_markdown_uses_what_the_writer_typed(awkward):
    text = exporters.render(awkward, "md").decode()
    assert text.startswith('# Ἡ Ὀδύσσεια & \\<the "Sea"\\> 🌊\n')
    assert "*Alice Liddell, Zoë O'Brien & Co*" in text
    assert "**Rating:** Teen And Up Audiences  \n" in text
    assert "**Series:** Part 2 of Sea & Sky  \n" in text
    assert '## Chapter \\<1\\> & "Beginnings"' in text
    # The writer's own Markdown, as typed: not re-converted from HTML.
    assert "a [link](https://example.org/a?b=1&c=2) and a line  \nbreak." in text
    assert "### Summary\n\nThe *first* part & its 2 < 3 tale." in text
    assert "### Notes\n\nThanks to my beta 💜 & friends." in text
    assert "**Additional Tags:** Hurt/Comfort  \n**Content Warnings:** Needles" in text
    assert "Secret draft" not in text


def test_markdown_escapes_what_would_be_markup_in_names():
    assert markdown.escape("*Stars* & [links] <b> &amp; #1") == (
        "\\*Stars\\* & \\[links\\] \\<b\\> \\&amp; \\#1"
    )


def test_markdown_converts_rich_text(awkward):
    text = exporters.render(awkward, "md").decode()
    part_two = text.split("## Κεφάλαιο δύο", 1)[1]
    assert "Two\u00a0&\u00a0more" in part_two
    assert "~~old~~" in part_two
    assert "<p" not in part_two and "id=" not in part_two


def test_markdown_of_an_imported_description_is_converted(book, settings):
    settings.SITE_URL = "https://stories.example.org"
    text = exporters.render(book, "md").decode()
    assert "## Summary\n\nA keeper & her light.\n" in text
    assert text.rstrip().endswith(f"<https://stories.example.org{book.get_absolute_url()}>")
