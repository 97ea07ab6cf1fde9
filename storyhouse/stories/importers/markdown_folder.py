"""A book written as Markdown files, one per part (format `markdown`): a folder, a .zip of
one (what the desk's upload receives), or a single .md file (a book of one part).

- Every `*.md` / `*.markdown` file is a part, except `book.md`, which is the book itself.
- A file may start with front matter: YAML between two `---` lines.
- `book.md`'s front matter describes the book: `title`, `authors` (for information),
  `summary` (or `description`), `rating`, `warnings`, `fandoms`, `characters`,
  `relationships`, `tags`, `category`, `language`, `status` (complete / ongoing),
  `series`, `series_position`. Its text, if any, is the book's summary. Without a
  `book.md`, the first part's front matter may carry the same keys; without a title
  anywhere, the folder's (or zip's) name is the book's title.
- A part's front matter: `title` (else the file's first `# heading`, else its name),
  `summary` / `description`, `notes` / `notes_before`, `end_notes` / `notes_after`,
  `tags` (its own tropes), `warnings`, and `order` / `position`. Parts with an `order`
  (or `position`) come first, sorted by it; then the others by file name, numbers in
  names counted as numbers.
- Lists may be YAML lists or comma-separated text. Markdown is rendered with the site's
  renderer and kept as written, so the writer edits the Markdown they wrote. Images are
  dropped (their files are not imported).
"""

import re
from pathlib import Path, PurePosixPath

import yaml

from ..html import markdown_to_html
from .base import (
    MAX_BYTES,
    BookData,
    CannotImport,
    PartData,
    SafeZip,
    apply_label,
    book_defaults,
    clip,
)

NAME = "markdown"

BOOK_FILE = "book.md"
SUFFIXES = (".md", ".markdown")
FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
FRONT_MATTER_LIMIT = 64 * 1024
HEADING = re.compile(r"\A\s*#\s+(.+?)\s*#*\s*(?:\n|\Z)")
BOOK_KEYS = {
    "rating": "Rating",
    "warnings": "Warnings",
    "fandoms": "Fandoms",
    "fandom": "Fandom",
    "characters": "Characters",
    "relationships": "Relationships",
    "tags": "Additional Tags",
    "category": "Category",
    "categories": "Categories",
    "language": "Language",
    "status": "Status",
}


def recognises(text: str) -> bool:
    """One Markdown file with front matter."""
    return bool(FRONT_MATTER.match(text.lstrip("\ufeff")))


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CannotImport(f"{name} is not UTF-8 text (byte {error.start})") from None


