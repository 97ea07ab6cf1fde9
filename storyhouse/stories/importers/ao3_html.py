"""HTML downloads from Archive of Our Own (format `ao3-html`).

AO3's download is one page: a preface (`div#preface`: the tag list as `<dt>Label:</dt>
<dd>...</dd>` pairs, the title in `<h1>`, the byline, "Summary" and "Notes" paragraphs each
followed by a blockquote), the chapters (`div#chapters`: for each chapter a group with its
`<h2>` heading and "Chapter Summary" / "Chapter Notes" blockquotes, the text, then an
optional "Chapter End Notes" group; a one-chapter work is only its text) and an afterword
(`div#afterword`, with the work's "End Notes").

The parser goes by ids, element order and those labels, not by class names: AO3's EPUBs
are calibre conversions of this page, and calibre renames classes and splits the page
across files (the EPUB importer joins them and hands them here).

The work's own notes have no place of their own in Storyhouse: they go before the first
part's notes, and the work's end notes after the last part's.
"""

import re

from lxml import etree

from .base import (
    BookData,
    CannotImport,
    PartData,
    apply_label,
    book_defaults,
    inner_html,
    parse_date,
    parse_html,
    split_names,
    text_of,
)

NAME = "ao3-html"

CHAPTER_LABELS = {"chapter summary": "summary", "chapter notes": "notes",
                  "chapter end notes": "end notes"}  # fmt: skip
CHAPTER_HEADING = re.compile(r"^chapter\s+\d+\s*:\s*(.+)$", re.IGNORECASE)


def recognises(text: str) -> bool:
    head = text[:200_000]
    return 'id="preface"' in head and ('id="chapters"' in head or "Archive of Our Own" in head)


def is_ao3(root: etree._Element) -> bool:
    """A tree holding AO3's preface with its tag list."""
    for preface in root.iter():
        if preface.get("id") == "preface":
            return any(text_of(dt).endswith(":") for dt in preface.iter("dt")) or (
                "Archive of Our Own" in text_of(preface)
            )
    return False


def parse(text: str) -> BookData:
    root = parse_html(text)
    if not is_ao3(root):
        raise CannotImport("this HTML has no Archive of Our Own preface")
    body = next(root.iter("body"), root)
    return parse_tree(body)


def _by_id(root: etree._Element, prefix: str) -> list[etree._Element]:
    return [el for el in root.iter() if isinstance(el.tag, str) and el.get("id") == prefix]


def _labelled_blockquote(paragraph: etree._Element) -> str | None:
    following = paragraph.getnext()
    if following is not None and following.tag == "blockquote":
        return inner_html(following)
    return None


def parse_tree(body: etree._Element) -> BookData:
    for unwanted in list(body.iter("script", "style", "img")):
        if unwanted.getparent() is not None:
            _drop(unwanted)
    book = BookData(title="", parts=[], archive_warnings=[])
    work_notes, work_end_notes = "", ""
    for preface in _by_id(body, "preface"):
        for dt in preface.iter("dt"):
            dd = dt.getnext()
            if dd is None or dd.tag != "dd":
                continue
            label, value = text_of(dt), text_of(dd)
            apply_label(book, label, value)
            if label.lower().startswith("stats"):
                book.published = parse_date(value.split("Published:", 1)[-1])
        heading = next(preface.iter("h1"), None)
        if heading is not None and not book.title:
            book.title = text_of(heading)
        for element in preface.iter("div", "p"):
            text = text_of(element)
            if text.startswith("by ") and not book.authors:
                names = [text_of(link) for link in element.iter("a")]
                book.authors = names or split_names(text[3:])
            elif text in ("Summary", "Notes"):
                found = _labelled_blockquote(element)
                if found is not None and text == "Summary":
                    book.description_html = found
                elif found is not None:
                    work_notes = found
    for afterword in _by_id(body, "afterword"):
        for paragraph in afterword.iter("p"):
            if text_of(paragraph) == "End Notes":
                work_end_notes = _labelled_blockquote(paragraph) or work_end_notes

    if not book.title:
        raise CannotImport("found no work title in the AO3 preface")
    children = [child for chapters in _by_id(body, "chapters") for child in chapters]
    book.parts = _chapters(children, book.title)
    if not book.parts:
        raise CannotImport("found no chapters in this AO3 work")
    if work_notes:
        first = book.parts[0]
        first.notes_before_html = work_notes + first.notes_before_html
    if work_end_notes:
        last = book.parts[-1]
        last.notes_after_html = last.notes_after_html + work_end_notes
    return book_defaults(book)


def _is_chapter_heading_group(element: etree._Element) -> etree._Element | None:
    """The h2 of a chapter's heading group (heading, byline, labelled blockquotes), or None."""
    if element.tag == "h2":
        return element
    children = [child for child in element if isinstance(child.tag, str)]
    if not children or children[0].tag != "h2":
        return None
    for child in children[1:]:
        text = text_of(child)
        if child.tag == "blockquote" or text.lower() in CHAPTER_LABELS:
            continue
        if text.startswith(("See the end of the chapter", "Chapter by", "by ")):
            continue
        return None
    return children[0]


def _chapter_title(heading: str, number: int) -> str:
    match = CHAPTER_HEADING.match(heading)
    if match:
        return match[1]
    return heading or f"Chapter {number}"


def _labelled(element: etree._Element) -> dict[str, str]:
    found = {}
    for paragraph in element.iter("p"):
        kind = CHAPTER_LABELS.get(text_of(paragraph).lower())
        if kind:
            found[kind] = _labelled_blockquote(paragraph) or ""
    return found


def _chapters(children: list[etree._Element], work_title: str) -> list[PartData]:
    parts: list[PartData] = []
    for child in children:
        if not isinstance(child.tag, str):
            continue
        heading = _is_chapter_heading_group(child)
        if heading is not None:
            part = PartData(title=_chapter_title(text_of(heading), len(parts) + 1), body_html="")
            labelled = _labelled(child) if child is not heading else {}
            part.description_html = labelled.get("summary", "")
            part.notes_before_html = labelled.get("notes", "")
            parts.append(part)
            continue
        labelled = _labelled(child)
        if "end notes" in labelled and parts:
            parts[-1].notes_after_html += labelled["end notes"]
            continue
        if not text_of(child):
            continue
        if not parts:  # a one-chapter work: only its text, no heading
            parts.append(PartData(title=work_title, body_html=""))
        html = inner_html(child) if child.tag == "div" else _outer(child)
        parts[-1].body_html += html
    return [part for part in parts if text_of_html(part.body_html)]


def _drop(element: etree._Element) -> None:
    """Remove an element, keeping the text after it."""
    parent, previous = element.getparent(), element.getprevious()
    if element.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _outer(element: etree._Element) -> str:
    return etree.tostring(element, method="html", encoding="unicode", with_tail=False)


def text_of_html(fragment: str) -> str:
    return re.sub(r"<[^>]+>", "", fragment).strip()
