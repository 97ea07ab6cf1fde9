"""Books uploaded at the desk: each file read and written on its own, all or nothing.

Every upload is saved under a temporary folder with its own name (importers may look at the
extension), read with `importers.read_book` and written with `imports.book_import` in its
own transaction. A file that cannot be read is reported with a one-line reason; the others
go on, and nothing of the failed one stays behind. Markdown files sent together are one
book, one part a file (with `book.md` for the book, if sent), as the command reads a folder;
a single Markdown file is a book of one part.
"""

import logging
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from storyhouse.accounts.models import User
from storyhouse.discovery import fulltext

from .importers import CannotImport, read_book
from .imports import book_import
from .models import Story

logger = logging.getLogger(__name__)

MARKDOWN_SUFFIXES = {".md", ".markdown"}


@dataclass
class UploadResult:
    """What became of one uploaded file (or of loose Markdown files sent together)."""

    name: str
    story: Story | None = None
    outcomes: dict[str, int] = field(
        default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0}
    )
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def safe_file_name(name: str) -> str:
    """The last part of an uploaded file's name, harmless as a file name; extension kept."""
    name = Path(name.replace("\\", "/")).name
    name = re.sub(r"[^\w.\- ]+", "_", name).strip(" .")
    if len(name) > 120:
        suffix = Path(name).suffix[:16]
        name = name[: 120 - len(suffix)] + suffix
    return name or "upload"


def _save(upload: UploadedFile, path: Path) -> None:
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)


def _one_line(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return " ".join(str(error).split())


def _import_one(path: Path, result: UploadResult, *, author: User, visibility: str) -> None:
    try:
        book = read_book(path)
        with transaction.atomic():
            parts = book_import(book, author=author, visibility=visibility)
    except (CannotImport, ValidationError) as error:
        result.error = _one_line(error)
        return
    except Exception:
        # A file that trips a bug in a reader must not cost the writer the other files.
        logger.exception("importing an uploaded file failed: %s", result.name)
        result.error = _("Storyhouse could not read this file because of an error on our side.")
        return
    if not parts:
        result.error = _("This file holds no parts to import.")
        return
    result.story = parts[0].part.story
    for part in parts:
        result.outcomes[part.outcome] += 1


def uploads_import(
    uploads: Iterable[UploadedFile], *, author: User, visibility: str
) -> list[UploadResult]:
    """Import each uploaded file as a book of `author`'s, in the order they were sent."""
    uploads = list(uploads)
    results: list[UploadResult] = []
    with tempfile.TemporaryDirectory(prefix="storyhouse-upload-") as temporary:
        folder = Path(temporary)
        markdown = [u for u in uploads if Path(u.name).suffix.lower() in MARKDOWN_SUFFIXES]
        others = [u for u in uploads if u not in markdown]
        if len(markdown) == 1:
            others.append(markdown.pop())  # a single Markdown file is a book of one part
        for number, upload in enumerate(others):
            name = safe_file_name(upload.name)
            path = folder / str(number) / name
            path.parent.mkdir()
            _save(upload, path)
            result = UploadResult(name=name)
            _import_one(path, result, author=author, visibility=visibility)
            results.append(result)
        if markdown:
            names = []
            for upload in markdown:
                name = safe_file_name(upload.name)
                # Two files of one name would overwrite each other in the folder.
                names.append(name if name not in names else f"{len(names)}-{name}")
            # Without a title in the files, the importer names the book after its folder.
            parts = [name for name in names if name.lower() != "book.md"] or names
            title = re.sub(r"^[\d\s._-]+", "", Path(parts[0]).stem).replace("_", " ")
            book_folder = folder / "markdown" / (title or "book")
            book_folder.mkdir(parents=True)
            for upload, name in zip(markdown, names, strict=True):
                _save(upload, book_folder / name)
            result = UploadResult(name=", ".join(names))
            _import_one(book_folder, result, author=author, visibility=visibility)
            results.append(result)
    # Found by search at once, without waiting for the worker.
    fulltext.refresh({result.story.pk for result in results if result.story is not None})
    return results
