"""What every importer hands over: a book and its parts as plain data, before any write."""

from dataclasses import dataclass, field


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


@dataclass
class BookData:
    title: str
    parts: list[PartData]
    description_html: str = ""
    language: str = "en"
