"""EPUB 3 (with an EPUB 2 table of contents for older readers), written with zipfile and
templates: the cover, a title page with the summary and tags, the navigation, and one
XHTML file per published part. Checked by epubcheck in the tests."""

import io
import zipfile
from datetime import UTC, datetime

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from .base import ExportBook, html_fragment

NAME = "epub"
EXTENSION = "epub"
MEDIA_TYPE = "application/epub+zip"
LABEL = "EPUB"

TEMPLATES = "exporters/epub/"


def _w3c_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def render(book: ExportBook) -> bytes:
    context = {
        "book": book,
        "title_page_label": _("Title page"),
        "published": _w3c_time(book.published_at) if book.published_at else "",
        "modified": _w3c_time(book.modified_at),
    }
    files: list[tuple[str, str | bytes]] = [
        ("META-INF/container.xml", render_to_string(TEMPLATES + "container.xml")),
        ("OEBPS/content.opf", render_to_string(TEMPLATES + "content.opf", context)),
        ("OEBPS/toc.ncx", render_to_string(TEMPLATES + "toc.ncx", context)),
        ("OEBPS/nav.xhtml", render_to_string(TEMPLATES + "nav.xhtml", context)),
        ("OEBPS/style.css", render_to_string(TEMPLATES + "style.css")),
    ]
    if book.cover is not None:
        files.append(("OEBPS/images/cover.jpg", book.cover.read_bytes()))
        files.append(("OEBPS/cover.xhtml", render_to_string(TEMPLATES + "cover.xhtml", context)))
    title_page = {
        **context,
        "description": html_fragment(book.description, used_ids=set()),
    }
    files.append(("OEBPS/title.xhtml", render_to_string(TEMPLATES + "title.xhtml", title_page)))
    for part in book.parts:
        used_ids: set[str] = set()  # ids are unique per file
        # The body first: its paragraph ids are the ones comments and bookmarks point at.
        body = html_fragment(part.body, used_ids=used_ids)
        part_page = {
            **context,
            "part": part,
            "description": html_fragment(part.description, used_ids=used_ids),
            "notes_before": html_fragment(part.notes_before, used_ids=used_ids),
            "body": body,
            "notes_after": html_fragment(part.notes_after, used_ids=used_ids),
        }
        files.append(
            (f"OEBPS/{part.file_stem}.xhtml", render_to_string(TEMPLATES + "part.xhtml", part_page))
        )

    stamp = book.modified_at.astimezone(UTC).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        # The OCF rule: `mimetype` first, stored uncompressed, so readers can sniff the type.
        archive.writestr(_entry("mimetype", stamp), MEDIA_TYPE, compress_type=zipfile.ZIP_STORED)
        for name, content in files:
            data = content.encode("utf-8") if isinstance(content, str) else content
            archive.writestr(_entry(name, stamp), data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _entry(name: str, stamp: tuple) -> zipfile.ZipInfo:
    # A fixed time: the same book makes the same bytes.
    return zipfile.ZipInfo(name, date_time=max(stamp, (1980, 1, 1, 0, 0, 0)))
