"""Parts: read one you may read; write parts of your own books with a token."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router

from storyhouse.stories import access, services
from storyhouse.stories.models import Part, PartState, Story, TagType

from . import schemas
from .auth import OPTIONAL_TOKEN, TOKEN
from .errors import WRITES, Forbidden, Invalid, responses
from .schemas import PartDetail, PartIn, PartPatch

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
