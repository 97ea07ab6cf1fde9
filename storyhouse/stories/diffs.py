"""What changed between two versions of a part, paragraph by paragraph and word by word.

The result is plain data (text, never HTML) that a template shows with <del> and <ins>, so a
writer's words are escaped like everything else on the page.
"""

import difflib
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .html import html_to_text

FIELDS = [
    ("title", _("Title")),
    ("description", _("Description")),
    ("notes_before", _("Author's note before")),
    ("body", _("Text")),
    ("notes_after", _("Author's note after")),
]
TOKENS = re.compile(r"\s+|\w+|[^\w\s]", re.UNICODE)


@dataclass
class Block:
    """One paragraph of the comparison: "same", "added", "removed" or "changed" (with the
    words of a changed paragraph as (operation, text) pieces), or "gap" for unchanged
    paragraphs left out."""

    kind: str
    text: str = ""
    pieces: list[tuple[str, str]] = field(default_factory=list)
    skipped: int = 0


@dataclass
class FieldDiff:
    name: str
    label: str
    blocks: list[Block]

    @property
    def changed(self) -> bool:
        return any(block.kind not in {"same", "gap"} for block in self.blocks)


def paragraphs(html: str) -> list[str]:
    return [line.strip() for line in html_to_text(html).split("\n") if line.strip()]


def word_pieces(old: str, new: str) -> list[tuple[str, str]]:
    """A changed paragraph as pieces: ("same", ...), ("removed", ...), ("added", ...)."""
    a, b = TOKENS.findall(old), TOKENS.findall(new)
    pieces: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for operation, i1, i2, j1, j2 in matcher.get_opcodes():
        if operation == "equal":
            pieces.append(("same", "".join(a[i1:i2])))
            continue
        if operation in {"delete", "replace"}:
            pieces.append(("removed", "".join(a[i1:i2])))
        if operation in {"insert", "replace"}:
            pieces.append(("added", "".join(b[j1:j2])))
    return pieces


def compare_paragraphs(old: list[str], new: list[str], *, context: int = 1) -> list[Block]:
    blocks: list[Block] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for operation, i1, i2, j1, j2 in matcher.get_opcodes():
        if operation == "equal":
            blocks += [Block("same", text) for text in old[i1:i2]]
        elif operation == "delete":
            blocks += [Block("removed", text) for text in old[i1:i2]]
        elif operation == "insert":
            blocks += [Block("added", text) for text in new[j1:j2]]
        else:
            # Paragraphs replaced one for one are shown word by word; the rest as wholes.
            pairs = min(i2 - i1, j2 - j1)
            for k in range(pairs):
                blocks.append(Block("changed", pieces=word_pieces(old[i1 + k], new[j1 + k])))
            blocks += [Block("removed", text) for text in old[i1 + pairs : i2]]
            blocks += [Block("added", text) for text in new[j1 + pairs : j2]]
    return _with_gaps(blocks, context)


def _with_gaps(blocks: list[Block], context: int) -> list[Block]:
    """Unchanged paragraphs far from any change become one "gap" saying how many."""
    near = set()
    for index, block in enumerate(blocks):
        if block.kind != "same":
            near.update(range(index - context, index + context + 1))
    shown: list[Block] = []
    for index, block in enumerate(blocks):
        if block.kind != "same" or index in near:
            shown.append(block)
        elif shown and shown[-1].kind == "gap":
            shown[-1].skipped += 1
        else:
            shown.append(Block("gap", skipped=1))
    return shown


def compare(old, new) -> list[FieldDiff]:
    """The fields that differ between two versions (a Part or a PartRevision each)."""
    diffs = []
    for name, label in FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if name == "title":
            before_paragraphs, after_paragraphs = [before], [after]
        else:
            before_paragraphs, after_paragraphs = paragraphs(before), paragraphs(after)
        found = FieldDiff(name, str(label), compare_paragraphs(before_paragraphs, after_paragraphs))
        if found.changed:
            diffs.append(found)
    return diffs