def split_front_matter(text: str, name: str) -> tuple[dict, str]:
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    raw = match[1] or ""
    if len(raw) > FRONT_MATTER_LIMIT:
        raise CannotImport(f"the front matter of {name} is too long")
    try:
        data = yaml.safe_load(raw) if raw.strip() else {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark else ""
        raise CannotImport(f"the front matter of {name} is not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise CannotImport(f"the front matter of {name} is not a list of keys and values")
    return {str(key).lower(): value for key, value in data.items()}, text[match.end() :]


def _text(value: object) -> str:
    """A scalar as text; anything else (YAML can nest without end) is ignored."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, str | int | float):
        return str(value)
    return ""


def _names(value: object) -> list[str]:
    if isinstance(value, list):
        items = [_text(item) for item in value[:500]]
    else:
        items = re.split(r",\s*", _text(value))
    return [clip(item, 150) for item in items if clip(item, 150)]


def _markdown(value: object) -> str:
    return _text(value).strip()


def _natural(name: str) -> list:
    return [int(chunk) if chunk.isdigit() else chunk.lower() for chunk in re.split(r"(\d+)", name)]


def _order(meta: dict) -> float:
    for key in ("order", "position"):
        value = meta.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return float("inf")


def _fill_book(book: BookData, meta: dict, description_md: str = "") -> None:
    if _text(meta.get("title")) and not book.title:
        book.title = _text(meta["title"])
    if "authors" in meta or "author" in meta:
        book.authors = _names(meta.get("authors", meta.get("author")))
    summary = _markdown(meta.get("summary", meta.get("description", ""))) or description_md
    if summary and not book.description_html:
        book.description_html = markdown_to_html(summary)
    for key, label in BOOK_KEYS.items():
        if key in meta:
            apply_label(book, label, ", ".join(_names(meta[key])))
    if _text(meta.get("series")):
        book.series_title = clip(_text(meta["series"]), 200)
        position = meta.get("series_position")
        if isinstance(position, int | float) and not isinstance(position, bool):
            book.series_position = round(position)


def _part(meta: dict, body: str, name: str) -> PartData:
    title = _text(meta.get("title"))
    heading = HEADING.match(body)
    if not title and heading:
        title, body = heading[1], body[heading.end() :]
    if not title:
        title = re.sub(r"^\d+[\s._-]*", "", PurePosixPath(name).stem).replace("_", " ")
        title = title.replace("-", " ").strip().capitalize() or PurePosixPath(name).stem
    sources = {
        "description": _markdown(meta.get("summary", meta.get("description", ""))),
        "notes_before": _markdown(meta.get("notes", meta.get("notes_before", ""))),
        "notes_after": _markdown(meta.get("end_notes", meta.get("notes_after", ""))),
        "body": body.strip(),
    }
    return PartData(
        title=title,
        body_html=markdown_to_html(sources["body"]),
        description_html=markdown_to_html(sources["description"]),
        notes_before_html=markdown_to_html(sources["notes_before"]),
        notes_after_html=markdown_to_html(sources["notes_after"]),
        tropes=_names(meta.get("tags")),
        warnings=_names(meta.get("warnings")),
        sources={field: text for field, text in sources.items() if text},
    )


def parse_files(files: dict[str, str], *, fallback_title: str) -> BookData:
    """A book from Markdown files given as {path: text}."""
    book = BookData(title="", parts=[], archive_warnings=[])
    book_file = next(
        (name for name in files if PurePosixPath(name).name.lower() == BOOK_FILE), None
    )
    if book_file is not None:
        meta, text = split_front_matter(files.pop(book_file), book_file)
        _fill_book(book, meta, text.strip())
    entries = []
    for name, text in files.items():
        meta, body = split_front_matter(text, PurePosixPath(name).name)
        entries.append((_order(meta), _natural(name), name, meta, body))
    entries.sort(key=lambda entry: entry[:2])
    for index, (_order_key, _sort, name, meta, body) in enumerate(entries):
        if index == 0 and book_file is None:
            _fill_book(book, {key: value for key, value in meta.items() if key != "title"})
            if "book" in meta or "book_title" in meta:
                book.title = _text(meta.get("book") or meta.get("book_title"))
        if not body.strip():
            continue
        book.parts.append(_part(meta, body, PurePosixPath(name).name))
    if not book.title:
        book.title = book.parts[0].title if len(files) == 1 and book.parts else fallback_title
    if not book.parts:
        raise CannotImport("found no Markdown parts with text")
    return book_defaults(book)


def parse_folder(folder: Path) -> BookData:
    files: dict[str, str] = {}
    total = 0
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(piece.startswith(".") for piece in relative.parts):
            continue
        if path.is_file() and path.suffix.lower() in SUFFIXES:
            total += path.stat().st_size
            if total > MAX_BYTES:
                raise CannotImport("the folder holds more than 200 MB of Markdown")
            files[relative.as_posix()] = _decode(path.read_bytes(), relative.as_posix())
    if not files:
        # Only a folder of Markdown is a book; any other folder is no file to read.
        raise CannotImport("this is a folder, not a file")
    return parse_files(files, fallback_title=folder.name)


def recognises_zip(zip_file: SafeZip) -> bool:
    return any(_wanted(name) for name in zip_file.names)


def _wanted(name: str) -> bool:
    path = PurePosixPath(name)
    hidden = any(piece.startswith(".") or piece == "__MACOSX" for piece in path.parts)
    return not hidden and path.suffix.lower() in SUFFIXES


def parse_zip(zip_file: SafeZip, *, fallback_title: str) -> BookData:
    files = {name: _decode(zip_file.read(name), name) for name in zip_file.names if _wanted(name)}
    if not files:
        raise CannotImport("this zip file holds no Markdown (.md) files")
    return parse_files(files, fallback_title=fallback_title)


def parse(text: str, *, name: str = "story.md") -> BookData:
    """A single Markdown file: a book of one part."""
    return parse_files({name: text}, fallback_title=PurePosixPath(name).stem)
