"""Slots: the places in a page that differ from one signed-in reader to the next.

A page rendered "as a shell" (deps.personal_shell) writes a marker where each personal thing goes
instead of the thing itself: a text slot for a value (the reader's name, the unread count,
the CSRF token), a choice slot holding both ways a piece can look (voted or not, in the
library or not). Comment threads keep their own action slots (engagement/shared_threads.py).
`parse` cuts a shell into pieces once; `fill` puts one reader's values in, per request.

Markers are private-use characters around a random word made when the process starts, so
nothing a person writes (a comment, a part) can pass for one.
"""

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from django import template
from django.template.base import Node, NodeList, Parser, Token
from django.utils.html import conditional_escape

from .deps import ENVIRON_SHELL

NONCE = secrets.token_hex(8)
_TEXT_OPEN, _TEXT_CLOSE = "\ue000" + NONCE, "\ue001"
_CHOICE_OPEN, _CHOICE_SPLIT, _CHOICE_CLOSE = "\ue002" + NONCE, "\ue003", "\ue004"

_PIECE = re.compile(
    "|".join(
        (
            re.escape(_TEXT_OPEN) + r"(?P<text>\w+)" + re.escape(_TEXT_CLOSE),
            re.escape(_CHOICE_OPEN)
            + r"(?P<choice>\w+)"
            + re.escape(_CHOICE_SPLIT)
            + r"(?P<no>.*?)"
            + re.escape(_CHOICE_SPLIT)
            + r"(?P<yes>.*?)"
            + re.escape(_CHOICE_CLOSE),
            # engagement/comment.html: a hidden comment, for its writer, else a note
            r"<!--hidden (?P<hidden_author>\d*)-->(?P<hidden>.*?)<!--hidden-else-->"
            r"(?P<note>.*?)<!--/hidden-->",
            # engagement/comment.html: <!--actions PK AUTHOR_ID-->reply<!--|-->edit<!--|-->delete
            r"<!--actions (?P<comment>\d+) (?P<author>\d*)-->(?P<links>.*?)<!--/actions-->",
            # engagement/comment.html: what only writers and moderators may do; the readers a
            # shell serves are neither (personal.Reader.may_use), so it is left out.
            r"<!--moderates-->(?P<moderates>.*?)<!--/moderates-->",
        )
    ),
    re.S,
)


def text_marker(name: str) -> str:
    return f"{_TEXT_OPEN}{name}{_TEXT_CLOSE}"


def choice_marker(name: str, no: str, yes: str) -> str:
    return f"{_CHOICE_OPEN}{name}{_CHOICE_SPLIT}{no}{_CHOICE_SPLIT}{yes}{_CHOICE_CLOSE}"


def is_shell(context: template.Context) -> bool:
    request = context.get("request")
    return request is not None and ENVIRON_SHELL in request.META


# The pieces of a parsed shell: bytes, or one of these.


@dataclass(frozen=True, slots=True)
class Text:
    name: str


@dataclass(frozen=True, slots=True)
class Choice:
    name: str
    no: tuple
    yes: tuple


@dataclass(frozen=True, slots=True)
class Hidden:
    """A comment moderators hid: shown to its writer, a note to everyone else."""

    author_id: int | None
    comment: tuple
    note: tuple


@dataclass(frozen=True, slots=True)
class Actions:
    """A comment's Reply, Edit and Delete links (as HTML), and who wrote it."""

    author_id: int | None
    reply: str
    edit: str
    delete: str


