"""Parts: read one you may read; write parts of your own books, vote for parts and comment on
them, with a token."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status

from storyhouse import ratelimit
from storyhouse.engagement import services as engagement
from storyhouse.engagement.models import Comment
from storyhouse.stories import access, services
from storyhouse.stories.models import Part, PartState, Story, TagType

from . import schemas
from .auth import OPTIONAL_TOKEN, TOKEN
from .errors import WRITES, Forbidden, Invalid, responses
from .schemas import CommentIn, CommentOut, PartDetail, PartIn, PartPatch, VoteIn, VoteOut

router = Router(tags=["parts"])


def part_detail_answer(request: HttpRequest, part: Part) -> dict:
    story = part.story
    siblings = list(access.readable_parts(request.user, story).values_list("id", flat=True))
    index = siblings.index(part.pk) if part.pk in siblings else None
    after = index + 1 if index is not None else len(siblings)
    return {
        **schemas.part_summary(request, part, story),
        "book": schemas.book_ref(request, story),
        "description": part.description,
        "notes_before": part.notes_before,
        "notes_after": part.notes_after,
        "body": part.body,
        "tags": [schemas.tag_ref(request, tag) for tag in part.tags.order_by("type", "name")],
        "previous_part": siblings[index - 1] if index else None,
        "next_part": siblings[after] if after < len(siblings) else None,
    }


@router.get(
    "/{part_id}",
    response=responses({200: PartDetail}),
    url_name="part",
    openapi_extra=OPTIONAL_TOKEN,
)
def part_detail(request: HttpRequest, part_id: schemas.Id):
    """A part with its text (HTML), notes and own tags. Reading it here counts no read."""
    part = get_object_or_404(Part.objects.select_related("story", "story__rating"), pk=part_id)
    if not access.can_view_part(request.user, part):
        raise Http404
    return part_detail_answer(request, part)


def _state(data: dict, part: Part) -> tuple[str | None, object]:
    """The state asked for, and when a scheduled part comes out."""
    state = data.get("state")
    publish_at = data.get("publish_at", part.publish_at)
    if state is None:
        return None, None
    if state == PartState.SCHEDULED:
        if publish_at is None:
            message = _("A scheduled part needs publish_at: when it comes out.")
            raise Invalid(message, {"publish_at": [message]})
        if timezone.is_naive(publish_at):
            publish_at = timezone.make_aware(publish_at)
        if publish_at <= timezone.now():
            message = _("publish_at must be in the future.")
            raise Invalid(message, {"publish_at": [message]})
    return state, publish_at


def _write(request: HttpRequest, part: Part, data: dict, text: services.PartText) -> dict:
    state, publish_at = _state(data, part)
    tags = {
        tag_type: data[field]
        for field, tag_type in (("tropes", TagType.TROPE), ("warnings", TagType.WARNING))
        if field in data
    }
    try:
        with transaction.atomic():
            services.part_write(
                part,
                editor=request.user,
                text=text,
                tags=tags or None,
                state=state,
                publish_at=publish_at,
            )
    except ValidationError as error:
        raise Invalid.from_django(error) from error
    part = Part.objects.select_related("story", "story__rating").get(pk=part.pk)
    return part_detail_answer(request, part)


TEXT_FIELDS = ("title", "body", "body_format", "description", "notes_before", "notes_after")


def part_create(request: HttpRequest, story: Story, part: Part, sent: PartIn) -> dict:
    data = sent.model_dump()
    text = services.PartText(**{field: data[field] for field in TEXT_FIELDS})
    return _write(request, part, data, text)


@router.patch(
    "/{part_id}", response=responses({200: PartDetail}, WRITES), auth=TOKEN, url_name="part_edit"
)
def part_edit(request: HttpRequest, part_id: schemas.Id, part: PartPatch):
    """Change a part of a book you write: only the fields sent change. `state` publishes
    (published), schedules (scheduled, with publish_at) or takes it back (draft)."""
    stored = get_object_or_404(Part.objects.select_related("story"), pk=part_id)
    if not access.can_view_story(request.user, stored.story):
        raise Http404
    if not access.can_edit_story(request.user, stored.story):
        if not access.can_view_part(request.user, stored):
            raise Http404
        raise Forbidden(_("Only the book's authors can change its parts."))
    if not access.can_write(request.user):
        raise Forbidden(_("Your account cannot post yet: confirm your email address first."))
    data = part.model_dump(exclude_unset=True)
    text = services.part_text(stored)
    for field in TEXT_FIELDS:
        if field in data:
            setattr(text, field, data[field])
    return _write(request, stored, data, text)


# Votes and comments: the same rules as the part page's forms (storyhouse.engagement.services).


def _readable_part(request: HttpRequest, part_id: int) -> Part:
    part = get_object_or_404(Part.objects.select_related("story"), pk=part_id)
    if not access.can_view_part(request.user, part):
        raise Http404
    return part


@router.post(
    "/{part_id}/vote", response=responses({200: VoteOut}, WRITES), auth=TOKEN, url_name="vote"
)
def part_vote(request: HttpRequest, part_id: schemas.Id, vote: VoteIn | None = None):
    """Vote for a part, or take the vote back. Asking for what already is changes nothing."""
    part = _readable_part(request, part_id)
    ratelimit.check(request, "vote")
    try:
        voted, count = engagement.vote_toggle(
            user=request.user, part=part, voted=vote.voted if vote else None
        )
    except PermissionDenied as error:
        raise Forbidden(str(error)) from error
    return {"voted": voted, "votes": count + part.imported_votes}


@router.post(
    "/{part_id}/comments",
    response=responses({201: CommentOut}, WRITES),
    auth=TOKEN,
    url_name="comment_post",
)
def part_comment(request: HttpRequest, part_id: schemas.Id, comment: CommentIn):
    """Comment on a part, on one of its paragraphs, or reply to a comment on it."""
    part = _readable_part(request, part_id)
    parent = None
    if comment.parent is not None:
        parent = Comment.objects.filter(pk=comment.parent, part=part).first()
        if parent is None:
            message = _("There is no such comment on this part.")
            raise Invalid(message, {"parent": [message]})
    ratelimit.check(request, "comment")
    try:
        posted = engagement.comment_post(
            author=request.user,
            part=part,
            body=comment.body,
            parent=parent,
            paragraph=comment.paragraph,
        )
    except PermissionDenied as error:
        raise Forbidden(str(error)) from error
    except ValidationError as error:
        field = {"empty": "body", "too_long": "body", "no_paragraph": "paragraph"}
        message = error.messages[0]
        raise Invalid(message, {field.get(error.code, "parent"): [message]}) from error
    return Status(
        201,
        {
            "id": posted.pk,
            "part": part.pk,
            "parent": posted.parent_id,
            "paragraph": posted.paragraph,
            "body": posted.body,
            "created": posted.created_at,
            "held": posted.is_held,
        },
    )
