"""Importers: one module per format, each turning a file into `BookData` before anything is written.

`read_book` recognises a file's format from its content (or takes the one asked for) and
parses it: a zip holding `META-INF/container.xml` is an EPUB; a folder, or a zip holding
.md files, is a Markdown book; text with AO3's preface is an AO3 HTML download; a Markdown
file with front matter is a one-part Markdown book; the rest may be a story site's page
text. Writing is `storyhouse.stories.imports.book_import`.
"""

from pathlib import Path
from types import ModuleType

from . import ao3_html, epub, markdown_folder, wattpad_text
from .base import MAX_BYTES, BookData, CannotImport, PartData, SafeZip

FORMATS: dict[str, ModuleType] = {
    module.NAME: module for module in (epub, ao3_html, markdown_folder, wattpad_text)
}
# Text formats, in the order they are tried: the most particular first.
TEXT_FORMATS = (ao3_html, markdown_folder, wattpad_text)
ZIP_MAGIC = b"PK\x03\x04"

__all__ = ["FORMATS", "BookData", "CannotImport", "PartData", "decode", "read_book"]


def decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise CannotImport(f"the text is not valid UTF-16 (byte {error.start})") from None
    if b"\x00" in data[:4096]:
        raise CannotImport("this is not a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CannotImport(f"the text is not UTF-8 (byte {error.start})") from None


def _unknown(format: str | None) -> None:
    if format is not None and format not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise CannotImport(f"unknown format {format!r} (known formats: {known})")


def _not_recognised() -> CannotImport:
    known = ", ".join(sorted(FORMATS))
    return CannotImport(f"not a format Storyhouse recognises (known formats: {known})")


def read_book(path: Path, *, format: str | None = None) -> BookData:
    """Parse one file (or a folder of Markdown) into a book, or raise CannotImport with a
    one-line reason."""
    _unknown(format)
    path = Path(path)
    if path.is_dir():
        if format not in (None, markdown_folder.NAME):
            raise CannotImport(
                f"this is a folder: only the {markdown_folder.NAME} format reads one"
            )
        return markdown_folder.parse_folder(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise CannotImport("the file is larger than 200 MB")
        data = path.read_bytes()
    except OSError as error:
        raise CannotImport(error.strerror or str(error)) from None
    if data.startswith(ZIP_MAGIC):
        return _read_zip(data, path, format)
    if format == epub.NAME:
        raise CannotImport("this is not an EPUB (not a zip file)")
    text = decode(data)
    if not text.strip():
        raise CannotImport("the file is empty")
    if format is None:
        module = next((module for module in TEXT_FORMATS if module.recognises(text)), None)
        if module is None and path.suffix.lower() in markdown_folder.SUFFIXES:
            module = markdown_folder
        if module is None:
            raise _not_recognised()
    else:
        module = FORMATS[format]
    if module is markdown_folder:
        return markdown_folder.parse(text, name=path.name)
    return module.parse(text)


def _read_zip(data: bytes, path: Path, format: str | None) -> BookData:
    zip_file = SafeZip(data)
    if format in (None, epub.NAME) and epub.recognises(zip_file):
        return epub.parse(zip_file)
    if format in (None, markdown_folder.NAME) and markdown_folder.recognises_zip(zip_file):
        return markdown_folder.parse_zip(zip_file, fallback_title=path.stem)
    if format == epub.NAME:
        raise CannotImport("this zip file is no EPUB: it has no META-INF/container.xml")
    if format is not None:
        raise CannotImport(f"a zip file cannot be read as {format}")
    raise CannotImport("this zip file holds neither an EPUB nor Markdown files")
