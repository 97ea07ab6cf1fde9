"""What every importer hands over: a book and its parts as plain data, before any write.

Also the pieces the formats share: reading zip files and XML without trusting them, and
the AO3-style "Label: value, value" metadata that title pages and prefaces carry.
"""

import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO

from django.conf.locale import LANG_INFO
from lxml import etree
from lxml import html as lxml_html

from ..archive_tags import ARCHIVE_WARNINGS, CATEGORIES, RATINGS

# A file bigger than this, or a zip unpacking to more, is refused: a book is a few MB.
MAX_BYTES = 200 * 1024 * 1024
MAX_ZIP_ENTRIES = 5_000
TITLE_LENGTH = 200
TAG_LENGTH = 150

# The tag types a book carries by name (the rating and archive warnings are kept apart).
BOOK_TAG_TYPES = ("fandom", "character", "relationship", "trope", "category", "warning")


class CannotImport(Exception):
    """A file Storyhouse cannot read; the message is one line saying why."""


@dataclass
class PartData:
    title: str
    body_html: str
    description_html: str = ""
    notes_before_html: str = ""
    notes_after_html: str = ""
    tropes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    imported_reads: int = 0
    imported_votes: int = 0
    imported_comments: int = 0
    # The Markdown as written, by field (as Part.sources), for parts written in Markdown.
    sources: dict[str, str] = field(default_factory=dict)


@dataclass
class BookData:
    title: str
    parts: list[PartData]
    description_html: str = ""
    language: str = "en"
    # The names the file gives as authors, for information: the book belongs to the importer.
    authors: list[str] = field(default_factory=list)
    rating: str = ""
    # Archive warnings by their AO3 names. None: the format says nothing about the book's
    # tags at all (a part page), so the book's tags are left alone.
    archive_warnings: list[str] | None = None
    # Tag names by type: fandom, character, relationship, trope, category, warning (free).
    tags: dict[str, list[str]] = field(default_factory=dict)
    status: str = ""  # "complete", "ongoing", or "" when the file does not say
    series_title: str = ""
    series_position: int | None = None
    published: date | None = None

    def add_tags(self, tag_type: str, names: list[str]) -> None:
        known = self.tags.setdefault(tag_type, [])
        seen = {name.lower() for name in known}
        for name in names:
            name = clip(name, TAG_LENGTH)
            if name and name.lower() not in seen:
                seen.add(name.lower())
                known.append(name)


def clip(text: str, length: int) -> str:
    """Whitespace made single spaces, and at most `length` characters."""
    return " ".join(" ".join(text.split())[:length].split())


# Zip files


class SafeZip:
    """A zip file read with limits: entry count, total unpacked size, no encrypted entries."""

    def __init__(self, data: bytes) -> None:
        try:
            self.zip = zipfile.ZipFile(BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
            raise CannotImport("this is not a readable zip file") from None
        if len(infos) > MAX_ZIP_ENTRIES:
            raise CannotImport(f"the zip file holds too many files (over {MAX_ZIP_ENTRIES})")
        if sum(info.file_size for info in infos) > MAX_BYTES:
            raise CannotImport("the zip file unpacks to more than 200 MB")
        self.infos = {info.filename: info for info in infos if not info.is_dir()}
        self.read_so_far = 0

    @property
    def names(self) -> list[str]:
        return list(self.infos)

    def read(self, name: str) -> bytes:
        info = self.infos.get(name)
        if info is None:
            raise CannotImport(f"the file {clip(name, 80)!r} is missing from the zip")
        if info.flag_bits & 0x1:
            raise CannotImport("the zip file is encrypted")
        try:
            with self.zip.open(info) as entry:
                # Never trust the sizes in the headers: read one byte past what is declared.
                data = entry.read(info.file_size + 1)
        except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, ValueError) as error:
            raise CannotImport(f"the zip file is damaged ({clip(str(error), 80)})") from None
        if len(data) > info.file_size:
            raise CannotImport("the zip file is damaged (an entry is larger than it says)")
        self.read_so_far += len(data)
        if self.read_so_far > MAX_BYTES:
            raise CannotImport("the zip file unpacks to more than 200 MB")
        return data


# XML and HTML, parsed without entities, network or huge trees


def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data: bytes, *, what: str) -> etree._Element:
    """A trusted-structure XML file (container, OPF, NCX); a one-line error if it is broken."""
    try:
        root = etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as error:
        line = f" (line {error.lineno})" if error.lineno else ""
        raise CannotImport(f"{what} is not valid XML{line}") from None
    if root is None:
        raise CannotImport(f"{what} is empty")
    return root


