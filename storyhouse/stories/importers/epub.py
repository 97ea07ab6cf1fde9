"""EPUB 2 and 3 books (format `epub`), as FanFicFare, calibre, Archive of Our Own and
Storyhouse itself make them.

- The book's metadata comes from the OPF: title, creators (authors, kept for information),
  description, subjects (as additional tags), language, the publication date, and the
  series (calibre's `calibre:series` / `calibre:series_index`, or EPUB 3's
  `belongs-to-collection` with its `group-position`).
- Title pages add what the OPF cannot say: "Label: value" lines as FanFicFare writes them
  (`<b>Rating:</b> ...<br/>`) and `<dl class="tags">` lists as AO3 and Storyhouse write them
  ("Rating:", "Archive Warning:", "Category:", "Fandom:", "Relationship:", "Character:",
  "Additional Tags:", "Content Warnings:", "Series:", "Status:", "Summary:" ...). They map
  onto typed tags; what a title page says wins over the OPF's subjects.
- Parts are the spine's documents in order, titled from the table of contents (nav.xhtml,
  else toc.ncx), else from their first heading. Documents that are no part are left out: the
  cover, the navigation, title pages, AO3's preface and afterword, pages without text.
- An EPUB made by Archive of Our Own (its preface is in the book) is read as AO3's HTML
  download, of which it is a conversion, so chapters split across files come back whole.
- Images are dropped (their sources would point into the zip); bodies are cleaned later by
  nh3 when the book is written.
"""

import posixpath
import re
from urllib.parse import unquote

from lxml import etree

from . import ao3_html
from .base import (
    BookData,
    CannotImport,
    PartData,
    SafeZip,
    apply_label,
    book_defaults,
    clip,
    has_class,
    inner_html,
    language_code,
    parse_date,
    parse_xhtml,
    parse_xml,
    text_of,
    text_to_html,
)

NAME = "epub"

CONTAINER = "META-INF/container.xml"
XHTML_TYPES = {"application/xhtml+xml", "text/html", "application/xml", "text/x-oeb1-document"}
# A line of a FanFicFare title page: <b>Rating:</b> Teen<br/>
TITLE_PAGE_LINE = re.compile(r"^\s*([A-Z][\w ]{1,30}):\s*(.*)$", re.DOTALL)
SKIPPED_TITLES = {"title page", "cover", "table of contents", "contents", "information", "preface",
                  "afterword", "navigation"}  # fmt: skip


def recognises(zip_file: SafeZip) -> bool:
    return CONTAINER in zip_file.infos


def parse(zip_file: SafeZip) -> BookData:
    container = parse_xml(zip_file.read(CONTAINER), what="the EPUB's container.xml")
    rootfile = next(
        (el.get("full-path") for el in container.iter() if _local(el) == "rootfile"), None
    )
    if not rootfile:
        raise CannotImport("the EPUB's container.xml names no OPF file")
    opf_path = rootfile.lstrip("/")
    opf = parse_xml(zip_file.read(opf_path), what="the EPUB's OPF")
    base = posixpath.dirname(opf_path)
    package = _Package(opf, base)

    book = BookData(title=package.title, parts=[])
    package.fill(book)
    documents = [(path, _read_document(zip_file, path)) for path in package.spine_paths()]
    documents = [(path, root) for path, root in documents if root is not None]

    if any(ao3_html.is_ao3(root) for _path, root in documents):
        return _from_ao3(book, [root for _path, root in documents])

    titles = _toc_titles(zip_file, package)
    subjects_as_tags = True
    for index, (path, root) in enumerate(documents):
        body = _body(root)
        if body is None or path in package.nav_paths:
            continue
        if _is_title_page(path, root, body, index):
            if _read_title_page(book, body):
                subjects_as_tags = False
            continue
        if _is_cover(path, root, body, package) or not text_of(body):
            continue
        title = titles.get(path, "")
        if title.strip().lower() in SKIPPED_TITLES:
            continue
        part = _part(body, title, len(book.parts) + 1)
        if part is not None:
            book.parts.append(part)
    if subjects_as_tags:
        # Without a title page, the subjects are all the file says of its tags.
        book.add_tags("trope", package.subjects)
    if not book.parts:
        raise CannotImport("this EPUB has no readable parts")
    return book_defaults(book)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _read_document(zip_file: SafeZip, path: str) -> etree._Element | None:
    if path not in zip_file.infos:
        return None
    return parse_xhtml(zip_file.read(path))


