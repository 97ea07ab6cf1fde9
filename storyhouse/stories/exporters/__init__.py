"""Exporters: one module per format, each laying out a book gathered by `base.book_for_export`.

`export_file(story, format)` is what the download page, `storyhouse export` and the
"download all my data" archive call: the file, built once and kept under
EXPORTS_ROOT (var/exports/) until the book changes. `render(story, format)` makes the bytes afresh.
"""

import hashlib
import os
import tempfile
import unicodedata
from pathlib import Path
from types import ModuleType
from urllib.parse import quote

from django.conf import settings
from django.utils import translation

from storyhouse.stories.models import Change, SeriesEntry, Story

from . import epub, html_file, markdown
from .base import ExportBook, book_for_export

FORMATS: dict[str, ModuleType] = {module.NAME: module for module in (epub, html_file, markdown)}

# Raise when what the exporters write changes, so files made by the older code are rebuilt.
FORMAT_VERSION = 1

__all__ = [
    "FORMATS",
    "ExportBook",
    "UnknownFormat",
    "book_for_export",
    "content_disposition",
    "download_name",
    "export_file",
    "exports_dir",
    "render",
]


class UnknownFormat(ValueError):
    pass


def _module(format: str) -> ModuleType:
    try:
        return FORMATS[format]
    except KeyError:
        known = ", ".join(FORMATS)
        raise UnknownFormat(f"unknown format {format!r} (known formats: {known})") from None


def render(story: Story, format: str, *, drafts: bool = False) -> bytes:
    """The book in this format, made now (no cache): published parts only, unless `drafts`."""
    module = _module(format)
    # A file is shared by every reader: its few words of our own are in the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        return module.render(book_for_export(story, drafts=drafts))


def exports_dir() -> Path:
    return Path(settings.EXPORTS_ROOT)


def _version_key(story: Story, format: str) -> str:
    """A digest of everything an export shows that can change: the book's latest change
    (every edit of the book, its parts or its tags writes one), its authors' names (they
    change their names elsewhere), its series, and the exporters' own version."""
    last_change = (
        Change.objects.filter(story_id=story.pk).order_by("-id").values_list("id", flat=True)
    ).first()
    authors = [author.name for author in story.byline_authors]
    series = list(
        SeriesEntry.objects.filter(series__stories=story)
        .order_by("series_id", "position", "id")
        .values_list("series_id", "series__title", "story_id")
    )
    key = repr(
        (FORMAT_VERSION, format, last_change, authors, series, settings.SITE_URL,
         settings.SITE_NAME, settings.LANGUAGE_CODE)
    )  # fmt: skip
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def export_file(story: Story, format: str) -> Path:
    """The book's file in this format, built when the book changed since the last one.

    Written to a temporary file and renamed into place, so a reader never gets half a
    file; the previous file of the same book and format is then removed."""
    module = _module(format)
    folder = exports_dir() / str(story.pk)
    path = folder / f"{_version_key(story, format)}.{module.EXTENSION}"
    if path.is_file():
        return path
    data = render(story, format)
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".building-", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    for older in folder.glob(f"*.{module.EXTENSION}"):
        if older != path:
            older.unlink(missing_ok=True)
    return path


# File names


# Characters file systems or the Content-Disposition header do not take in a name.
UNSAFE_IN_NAMES = set('/\\:*?"<>|;')


def _safe(text: str) -> str:
    kept = (c if c.isprintable() and c not in UNSAFE_IN_NAMES else " " for c in text)
    return " ".join("".join(kept).split())


def download_name(story: Story, format: str) -> str:
    """A readable file name: "Title - Author, Author.epub"."""
    extension = _module(format).EXTENSION
    authors = ", ".join(author.name for author in story.byline_authors)
    stem = f"{story.title} - {authors}" if authors else story.title
    stem = _safe(stem)[:150].strip(" .") or f"story-{story.pk}"
    return f"{stem}.{extension}"


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", _safe(text)).encode("ascii", "ignore").decode()
    plain = " ".join(plain.split()).strip(" .-,")
    return plain if sum(c.isalnum() for c in plain) >= 2 else ""


def ascii_name(story: Story, format: str) -> str:
    """The file name in plain ASCII, for programs that read nothing else: letters that have
    no ASCII form are left out, and a title made only of them becomes the book's number."""
    extension = _module(format).EXTENSION
    title = _ascii(story.title)
    authors = _ascii(", ".join(author.name for author in story.byline_authors))
    stem = " - ".join(filter(None, [title or f"story-{story.pk}", authors]))
    return f"{stem[:150]}.{extension}"


def content_disposition(story: Story, format: str) -> str:
    name = download_name(story, format)
    plain = ascii_name(story, format)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
