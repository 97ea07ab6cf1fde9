"""HTML that writers send: cleaned by nh3, with a stable anchor id on every paragraph.

Everything a writer types or imports passes through `clean_html` before it is
stored, so nothing in a story can run script in a reader's browser. Bodies then
go through `anchor_paragraphs`, which gives each paragraph an id such as
`p-3fa9`; inline comments and reading progress attach to those ids, so an id
must survive edits of the paragraphs around it.
"""

import html
import re
import secrets
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "div", "dl",
    "dt", "em", "h2", "h3", "h4", "h5", "h6", "hr", "i", "ins", "kbd", "li", "mark", "ol", "p",
    "pre", "q", "s", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"lang", "dir"},
    "a": {"href", "title"},
    "abbr": {"title"},
    "ol": {"start", "reversed"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
# Elements a reader can point at: each gets a stable id.
ANCHORED = ("p", "h2", "h3", "h4", "h5", "h6", "li", "pre", "dt", "dd")
for _tag in ANCHORED:
    ALLOWED_ATTRIBUTES.setdefault(_tag, set()).add("id")

ANCHOR_ID = re.compile(r"^p-[0-9a-f]{4,12}$")
DIRECTIONS = {"ltr", "rtl", "auto"}


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "id":
        return value if ANCHOR_ID.match(value) else None
    if attribute == "dir":
        return value if value in DIRECTIONS else None
    if attribute in {"colspan", "rowspan", "start"}:
        return value if value.isdigit() and len(value) <= 4 else None
    return value


def clean_html(fragment: str) -> str:
    """The safe subset of a writer's HTML: formatting kept, scripts and styles gone."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "template", "iframe", "object", "svg", "math"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow ugc",
    ).strip()


_markdown = MarkdownIt("commonmark", {"html": True, "typographer": True}).enable(
    ["replacements", "smartquotes", "strikethrough", "table"]
)


def markdown_to_html(text: str) -> str:
    """Markdown (with inline HTML allowed) to cleaned HTML."""
    return clean_html(_markdown.render(text))


def paragraphs_to_html(paragraphs: list[str]) -> str:
    """Plain-text paragraphs to cleaned HTML; a line break inside one becomes <br>."""
    parts = []
    for paragraph in paragraphs:
        lines = [html.escape(line.strip(), quote=False) for line in paragraph.split("\n")]
        text = "<br>".join(line for line in lines if line)
        if text:
            parts.append(f"<p>{text}</p>")
    return clean_html("\n".join(parts))


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in {"br", "p", "li", "div", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre"}:
            self.chunks.append("\n")


def html_to_text(fragment: str) -> str:
    """The text a reader sees, without tags; blocks on their own lines."""
    collector = _TextCollector()
    collector.feed(fragment)
    collector.close()
    return re.sub(r"\n\s*\n+", "\n", "".join(collector.chunks)).strip()


def _normalized(text: str) -> str:
    return " ".join(text.split())


class _Anchorer(HTMLParser):
    """Re-emits cleaned HTML unchanged, except for the start tags of anchored elements.

    The input comes from nh3's serializer, so it is well formed; text and
    character references are copied byte for byte.
    """

    def __init__(self, previous_ids: dict[str, list[str]]) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.open: list[tuple[str, int, str | None, list[str]]] = []
        self.used: set[str] = set()
        self.pending: list[tuple[int, str | None, str, str]] = []
        self.previous_ids = previous_ids

    def _text(self, data: str) -> None:
        for _tag, _index, _id, texts in self.open:
            texts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ANCHORED:
            existing = dict(attrs).get("id")
            others = "".join(
                f' {name}="{html.escape(value or "", quote=True)}"'
                for name, value in attrs
                if name != "id"
            )
            self.out.append("")  # filled in when the element closes and its text is known
            self.open.append((tag, len(self.out) - 1, existing, []))
            self.pending.append((len(self.out) - 1, existing, tag, others))
        else:
            self.out.append(self.get_starttag_text() or "")
            if tag == "br":
                self._text(" ")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")
        if self.open and self.open[-1][0] == tag:
            _tag, index, existing, texts = self.open.pop()
            self._texts[index] = _normalized(html.unescape("".join(texts)))

    def handle_data(self, data: str) -> None:
        self.out.append(data)
        self._text(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")
        self._text(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")
        self._text(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        pass  # nh3 already removed comments

    def run(self, fragment: str) -> str:
        self._texts: dict[int, str] = {}
        self.feed(fragment)
        self.close()
        # First keep every valid id that was already there, then reuse ids of
        # paragraphs whose text is unchanged, then mint new ones.
        chosen: dict[int, str] = {}
        for index, existing, _tag, _others in self.pending:
            if existing and existing not in self.used:
                chosen[index] = existing
                self.used.add(existing)
        for index, _existing, _tag, _others in self.pending:
            if index in chosen:
                continue
            for candidate in self.previous_ids.get(self._texts.get(index, ""), []):
                if candidate not in self.used:
                    chosen[index] = candidate
                    self.used.add(candidate)
                    break
        for index, _existing, _tag, _others in self.pending:
            if index not in chosen:
                chosen[index] = self._new_id()
        for index, _existing, tag, others in self.pending:
            self.out[index] = f'<{tag} id="{chosen[index]}"{others}>'
        return "".join(self.out)

    def _new_id(self) -> str:
        for attempt in range(200):
            candidate = "p-" + secrets.token_hex(2 if attempt < 50 else 4)
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate
        raise RuntimeError("could not find a free paragraph id")  # pragma: no cover


class _IdCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, str | None, list[str]]] = []
        self.found: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ANCHORED:
            self.open.append((tag, dict(attrs).get("id"), []))
        elif tag == "br":
            self.handle_data(" ")

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1][0] == tag:
            _tag, anchor, texts = self.open.pop()
            text = "".join(texts)
            if anchor and ANCHOR_ID.match(anchor):
                self.found.setdefault(_normalized(text), []).append(anchor)
            self.handle_data(text)

    def handle_data(self, data: str) -> None:
        if self.open:
            self.open[-1][2].append(data)


def paragraph_ids_by_text(fragment: str) -> dict[str, list[str]]:
    """The anchor ids in a stored body, keyed by the paragraph text they mark."""
    collector = _IdCollector()
    collector.feed(fragment)
    collector.close()
    return collector.found


def anchor_paragraphs(fragment: str, previous: str = "") -> str:
    """Give every paragraph of cleaned HTML a stable id.

    An id already in the HTML is kept (an editor sends them back); a paragraph
    whose text is unchanged from `previous` gets its old id back; any other
    paragraph gets a new random one.
    """
    return _Anchorer(paragraph_ids_by_text(previous)).run(fragment)


def clean_body(fragment: str, previous: str = "") -> str:
    """A part body ready to store: cleaned, and every paragraph anchored."""
    return anchor_paragraphs(clean_html(fragment), previous)
