"""A part's comment threads as HTML every reader shares (pagecache.fragments), with each
reader's own actions put in per request.

The threads are rendered once, for nobody in particular, with a slot around each standing
comment's Reply, Edit and Delete links; `threads_shown` keeps, for this reader, the links
`access` allows them (Reply for those who may post, Edit on their own comments, Delete on
their own and, for the book's authors and moderators, on everyone's). So a cached page of
threads never shows one reader's links to another.
"""

import re
from dataclasses import dataclass
from functools import cached_property

from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.utils.html import format_html, json_script
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from storyhouse.pagecache.fragments import fragment
from storyhouse.stories import access
from storyhouse.stories.access import AnyUser
from storyhouse.stories.models import Part

from . import paragraphs, queries
from .forms import CommentForm

# comment.html writes these around a comment's links: <!--actions PK AUTHOR_ID-->.
ACTIONS = re.compile(r"<!--actions (\d+) (\d*)-->(.*?)<!--/actions-->", re.S)
# ...and around a hidden comment: the comment for its writer and moderators, else a note.
HIDDEN = re.compile(r"<!--hidden (\d*)-->(.*?)<!--hidden-else-->(.*?)<!--/hidden-->", re.S)
# ...and around what a signed-in writer wrote (not their replies): gone for whoever blocked them.
BY = re.compile(r"<!--by (\d+)-->(.*?)<!--/by-->", re.S)
# ...and around what only the book's writers and moderators may do (freeze a thread).
MODERATES = re.compile(r"<!--moderates-->(.*?)<!--/moderates-->", re.S)
SEPARATOR = "<!--|-->"
# Pages of threads worth keeping (a page number as links write it); other input is rendered.
PAGE_NUMBER = re.compile(r"\d{1,6}")


@dataclass
class ThreadsShown:
    """What the comments section shows one reader."""

    part: Part
    paragraph: paragraphs.Paragraph | None
    can_post: bool
    counts_json: SafeString  # comments per paragraph, for engagement.js
    list_html: SafeString  # the threads, with this reader's actions

    @property
    def paragraphs(self) -> tuple[paragraphs.Paragraph, ...]:
        return paragraphs.paragraphs(self.part.body)

    @cached_property
    def form_html(self) -> SafeString:
        """The comment form's fields, blank (on the paragraph shown, if one is)."""
        anchor = self.paragraph.id if self.paragraph else ""

        def render() -> tuple[str, list[str]]:
            form = CommentForm(
                paragraphs=self.paragraphs, initial={"paragraph": anchor} if anchor else {}
            )
            html = render_to_string("engagement/fields.html", {"form": form})
            return html, [f"part:{self.part.pk}"]

        html, _keys = fragment(f"comment-form:{self.part.pk}:{anchor}", render)
        return mark_safe(html)  # noqa: S308 - rendered by a template, escaped there


class _Slot:
    """What `access` needs to know of a comment in a slot: it stands, and who wrote it."""

    deleted_at = None
    thread_frozen = False  # a frozen thread's comments have no Edit link in their slot

    def __init__(self, author_id: int | None) -> None:
        self.author_id = author_id


def threads_shown(
    user: AnyUser,
    part: Part,
    *,
    paragraph: str = "",
    page_number: object = None,
    shell: bool = False,
) -> ThreadsShown:
    """The part's threads for this reader: a page of them, or those about one paragraph.
    In a shell (pagecache/slots.py) the action slots stay for each reader's request."""
    chosen = paragraphs.paragraph(part.body, paragraph)
    keys = [f"part:{part.pk}"]

    def render_list() -> tuple[str, list[str]]:
        threads = queries.comment_threads(
            AnonymousUser(), part, paragraph=chosen.id if chosen else "", page_number=page_number
        )
        html = render_to_string("engagement/comment_list.html", {"part": part, "threads": threads})
        return html, [*keys, f"story:{part.story_id}"]  # the book's comment mode shows here

    def render_counts() -> tuple[str, list[str]]:
        counts = queries.paragraph_comment_counts(part)
        return json_script(counts, "paragraph-comment-counts"), keys

    anchor = chosen.id if chosen else ""
    if page_number in (None, "") or PAGE_NUMBER.fullmatch(str(page_number)):
        shared, _keys = fragment(f"comments:{part.pk}:{anchor}:{page_number or 1}", render_list)
    else:
        shared, _keys = render_list()
    counts, _keys = fragment(f"comment-counts:{part.pk}", render_counts)
    # Guests comment from a page of their own (views.guest_comment): the part page they
    # share stays free of forms.
    can_post = user.is_authenticated and access.can_comment_on_part(user, part)
    return ThreadsShown(
        part=part,
        paragraph=chosen,
        can_post=can_post,
        counts_json=mark_safe(counts),  # noqa: S308 - json_script escapes
        # Rendered by templates, escaped there; the slots only keep or drop links.
        list_html=mark_safe(  # noqa: S308
            shared if shell else _with_actions(shared, user, part, can_post=can_post)
        ),
    )


def _with_actions(html: str, user: AnyUser, part: Part, *, can_post: bool) -> str:
    """The shared threads with, in each slot, what this reader may see and the links they
    may follow."""
    if "<!--hidden " in html:
        html = HIDDEN.sub(lambda match: hidden_html(user, match[1], match[2], match[3]), html)
    if user.is_authenticated and "<!--by " in html:
        blocked = access.blocked_people(user)
        if blocked:
            note = format_html(
                '<p class="comment__deleted">{}</p>', _("A comment from someone you blocked.")
            )
            html = BY.sub(lambda match: note if int(match[1]) in blocked else match[0], html)
    moderates = access.can_moderate_comments(user, part)
    if "<!--moderates-->" in html:
        html = MODERATES.sub(lambda match: match[1] if moderates else "", html)
    if "<!--actions " not in html:
        return html
    blocking = access.people_blocking(user) if can_post else frozenset()

    def fill(match: re.Match) -> str:
        reply, edit, delete = match[3].split(SEPARATOR)
        author_id = int(match[2]) if match[2] else None
        may_reply = can_post and author_id not in blocking
        return actions_html(
            user, author_id, reply, edit, delete, can_post=may_reply, moderates=moderates
        )

    return ACTIONS.sub(fill, html)


def hidden_html(user: AnyUser, author_id: str, comment: str, note: str) -> str:
    """A hidden comment for its writer and moderators; the note for everyone else."""
    mine = bool(author_id) and user.is_authenticated and int(author_id) == user.pk
    return comment if mine or access.is_moderator(user) else note


def actions_html(
    user: AnyUser,
    author_id: int | None,
    reply: str,
    edit: str,
    delete: str,
    *,
    can_post: bool,
    moderates: bool,
) -> str:
    """A comment's links this reader may follow (here, and in pagecache/personal.py)."""
    comment = _Slot(author_id)
    links = [
        link
        for link, allowed in (
            (reply, can_post),
            (edit, access.can_edit_comment(user, comment)),
            (delete, access.can_delete_comment(user, comment, moderates=moderates)),
        )
        if allowed
    ]
    if not links:
        return ""
    return '<p class="comment__actions">\n    ' + "\n    ".join(links) + "\n  </p>"