class _Package:
    """What the OPF says: metadata, manifest and spine."""

    def __init__(self, opf: etree._Element, base: str) -> None:
        self.opf = opf
        self.base = base
        self.manifest: dict[str, etree._Element] = {}
        for element in opf.iter():
            if _local(element) == "item" and element.get("id"):
                self.manifest[element.get("id")] = element
        self.metadata = next((el for el in opf.iter() if _local(el) == "metadata"), None)
        if self.metadata is None:
            raise CannotImport("the EPUB's OPF has no metadata")
        self.title = clip(self._dc_text("title"), 200)
        self.subjects = [clip(text, 150) for text in self._dc_all("subject") if clip(text, 150)]
        self.nav_paths = {
            self.path(item.get("href", ""))
            for item in self.manifest.values()
            if "nav" in (item.get("properties") or "").split()
        }

    def path(self, href: str) -> str:
        href = unquote(href.split("#", 1)[0])
        return posixpath.normpath(posixpath.join(self.base, href)) if href else ""

    def _dc_all(self, name: str) -> list[str]:
        return [
            " ".join("".join(el.itertext()).split())
            for el in self.metadata
            if _local(el) == name and "".join(el.itertext()).strip()
        ]

    def _dc_text(self, name: str) -> str:
        found = self._dc_all(name)
        return found[0] if found else ""

    def _meta(self, name: str) -> str:
        """An EPUB 2 `<meta name= content=>` or EPUB 3 `<meta property=>text</meta>`."""
        for element in self.metadata:
            if _local(element) != "meta":
                continue
            if element.get("name") == name:
                return (element.get("content") or "").strip()
            if element.get("property") == name and not element.get("refines"):
                return "".join(element.itertext()).strip()
        return ""

    def _refinement(self, element_id: str, prop: str) -> str:
        for element in self.metadata:
            if (
                _local(element) == "meta"
                and element.get("refines") == f"#{element_id}"
                and element.get("property") == prop
            ):
                return "".join(element.itertext()).strip()
        return ""

    def fill(self, book: BookData) -> None:
        creators = []
        for element in self.metadata:
            if _local(element) != "creator":
                continue
            role = element.get("{http://www.idpf.org/2007/opf}role") or self._refinement(
                element.get("id", ""), "role"
            )
            if role in ("", "aut"):
                creators.append(clip("".join(element.itertext()), 150))
        book.authors = [name for name in creators if name]
        description = "\n\n".join(self._dc_all_raw("description"))
        if description.strip():
            book.description_html = text_to_html(description)
        book.language = language_code(self._dc_text("language")) or book.language
        for element in self.metadata:
            if _local(element) == "date":
                event = element.get("{http://www.idpf.org/2007/opf}event", "publication")
                if event == "publication" and book.published is None:
                    book.published = parse_date("".join(element.itertext()))
        self._fill_series(book)

    def _dc_all_raw(self, name: str) -> list[str]:
        return ["".join(el.itertext()) for el in self.metadata if _local(el) == name]

    def _fill_series(self, book: BookData) -> None:
        title, position = self._meta("calibre:series"), self._meta("calibre:series_index")
        if not title:
            for element in self.metadata:
                if _local(element) == "meta" and element.get("property") == "belongs-to-collection":
                    kind = self._refinement(element.get("id", ""), "collection-type")
                    if kind in ("", "series"):
                        title = "".join(element.itertext()).strip()
                        position = self._refinement(element.get("id", ""), "group-position")
                        break
        if title:
            book.series_title = clip(title, 200)
            try:
                book.series_position = round(float(position)) if position else None
            except ValueError:
                book.series_position = None

    def spine_paths(self) -> list[str]:
        paths = []
        for element in self.opf.iter():
            if _local(element) != "itemref":
                continue
            item = self.manifest.get(element.get("idref", ""))
            if item is None or item.get("media-type", "") not in XHTML_TYPES:
                continue
            path = self.path(item.get("href", ""))
            if path and path not in paths:
                paths.append(path)
        return paths

    def ncx_path(self) -> str:
        spine = next((el for el in self.opf.iter() if _local(el) == "spine"), None)
        ncx = self.manifest.get(spine.get("toc", "")) if spine is not None else None
        if ncx is None:
            ncx = next(
                (
                    item
                    for item in self.manifest.values()
                    if item.get("media-type") == "application/x-dtbncx+xml"
                ),
                None,
            )
        return self.path(ncx.get("href", "")) if ncx is not None else ""


