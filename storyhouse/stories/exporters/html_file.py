"""A single HTML file: the title page, a table of contents and every published part, with
its own small stylesheet, readable in any browser without a network."""

from django.template.loader import render_to_string

from .base import ExportBook, html_fragment

NAME = "html"
EXTENSION = "html"
MEDIA_TYPE = "text/html; charset=utf-8"
LABEL = "HTML"


def render(book: ExportBook) -> bytes:
    # One page: an id may appear once in it, whichever part it comes from.
    used_ids = {part.file_stem for part in book.parts} | {"toc-heading"}
    # Bodies first: their paragraph ids are the ones comments and bookmarks point at.
    bodies = [html_fragment(part.body, used_ids=used_ids, method="html") for part in book.parts]
    description = html_fragment(book.description, used_ids=used_ids, method="html")
    parts = []
    for part, body in zip(book.parts, bodies, strict=True):
        parts.append(
            {
                "part": part,
                "description": html_fragment(part.description, used_ids=used_ids, method="html"),
                "notes_before": html_fragment(part.notes_before, used_ids=used_ids, method="html"),
                "body": body,
                "notes_after": html_fragment(part.notes_after, used_ids=used_ids, method="html"),
            }
        )
    context = {
        "book": book,
        "description": description,
        "parts": parts,
    }
    return render_to_string("exporters/html/book.html", context).encode("utf-8")
