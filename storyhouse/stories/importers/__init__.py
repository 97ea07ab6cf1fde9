"""Importers: one module per format, each turning a file into `BookData` before anything is written.

`read_book` decodes a file, recognises its format from the content (or takes the
one asked for) and parses it. Writing is `storyhouse.stories.imports.book_import`.
"""

from pathlib import Path
from types import ModuleType

from . import wattpad_text
from .base import BookData, CannotImport, PartData

FORMATS: dict[str, ModuleType] = {module.NAME: module for module in (wattpad_text,)}

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


def read_book(path: Path, *, format: str | None = None) -> BookData:
    """Parse one file into a book, or raise CannotImport with a one-line reason."""
    if format is not None and format not in FORMATS:
        known = ", ".join(sorted(FORMATS))
        raise CannotImport(f"unknown format {format!r} (known formats: {known})")
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise CannotImport("this is a folder, not a file") from None
    except OSError as error:
        raise CannotImport(error.strerror or str(error)) from None
    text = decode(data)
    if not text.strip():
        raise CannotImport("the file is empty")
    if format is None:
        format = next((name for name, module in FORMATS.items() if module.recognises(text)), None)
        if format is None:
            known = ", ".join(sorted(FORMATS))
            raise CannotImport(f"not a format Storyhouse recognises (known formats: {known})")
    return FORMATS[format].parse(text)
