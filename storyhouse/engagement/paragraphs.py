"""The paragraphs of a part as readers point at them: anchor ids in reading order, with text."""

from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

from storyhouse.stories.html import ANCHOR_ID, ANCHORED

QUOTE_WORDS = 10


@dataclass(frozen=True)
class Paragraph:
    id: str
    position: int
    text: str

    @property
    def quote(self) -> str:
        """The paragraph's first words, to remind a reader which one a comment is about."""
        words = self.text.split()
        if len(words) <= QUOTE_WORDS:
            return " ".join(words)
        return " ".join(words[:QUOTE_WORDS]) + "…"


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, str | None, list[str]]] = []
        self.found: list[tuple[str, str]] = []
        self.order: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ANCHORED:
            anchor = dict(attrs).get("id")
            if anchor and ANCHOR_ID.match(anchor):
                self.order.append(anchor)  # the order they start in, nested or not
            self.open.append((tag, anchor, []))
        elif tag == "br":
            self.handle_data(" ")

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1][0] == tag:
            _tag, anchor, texts = self.open.pop()
            text = " ".join("".join(texts).split())
            if anchor and ANCHOR_ID.match(anchor):
                self.found.append((anchor, text))
            if self.open:
                self.open[-1][2].append(text)

    def handle_data(self, data: str) -> None:
        if self.open:
            self.open[-1][2].append(data)


@lru_cache(maxsize=256)
def _parse(body: str) -> tuple[Paragraph, ...]:
    collector = _Collector()
    collector.feed(body)
    collector.close()
    texts = dict(collector.found)
    return tuple(
        Paragraph(id=anchor, position=position, text=texts.get(anchor, ""))
        for position, anchor in enumerate(dict.fromkeys(collector.order))
    )


def paragraphs(body: str) -> tuple[Paragraph, ...]:
    """Every anchored paragraph of a stored body, in reading order."""
    return _parse(body)


def paragraph(body: str, anchor: str) -> Paragraph | None:
    """The paragraph with this anchor id, or None when the body has no such paragraph."""
    if not anchor or not ANCHOR_ID.match(anchor):
        return None
    return next((p for p in paragraphs(body) if p.id == anchor), None)