def _toc_titles(zip_file: SafeZip, package: _Package) -> dict[str, str]:
    """Each document's title from the table of contents: its first entry there."""
    titles: dict[str, str] = {}
    for nav_path in package.nav_paths:
        root = _read_document(zip_file, nav_path)
        if root is None:
            continue
        navs = [el for el in root.iter("nav") if el.get("epub-type", "") in ("toc", "")]
        toc = next(
            (nav for nav in navs if nav.get("epub-type") == "toc"), navs[0] if navs else None
        )
        for link in toc.iter("a") if toc is not None else ():
            path = _join(nav_path, link.get("href", ""))
            if path and path not in titles:
                titles[path] = text_of(link)
    if titles:
        return titles
    ncx_path = package.ncx_path()
    if ncx_path and ncx_path in zip_file.infos:
        ncx = parse_xml(zip_file.read(ncx_path), what="the EPUB's toc.ncx")
        for point in ncx.iter():
            if _local(point) != "navPoint":
                continue
            label = next((el for el in point if _local(el) == "navLabel"), None)
            content = next((el for el in point if _local(el) == "content"), None)
            if content is None:
                continue
            path = _join(ncx_path, content.get("src", ""))
            if path and path not in titles:
                titles[path] = text_of(label)
    return titles


def _join(document: str, href: str) -> str:
    href = unquote(href.split("#", 1)[0])
    if not href or "://" in href:
        return ""
    return posixpath.normpath(posixpath.join(posixpath.dirname(document), href))


def _body(root: etree._Element) -> etree._Element | None:
    if root.tag == "body":
        return root
    return next(root.iter("body"), None)


def _is_title_page(path: str, root: etree._Element, body: etree._Element, index: int) -> bool:
    name = posixpath.basename(path).lower()
    if has_class(body, "fff_titlepage") or name in ("title.xhtml", "title_page.xhtml"):
        return True
    if body.xpath(".//dl[contains(concat(' ', normalize-space(@class), ' '), ' tags ')]"):
        return not body.xpath(".//*[contains(concat(' ', normalize-space(@class), ' '), ' part ')]")
    return index < 3 and len(_labelled_lines(body)) >= 3


def _is_cover(path: str, root: etree._Element, body: etree._Element, package: _Package) -> bool:
    name = posixpath.basename(path).lower()
    if name.startswith(("cover", "titlepage")) and len(text_of(body)) < 200:
        return True
    return bool(root.xpath("//meta[@name='calibre:cover']"))


def _labelled_lines(body: etree._Element) -> list[tuple[str, str, str]]:
    """(label, text, html) for every "<b>Label:</b> value" and "<dt>Label:</dt><dd>value</dd>"."""
    found = []
    for dt in body.iter("dt"):
        dd = dt.getnext()
        if dd is not None and dd.tag == "dd":
            found.append((text_of(dt), text_of(dd), inner_html(dd)))
    for bold in body.iter("b", "strong"):
        label = text_of(bold)
        if not label.endswith(":") or len(label) > 32:
            continue
        # The value runs from after the label to the next <br/> or label.
        chunks_text, chunks_html = [bold.tail or ""], [bold.tail or ""]
        sibling = bold.getnext()
        while sibling is not None and sibling.tag not in ("br", "b", "strong"):
            chunks_text.append("".join(sibling.itertext()) + (sibling.tail or ""))
            chunks_html.append(etree.tostring(sibling, method="html", encoding="unicode"))
            sibling = sibling.getnext()
        found.append((label, " ".join("".join(chunks_text).split()), "".join(chunks_html).strip()))
    return found


