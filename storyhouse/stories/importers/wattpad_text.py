"""The text of a part page copied from Wattpad (format `wattpad-text`).

What the importer assumes, from the page as a browser copies it:

- Blocks are separated by blank lines; a gap of two or more blank lines is a
  "long gap". Windows and old Mac line ends, a byte-order mark, trailing
  spaces and non-breaking spaces are all tolerated; zero-width characters at
  the ends of a line are dropped, those inside words (joiners) are kept.
- The first line is the part's title. If the next block is three numbers
  (`583 4 2`, also `1.2K 45 3`), they are the reads, votes and comments the
  page showed; they are kept as imported counts.
- Lines such as `Trope - Hero/Villain`, `Tropes: a, b`, `Warnings - a, b, c`
  (any dash or a colon, any letter case) list the part's tropes and warnings,
  separated by commas. They end the front matter: what comes before them is the
  description and then the author's note, told apart by the first long gap
  (without a long gap, all of it is the description); what comes after them is
  the story. One or two one-line blocks between two such lines (`Pairing: A/B`),
  with no long gap around them, are front matter too and join the author's note.
- Without such lines, the long gaps decide: one stretch of text is all story;
  two are a description and the story; three or more are a description, an
  author's note and the story.
- The last line ends with the site footer `Where stories live. Discover now`;
  the text glued before it is the title of the book the part belongs to. The
  footer is never story text. A page without the footer is taken as a book of
  its own, titled like the part.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from ..html import paragraphs_to_html
from .base import BookData, CannotImport, PartData

NAME = "wattpad-text"

FOOTER = re.compile(r"where\s+stories\s+live\.?\s*(?:discover\s+now\.?)?\s*$", re.IGNORECASE)
# 583, 12345, 1,234 or 1.234 (thousands), 1.2K, 4,1M.
NUMBER = r"(?:\d+(?:[.,]\d+)?[kKmM]|\d{1,3}(?:[,.]\d{3})+|\d+)"
COUNTS = re.compile(rf"^({NUMBER})\s+({NUMBER})\s+({NUMBER})$")
LABEL = re.compile(
    r"^(?P<label>tropes?|(?:content\s+|trigger\s+)?warnings?)\s*[-–—‒―:]+\s*(?P<value>.*)$",
    re.IGNORECASE,
)
# Space and zero-width characters around a line; inside a line, joiners are spelling.
LINE_EDGES = re.compile(r"^[\s\u200b-\u200d\u2060]+|[\s\u200b-\u200d\u2060]+$")
# Front matter is short: a "Warning:" line far into the text is part of the story.
FRONT_MATTER_BLOCKS = 12
LONG_GAP = 2


@dataclass
class Block:
    lines: list[str]
    gap: int  # blank lines before this block

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def normalize(text: str) -> str:
    text = text.replace("\ufeff", "")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    text = text.replace("\u2029", "\n\n")
    return "\n".join(LINE_EDGES.sub("", line) for line in text.split("\n"))


def split_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    current: list[str] = []
    gap = 0
    for line in text.split("\n"):
        if line.strip():
            current.append(line.strip())
            continue
        if current:
            blocks.append(Block(current, gap))
            current, gap = [], 0
        gap += 1
    if current:
        blocks.append(Block(current, gap))
    return blocks


def parse_count(text: str) -> int:
    """A count as NUMBER matched it; decimal arithmetic, so 4.1M is 4,100,000 exactly."""
    multiplier = {"k": 1_000, "m": 1_000_000}.get(text[-1].lower())
    if multiplier:
        return int(Decimal(text[:-1].replace(",", ".")) * multiplier)
    return int(text.replace(",", "").replace(".", ""))


def label_of(line: str) -> tuple[str, str] | None:
    match = LABEL.match(" ".join(line.replace("\xa0", " ").split()))
    if not match:
        return None
    kind = "trope" if match["label"].lower().startswith("trope") else "warning"
    return kind, match["value"]


def has_label(block: Block) -> bool:
    return any(label_of(line) for line in block.lines)


def _next_label_block(blocks: list[Block], start: int) -> int | None:
    """The label block that one or two one-line blocks from `start` lead to, with no long gap."""
    for index in range(start, min(len(blocks), FRONT_MATTER_BLOCKS, start + 3)):
        block = blocks[index]
        if block.gap >= LONG_GAP:
            return None
        if has_label(block):
            return index
        if len(block.lines) > 1:
            return None
    return None


def split_list(value: str) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for item in re.split(r"\s*[,;]\s*", value):
        name = " ".join(item.split()).strip(" .")
        if name and name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    return names


def groups_by_long_gaps(blocks: list[Block]) -> list[list[Block]]:
    groups: list[list[Block]] = []
    for index, block in enumerate(blocks):
        if index == 0 or block.gap >= LONG_GAP:
            groups.append([])
        groups[-1].append(block)
    return groups


def take_footer(blocks: list[Block]) -> str | None:
    """Remove the site footer from the last block; return the book title glued to it."""
    if not blocks:
        return None
    last = blocks[-1]
    match = FOOTER.search(last.lines[-1])
    if not match:
        return None
    book_title = last.lines[-1][: match.start()].strip()
    last.lines.pop()
    if not last.lines:
        blocks.pop()
    return book_title or None


def recognises(text: str) -> bool:
    blocks = split_blocks(normalize(text))
    if not blocks or len(blocks[0].lines[0]) > 300:
        return False
    if FOOTER.search(blocks[-1].lines[-1]):
        return True
    second = blocks[0].lines[1] if len(blocks[0].lines) > 1 else None
    if second is None and len(blocks) > 1:
        second = blocks[1].lines[0]
    return bool(second and COUNTS.match(second))


def parse(text: str) -> BookData:
    blocks = split_blocks(normalize(text))
    if not blocks:
        raise CannotImport("the file is empty")
    book_title = take_footer(blocks)
    if not blocks:
        raise CannotImport("found no part title before the site footer")

    first = blocks.pop(0)
    title = first.lines[0]
    if len(title) > 200:
        raise CannotImport("the first line is too long to be a part title (over 200 characters)")
    if label_of(title) or COUNTS.match(title):
        raise CannotImport("the first line should be the part title")
    if len(first.lines) > 1:
        blocks.insert(0, Block(first.lines[1:], 0))

    counts = (0, 0, 0)
    if blocks and COUNTS.match(blocks[0].lines[0]):
        match = COUNTS.match(blocks[0].lines[0])
        counts = tuple(parse_count(value) for value in match.groups())
        blocks[0].lines.pop(0)
        if not blocks[0].lines:
            blocks.pop(0)

    tropes: list[str] = []
    warnings: list[str] = []
    extra_notes: list[Block] = []
    label_start = next(
        (index for index, block in enumerate(blocks[:FRONT_MATTER_BLOCKS]) if has_label(block)),
        None,
    )
    if label_start is not None:
        front = blocks[:label_start]
        label_end = label_start
        while label_end < len(blocks):
            if not has_label(blocks[label_end]):
                following = _next_label_block(blocks, label_end)
                if following is None:
                    break
                extra_notes += blocks[label_end:following]
                label_end = following
            for line in blocks[label_end].lines:
                labelled = label_of(line)
                if labelled is None:
                    extra_notes.append(Block([line], 0))
                elif labelled[0] == "trope":
                    tropes += split_list(labelled[1])
                else:
                    warnings += split_list(labelled[1])
            label_end += 1
        body = blocks[label_end:]
        front_groups = groups_by_long_gaps(front)
        description = front_groups[0] if front_groups else []
        notes = [block for group in front_groups[1:] for block in group] + extra_notes
    else:
        groups = groups_by_long_gaps(blocks)
        description, notes = [], []
        if len(groups) >= 2:
            description = groups.pop(0)
        if len(groups) >= 2:
            notes = groups.pop(0)
        body = [block for group in groups for block in group]

    if not body:
        raise CannotImport("found no story text after the title and front matter")

    part = PartData(
        title=title,
        body_html=paragraphs_to_html([block.text for block in body]),
        description_html=paragraphs_to_html([block.text for block in description]),
        notes_before_html=paragraphs_to_html([block.text for block in notes]),
        tropes=_unique(tropes),
        warnings=_unique(warnings),
        imported_reads=counts[0],
        imported_votes=counts[1],
        imported_comments=counts[2],
    )
    return BookData(title=book_title or title, parts=[part])


def _unique(names: list[str]) -> list[str]:
    return split_list(", ".join(names))