def _html_parser() -> lxml_html.HTMLParser:
    return lxml_html.HTMLParser(
        no_network=True, huge_tree=False, remove_comments=True, remove_pis=True
    )


def parse_html(data: bytes | str) -> etree._Element:
    """An HTML document as a tree with plain tag names."""
    try:
        root = lxml_html.document_fromstring(data, parser=_html_parser())
    except (etree.ParserError, ValueError):
        raise CannotImport("the HTML could not be read") from None
    return root


EPUB_NAMESPACE = "http://www.idpf.org/2007/ops"


def parse_xhtml(data: bytes) -> etree._Element:
    """An XHTML document, as XML if it is well formed (else as HTML), with plain tag names.

    Of namespaced attributes only EPUB's stay, as `epub-type` and the like."""
    try:
        root = etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError:
        return parse_html(data)
    if root is None:
        return parse_html(data)
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        element.tag = etree.QName(element).localname
        for name in list(element.attrib):
            if name.startswith("{"):
                value = element.attrib.pop(name)
                if etree.QName(name).namespace == EPUB_NAMESPACE:
                    element.attrib["epub-" + etree.QName(name).localname] = value
    etree.cleanup_namespaces(root)
    return root


def text_of(element: etree._Element | None) -> str:
    if element is None:
        return ""
    return " ".join("".join(element.itertext()).split())


def inner_html(element: etree._Element | None) -> str:
    """The HTML inside an element (cleaning comes later, when the book is written)."""
    if element is None:
        return ""
    chunks = [escape_text(element.text or "")]
    for child in element:
        if not isinstance(child.tag, str):
            chunks.append(escape_text(child.tail or ""))
            continue
        chunks.append(etree.tostring(child, method="html", encoding="unicode", with_tail=True))
    return "".join(chunks).strip()


def escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def has_class(element: etree._Element, name: str) -> bool:
    return name in (element.get("class") or "").split()


def text_to_html(text: str) -> str:
    """Plain text (a summary in an OPF) as paragraphs; HTML stays as it is."""
    if re.search(r"<(p|div|br|em|i|b|strong|span|blockquote)\b", text, re.IGNORECASE):
        return text
    paragraphs = [" ".join(chunk.split()) for chunk in re.split(r"\n\s*\n", text)]
    return "".join(f"<p>{escape_text(p)}</p>" for p in paragraphs if p)


# The "Label: values" metadata of title pages (FanFicFare, AO3, Storyhouse's own EPUBs)

_RATING_ALIASES = {
    "g": "General Audiences",
    "general": "General Audiences",
    "k": "General Audiences",
    "everyone": "General Audiences",
    "t": "Teen And Up Audiences",
    "teen": "Teen And Up Audiences",
    "teens": "Teen And Up Audiences",
    "k+": "Teen And Up Audiences",
    "pg": "Teen And Up Audiences",
    "pg-13": "Teen And Up Audiences",
    "m": "Mature",
    "r": "Mature",
    "e": "Explicit",
    "ma": "Explicit",
    "nc-17": "Explicit",
    "adult": "Explicit",
}
_LANGUAGE_BY_NAME = {
    name.lower(): code
    for code, info in LANG_INFO.items()
    if "name" in info
    for name in (info["name"], info.get("name_local", ""))
    if name
}
LANGUAGE_CODE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$")


def rating_name(value: str) -> str:
    """An AO3 rating name for what a file says, or "" (not rated) when it is no known rating."""
    value = " ".join(value.split())
    for name in RATINGS:
        if value.lower() == name.lower():
            return name
    return _RATING_ALIASES.get(value.lower(), "")


def language_code(value: str) -> str:
    """A language code (en, pt-BR) for a code or a language's name, or ""."""
    value = " ".join(value.split())
    if LANGUAGE_CODE.match(value) and len(value) <= 35:
        return value
    return _LANGUAGE_BY_NAME.get(value.lower(), "")


def split_names(value: str) -> list[str]:
    names = []
    for item in re.split(r",\s*|\n", value):
        name = clip(item, TAG_LENGTH)
        if name and name not in names:
            names.append(name)
    return names