def _read_title_page(book: BookData, body: etree._Element) -> bool:
    """Put the title page's labelled metadata into the book; True if it said something."""
    said = False
    for label, text, html in _labelled_lines(body):
        value_html = html if label.lower().startswith(("summary", "description")) else ""
        said = apply_label(book, label, text, value_html) or said
    summary = body.xpath(".//div[contains(concat(' ', normalize-space(@class), ' '), ' summary ')]")
    if summary:
        block = summary[0]
        for heading in block.xpath("./h1|./h2|./h3|./h4"):
            if text_of(heading).lower() == "summary":
                _remove(heading)
        book.description_html = inner_html(block)
        said = True
    return said


def _remove(element: etree._Element) -> None:
    """Remove an element but keep the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    previous = element.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def _first_heading(body: etree._Element) -> etree._Element | None:
    return next((el for el in body.iter("h1", "h2", "h3", "h4") if text_of(el)), None)


def _part(body: etree._Element, toc_title: str, number: int) -> PartData | None:
    for image in list(body.iter("img", "svg", "image")):
        _remove(image)
    section = body.xpath(".//*[contains(concat(' ', normalize-space(@class), ' '), ' part ')]")
    if section:
        return _storyhouse_part(section[0], toc_title, number)
    heading = body.xpath(
        ".//*[contains(concat(' ', normalize-space(@class), ' '), ' fff_chapter_title ')]"
    )
    heading = heading[0] if heading else _first_heading(body)
    title = toc_title
    if heading is not None and (not title or text_of(heading) == title):
        title = title or text_of(heading)
        _remove(heading)
    if not text_of(body):
        return None
    return PartData(title=title or f"Part {number}", body_html=inner_html(body))


def _by_class(root: etree._Element, name: str) -> etree._Element | None:
    found = root.xpath(f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]")
    return found[0] if found else None


def _without_heading(block: etree._Element | None) -> str:
    if block is None:
        return ""
    for heading in block.xpath("./h2|./h3|./h4"):
        _remove(heading)
    return inner_html(block)


def _storyhouse_part(section: etree._Element, toc_title: str, number: int) -> PartData:
    """A part as Storyhouse exports it: title, summary, own tags, notes, body in .userstuff."""
    heading = _by_class(section, "part-title")
    part = PartData(title=text_of(heading) or toc_title or f"Part {number}", body_html="")
    tags = _by_class(section, "tags")
    if tags is not None:
        for dt in tags.iter("dt"):
            dd = dt.getnext()
            label = text_of(dt).lower().rstrip(":")
            names = [name for name in re.split(r",\s*", text_of(dd)) if name.strip()]
            if label in ("additional tags", "tropes"):
                part.tropes += names
            elif "warning" in label:
                part.warnings += names
    part.description_html = _without_heading(_by_class(section, "summary"))
    part.notes_before_html = _without_heading(_by_class(section, "notes-before"))
    part.notes_after_html = _without_heading(_by_class(section, "notes-after"))
    part.body_html = inner_html(_by_class(section, "userstuff"))
    return part


def _from_ao3(book: BookData, roots: list[etree._Element]) -> BookData:
    """An EPUB that AO3 made from its HTML download: read the documents as that download."""
    whole = etree.Element("body")
    for root in roots:
        body = _body(root)
        if body is None:
            continue
        holder = etree.SubElement(whole, "div")
        holder.text = body.text
        for child in list(body):
            holder.append(child)
    ao3_book = ao3_html.parse_tree(whole)
    # The OPF's series is calibre's: AO3's preface says the same, and says it better.
    ao3_book.series_title = ao3_book.series_title or book.series_title
    ao3_book.series_position = ao3_book.series_position or book.series_position
    ao3_book.authors = ao3_book.authors or book.authors
    ao3_book.published = ao3_book.published or book.published
    if not ao3_book.description_html:
        ao3_book.description_html = book.description_html
    return ao3_book
