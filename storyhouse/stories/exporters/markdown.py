"""Markdown: one file holding the title page and every published part.

Where the writer wrote Markdown, their own words are used as they typed them; anything else
(rich text, imports) is converted from the cleaned HTML with markdownify."""

import re

from markdownify import markdownify

from storyhouse.stories.html import markdown_to_html
from storyhouse.stories.models import BodyFormat

from .base import ExportBook, ExportPart, html_fragment

NAME = "md"
EXTENSION = "md"
MEDIA_TYPE = "text/markdown; charset=utf-8"
LABEL = "Markdown"

_ANCHOR_ATTRIBUTE = re.compile(r' id="p-[0-9a-f]+"')
# Characters that would turn a title or a tag name into markup; "&" only where it would
# start a character reference ("&amp;"), so that "Sea & Sky" reads as it is.
_MARKUP = re.compile(r"([\\`*_\[\]<>#|~]|&(?=#?\w+;))")


def escape(text: str) -> str:
    return _MARKUP.sub(r"\\\1", " ".join(text.split()))


def from_html(fragment: str) -> str:
    # Tidied first: HTML 4 elements such as <strike> become the ones markdownify knows.
    tidy = html_fragment(fragment, used_ids=set(), method="html")
    return markdownify(tidy, heading_style="ATX", bullets="-", escape_misc=False).strip()


def as_written(source: str | None, stored: str) -> str:
    """The writer's Markdown if it still makes the stored HTML (an edit made elsewhere, or
    an import, leaves it stale); else the stored HTML converted."""
    if source and _same_html(markdown_to_html(source), stored):
        return source.strip()
    return from_html(stored)


def _same_html(a: str, b: str) -> bool:
    return _ANCHOR_ATTRIBUTE.sub("", a) == _ANCHOR_ATTRIBUTE.sub("", b)


def _tag_lines(groups: list[tuple[str, list[str]]]) -> list[str]:
    # Two spaces at the end of a line: a line break, so each label stays on its own line.
    return [f"**{label}** {escape(', '.join(names))}  " for label, names in groups]


def _part(part: ExportPart) -> list[str]:
    lines = [f"## {escape(part.title)}", ""]
    description = as_written(part.sources.get("description"), part.description)
    if description:
        lines += ["### Summary", "", description, ""]
    if part.tag_groups:
        lines += [*_tag_lines(part.tag_groups), ""]
    notes_before = as_written(part.sources.get("notes_before"), part.notes_before)
    if notes_before:
        lines += ["### Notes", "", notes_before, ""]
    body_source = part.sources.get("body") if part.body_format == BodyFormat.MARKDOWN else None
    body = as_written(body_source, part.body)
    if body:
        lines += [body, ""]
    notes_after = as_written(part.sources.get("notes_after"), part.notes_after)
    if notes_after:
        lines += ["### Notes", "", notes_after, ""]
    return lines


def render(book: ExportBook) -> bytes:
    lines = [f"# {escape(book.title)}", ""]
    if book.authors:
        lines += [f"*{escape(', '.join(book.authors))}*", ""]
    if book.tag_groups:
        lines += [*_tag_lines(book.tag_groups), ""]
    description = as_written(book.description_source, book.description)
    if description:
        lines += ["## Summary", "", description, ""]
    for part in book.parts:
        lines += ["---", "", *_part(part)]
    lines += ["---", "", f"<{book.url}>", ""]
    return "\n".join(lines).encode("utf-8")