def parse(html: str) -> tuple:
    """The shell cut into static bytes and slots, static neighbours joined."""
    pieces: list = []
    at = 0
    for match in _PIECE.finditer(html):
        pieces.append(html[at : match.start()].encode())
        if match["text"] is not None:
            pieces.append(Text(match["text"]))
        elif match["choice"] is not None:
            pieces.append(Choice(match["choice"], parse(match["no"]), parse(match["yes"])))
        elif match["moderates"] is not None:
            pass
        elif match["hidden_author"] is not None:
            author = int(match["hidden_author"]) if match["hidden_author"] else None
            pieces.append(Hidden(author, parse(match["hidden"]), parse(match["note"])))
        else:
            reply, edit, delete = match["links"].split("<!--|-->")
            author = int(match["author"]) if match["author"] else None
            pieces.append(Actions(author, reply, edit, delete))
        at = match.end()
    pieces.append(html[at:].encode())
    joined: list = []
    for piece in pieces:
        if isinstance(piece, bytes) and joined and isinstance(joined[-1], bytes):
            joined[-1] += piece
        elif piece != b"":
            joined.append(piece)
    return tuple(joined)


ActionsFill = Callable[[Actions], bytes]


def fill(
    pieces: tuple,
    texts: dict[str, bytes],
    choices: dict[str, bool],
    actions: ActionsFill,
    reader_id: int | None,
) -> bytes:
    """One reader's page: the shell's pieces with their values in. `reader_id` sees the
    hidden comments they wrote."""
    out: list[bytes] = []
    _fill(pieces, texts, choices, actions, reader_id, out)
    return b"".join(out)


def _fill(pieces, texts, choices, actions, reader_id, out: list[bytes]) -> None:
    for piece in pieces:
        if type(piece) is bytes:
            out.append(piece)
        elif type(piece) is Text:
            out.append(texts[piece.name])
        elif type(piece) is Choice:
            chosen = piece.yes if choices[piece.name] else piece.no
            _fill(chosen, texts, choices, actions, reader_id, out)
        elif type(piece) is Hidden:
            mine = piece.author_id is not None and piece.author_id == reader_id
            _fill(piece.comment if mine else piece.note, texts, choices, actions, reader_id, out)
        else:
            out.append(actions(piece))


def unfilled(pieces: tuple) -> set[str]:
    """The names of the text and choice slots in a shell, to check a reader fills them all."""
    names: set[str] = set()
    for piece in pieces:
        if isinstance(piece, Text):
            names.add(piece.name)
        elif isinstance(piece, Choice):
            names.add(piece.name)
            names |= unfilled(piece.no) | unfilled(piece.yes)
        elif isinstance(piece, Hidden):
            names |= unfilled(piece.comment) | unfilled(piece.note)
    return names


# Template tags ({% load personal %}; registered in settings.TEMPLATES' libraries)

register = template.Library()


@register.simple_tag(takes_context=True)
def personal_text(context: template.Context, name: str, value: object) -> str:
    """`value`, escaped; in a shell, the marker of the text slot `name`."""
    return text_marker(name) if is_shell(context) else conditional_escape(value)


class PersonalNode(Node):
    def __init__(self, name: str, value: template.base.FilterExpression, nodelist: NodeList):
        self.name, self.value, self.nodelist = name, value, nodelist

    def render(self, context: template.Context) -> str:
        if not is_shell(context):
            with context.push({self.name: self.value.resolve(context)}):
                return self.nodelist.render(context)
        ways = []
        for value in (False, True):
            with context.push({self.name: value}):
                ways.append(self.nodelist.render(context))
        return choice_marker(self.name, *ways)


@register.tag
def personal(parser: Parser, token: Token) -> PersonalNode:
    """{% personal "voted" e.voted %}…{% endpersonal %}: the block, with `voted` set to the
    value; in a shell, a choice slot holding the block rendered both ways (False and True)."""
    bits = token.split_contents()
    if len(bits) != 3 or bits[1][0] not in "\"'":
        raise template.TemplateSyntaxError('Use {% personal "name" value %}')
    nodelist = parser.parse(("endpersonal",))
    parser.delete_first_token()
    return PersonalNode(bits[1][1:-1], parser.compile_filter(bits[2]), nodelist)


def shell_context(request) -> dict:
    """A context processor: in a shell, the CSRF token and the unread count are slots."""
    if ENVIRON_SHELL not in request.META:
        return {}
    return {"csrf_token": text_marker("csrf"), "notifications_unread": text_marker("unread")}