def _series(value: str) -> tuple[str, int | None]:
    value = " ".join(value.split())
    match = re.match(r"^part\s+(\d+)\s+of\s+(.+?)(?:,\s*part\s+\d+\s+of\s+.*)?$", value, re.I)
    if match:  # AO3 and Storyhouse: "Part 2 of Coastal Tales"
        return match[2], int(match[1])
    match = re.match(r"^(.+?)\s*\[(\d+(?:\.\d+)?)\]$", value)
    if match:  # FanFicFare: "Coastal Tales [2]"
        return match[1], round(float(match[2]))
    return value, None


def _status(value: str) -> str:
    value = value.lower()
    if re.search(r"\b(complete|completed|finished)\b", value):
        return "complete"
    if re.search(r"in[\s-]progress|ongoing|\bwip\b|incomplete|updated", value):
        return "ongoing"
    match = re.search(r"chapters:\s*(\d+)\s*/\s*(\d+|\?)", value)
    if match:
        return "complete" if match[1] == match[2] else "ongoing"
    return ""


def _label_key(label: str) -> str:
    return " ".join(label.lower().strip().rstrip(":").split())


LABEL_TAG_TYPES = {
    "fandom": "fandom",
    "fandoms": "fandom",
    "character": "character",
    "characters": "character",
    "relationship": "relationship",
    "relationships": "relationship",
    "pairing": "relationship",
    "pairings": "relationship",
    "ships": "relationship",
    "additional tags": "trope",
    "additional tag": "trope",
    "freeform": "trope",
    "genre": "trope",
    "genres": "trope",
    "tags": "trope",
    "trope": "trope",
    "tropes": "trope",
}
LABEL_WARNINGS = {
    "archive warning",
    "archive warnings",
    "warning",
    "warnings",
    "content warning",
    "content warnings",
}


def apply_label(book: BookData, label: str, value: str, value_html: str = "") -> bool:
    """Put what a "Label: value" line says into the book; False for a label we do not use."""
    key = _label_key(label)
    if not value.strip() and not value_html.strip():
        return key in LABEL_TAG_TYPES or key in LABEL_WARNINGS
    if key in LABEL_TAG_TYPES:
        book.add_tags(LABEL_TAG_TYPES[key], split_names(value))
    elif key in LABEL_WARNINGS:
        archive = {name.lower(): name for name in ARCHIVE_WARNINGS}
        for name in split_names(value):
            if name.lower() in archive:
                book.archive_warnings = book.archive_warnings or []
                if archive[name.lower()] not in book.archive_warnings:
                    book.archive_warnings.append(archive[name.lower()])
            else:
                book.add_tags("warning", [name])
    elif key in {"category", "categories"}:
        # AO3's categories are F/M, Gen...; FanFicFare calls a story's fandoms its category.
        known = {name.lower(): name for name in CATEGORIES}
        for name in split_names(value):
            if name.lower() in known:
                book.add_tags("category", [known[name.lower()]])
            else:
                book.add_tags("fandom", [name])
    elif key == "rating":
        book.rating = rating_name(value) or book.rating
    elif key == "language":
        book.language = language_code(value) or book.language
    elif key == "series":
        book.series_title, book.series_position = _series(value)
        book.series_title = clip(book.series_title, TITLE_LENGTH)
    elif key in {"status", "stats"}:
        book.status = _status(value) or book.status
    elif key in {"summary", "description"}:
        book.description_html = value_html or text_to_html(value)
    elif key in {"author", "authors", "by"}:
        book.authors = split_names(value)
    elif key in {"published", "date published"}:
        book.published = parse_date(value) or book.published
    else:
        return False
    return True


def parse_date(value: str) -> date | None:
    match = re.search(r"(\d{4})-(\d{2})-(\d{2})", value)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def book_defaults(book: BookData) -> BookData:
    """What every book-level importer settles the same way: a title, clipped lengths, and
    the archive warnings list present (empty: the creator chose not to warn)."""
    book.title = clip(book.title, TITLE_LENGTH)
    if not book.title:
        raise CannotImport("the book has no title")
    if book.archive_warnings is None:
        book.archive_warnings = []
    for part in book.parts:
        part.title = clip(part.title, TITLE_LENGTH) or "Untitled"
        part.tropes = [clip(name, TAG_LENGTH) for name in part.tropes if clip(name, TAG_LENGTH)]
        part.warnings = [clip(name, TAG_LENGTH) for name in part.warnings if clip(name, TAG_LENGTH)]
    if not book.parts:
        raise CannotImport("found no parts in this book")
    return book
