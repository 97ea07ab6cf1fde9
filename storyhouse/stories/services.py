"""Every write to books, parts and tags: views, admin, importers and commands all call these.

Each function cleans what people typed, keeps cached counts and slugs right and
records the change in the change log, so nothing that writes can forget one of them.
"""

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, Max, Min, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from storyhouse.accounts.models import User
from storyhouse.pagecache import versions

from . import covers
from .archive_tags import ARCHIVE_WARNINGS, NOT_RATED, WARNING_SYNONYMS
from .html import clean_body, clean_html, html_to_text, markdown_to_html
from .models import (
    Authorship,
    BodyFormat,
    Change,
    Part,
    PartRevision,
    PartState,
    Series,
    Story,
    Tag,
    TagSlug,
    TagType,
    Visibility,
)
from .queries import tag_family_ids
from .signals import coauthor_invited, part_published
from .text import count_words, slugify

log = logging.getLogger(__name__)

PART_TEXT_FIELDS = ("title", "description", "notes_before", "notes_after", "body")
# Visibilities that put a book before readers (hidden and draft books are their authors' only).
SHARED = (Visibility.PUBLIC, Visibility.MEMBERS)


def change_record(*, kind: str, object_id: int, story_id: int | None = None) -> None:
    change = Change.objects.create(kind=kind, object_id=object_id, story_id=story_id)
    # This process's page cache hears of it at commit; the others at their next poll.
    versions.bump_on_commit([change])


def accounts_changed(user_ids: Iterable[int]) -> None:
    """What these people's own pages show changed (pagecache/personal.py keeps their state)."""
    changes = Change.objects.bulk_create(
        [Change(kind=Change.Kind.ACCOUNT, object_id=pk) for pk in sorted(set(user_ids))]
    )
    versions.bump_on_commit(changes)


# Tags


def tag_find(name: str) -> Tag | None:
    """The tag with this name in any type, ignoring letter case (names are unique across types)."""
    name = " ".join(name.split())
    return Tag.objects.filter(name__iexact=name).select_related("synonym_of").first()


def _unused_tag_slug(name: str) -> str:
    base = slugify(name, fallback="tag")
    taken = set(
        TagSlug.objects.filter(Q(slug=base) | Q(slug__startswith=f"{base}-")).values_list(
            "slug", flat=True
        )
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


@transaction.atomic
def tag_save(tag: Tag, *, parents: Iterable[Tag] | None = None) -> Tag:
    """Create or update a tag. A new tag gets a slug that no tag has ever had."""
    tag.full_clean(exclude=["slug"])
    if tag.pk and tag.archive_defined:
        stored = Tag.objects.get(pk=tag.pk)
        if (stored.name, stored.type, stored.canonical) != (tag.name, tag.type, tag.canonical):
            raise ValidationError(
                _("%(name)s is defined by the archive: it keeps its name and type.")
                % {"name": stored.name}
            )
    if not tag.slug:
        tag.slug = _unused_tag_slug(tag.name)
        TagSlug.objects.create(slug=tag.slug)
        tag.save()
        TagSlug.objects.filter(slug=tag.slug).update(tag=tag)
    else:
        tag.save()
    if parents is not None:
        tag.parents.set([parent for parent in parents if parent.pk != tag.pk])
    change_record(kind=Change.Kind.TAG, object_id=tag.pk)
    return tag


def tag_get_or_create(name: str, *, type: str, synonym_of: Tag | None = None) -> Tag:
    """The existing tag with this name (whatever its type), or a new free tag."""
    existing = tag_find(name)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return tag_save(Tag(name=name, type=type, synonym_of=synonym_of))
    except IntegrityError:
        # Someone else created it a moment ago.
        existing = tag_find(name)
        if existing is None:
            raise
        return existing


def warning_tag(name: str) -> Tag:
    """A warning tag for free text; known phrases become synonyms of an archive warning."""
    existing = tag_find(name)
    if existing is not None:
        return existing
    archive_name = WARNING_SYNONYMS.get(" ".join(name.lower().split()))
    archive_warning = tag_find(archive_name) if archive_name else None
    return tag_get_or_create(name, type=TagType.WARNING, synonym_of=archive_warning)


@transaction.atomic
def tag_delete(tag: Tag) -> None:
    """Remove a tag; its slug stays retired. Tags the archive defines cannot go."""
    if tag.archive_defined:
        raise ValueError(f"{tag.name} is defined by the archive and cannot be removed.")
    tag_id = tag.pk
    story_ids = set(tag.stories.values_list("id", flat=True))
    story_ids |= set(tag.parts.values_list("story_id", flat=True))
    tag.synonyms.update(synonym_of=None)
    tag.delete()
    change_record(kind=Change.Kind.TAG, object_id=tag_id)
    for story_id in story_ids:
        change_record(kind=Change.Kind.STORY, object_id=story_id, story_id=story_id)


# Books

# What story_refresh computes from a book's parts.
STORY_CACHED_FIELDS = [
    "parts_count", "word_count", "reads_count", "votes_count", "comments_count",
    "imported_reads", "imported_votes", "imported_comments", "published_at", "updated_at",
]  # fmt: skip


def default_rating() -> Tag:
    return Tag.objects.get(name=NOT_RATED, type=TagType.RATING)


@transaction.atomic
def story_save(
    story: Story,
    *,
    authors: Iterable[User] | None = None,
    tags: Iterable[Tag] | None = None,
) -> Story:
    """Create or update a book's own fields, and optionally its authors and tags."""
    story.title = " ".join(story.title.split())
    story.slug = slugify(story.title)
    story.description = clean_html(story.description)
    if story.rating_id is None:
        story.rating = default_rating()
    story.full_clean(exclude=["authors", "tags"])
    story.save()
    if authors is not None:
        now = timezone.now()
        for position, user in enumerate(authors):
            # Named as an author here, so an author now, even if an invitation was pending.
            Authorship.objects.update_or_create(
                story=story,
                user=user,
                defaults={"position": position, "accepted": True},
                create_defaults={"position": position, "accepted": True, "accepted_at": now},
            )
    if tags is not None:
        story.tags.set(tags)
    if story.cover and not story.cover_uploaded:
        story_cover_refresh(story)  # a generated cover shows the title: redraw it if it changed
    return story_refresh(story)


@transaction.atomic
def story_refresh(story: Story) -> Story:
    """Recompute what a book caches from its parts, and log the change."""
    # Lock the book's row before adding up its parts: a read, vote or comment counted in the
    # meantime then waits and adds itself to the fresh total instead of being overwritten.
    Story.objects.select_for_update().filter(pk=story.pk).exists()
    published = story.parts.filter(state=PartState.PUBLISHED)
    totals = published.aggregate(
        parts=Count("id"),
        words=Sum("word_count"),
        reads=Sum("reads_count"),
        votes=Sum("votes_count"),
        comments=Sum("comments_count"),
        imported_reads=Sum("imported_reads"),
        imported_votes=Sum("imported_votes"),
        imported_comments=Sum("imported_comments"),
        first=Min("published_at"),
        last=Max("published_at"),
    )
    story.parts_count = totals["parts"]
    story.word_count = totals["words"] or 0
    story.reads_count = totals["reads"] or 0
    story.votes_count = totals["votes"] or 0
    story.comments_count = totals["comments"] or 0
    story.imported_reads = totals["imported_reads"] or 0
    story.imported_votes = totals["imported_votes"] or 0
    story.imported_comments = totals["imported_comments"] or 0
    if story.parts_count and story.visibility != Visibility.DRAFT and not story.published_at:
        story.published_at = totals["first"] or timezone.now()
    # "Updated" is when the latest part came out, as readers of serials expect; an edit of
    # an old part does not bring the book back to the top.
    story.updated_at = totals["last"]
    # Only the cached fields: whatever else the caller holds may be older than the row.
    story.save(update_fields=STORY_CACHED_FIELDS)
    change_record(kind=Change.Kind.STORY, object_id=story.pk, story_id=story.pk)
    if story.visibility in SHARED and published.filter(awaiting_announcement=True).exists():
        transaction.on_commit(lambda: parts_announce(story_id=story.pk))
    return story


@transaction.atomic
def story_delete(story: Story) -> None:
    story_id = story.pk
    cover = story.cover
    story.delete()
    change_record(kind=Change.Kind.STORY, object_id=story_id, story_id=story_id)
    transaction.on_commit(lambda: covers.cover_files_delete(cover))


# Parts


def part_revision(
    part: Part, *, edited_by: User | None, kind: str = PartRevision.Kind.SAVE
) -> PartRevision:
    """A snapshot of the part's text as it is now (not yet saved)."""
    return PartRevision(
        part=part,
        kind=kind,
        title=part.title,
        description=part.description,
        notes_before=part.notes_before,
        notes_after=part.notes_after,
        body=part.body,
        body_format=part.body_format,
        sources=dict(part.sources or {}),
        word_count=part.word_count,
        edited_by=edited_by,
    )


def _part_clean_text(part: Part, previous_body: str) -> None:
    part.title = " ".join(part.title.split())
    part.slug = slugify(part.title)
    part.description = clean_html(part.description)
    part.notes_before = clean_html(part.notes_before)
    part.notes_after = clean_html(part.notes_after)
    part.body = clean_body(part.body, previous_body)
    part.word_count = count_words(html_to_text(part.body))


# Autosaves within this long of the autosave revision they would follow are merged into it,
# so a long evening of writing leaves a readable history rather than thousands of entries.
AUTOSAVE_MERGE_WINDOW = timedelta(minutes=5)


def _revision_keep(part: Part, *, edited_by: User | None, kind: str) -> PartRevision:
    """Record the part's text: a new revision, or for an autosave shortly after another
    autosave by the same person, that revision brought up to date."""
    if kind == PartRevision.Kind.AUTOSAVE:
        latest = part.revisions.order_by("-id").first()
        if (
            latest is not None
            and latest.kind == PartRevision.Kind.AUTOSAVE
            and latest.edited_by_id == (edited_by.pk if edited_by else None)
            and timezone.now() - latest.created_at < AUTOSAVE_MERGE_WINDOW
        ):
            merged = part_revision(part, edited_by=edited_by, kind=kind)
            merged.pk, merged.created_at = latest.pk, latest.created_at
            merged.save()
            return merged
    revision = part_revision(part, edited_by=edited_by, kind=kind)
    revision.save()
    return revision


# Counts the engagement services keep with increments in the database (see _count there).
PART_COUNTED_FIELDS = ["reads_count", "votes_count", "comments_count"]
PART_SAVED_FIELDS = [
    field.name
    for field in Part._meta.concrete_fields
    if not field.primary_key and field.name not in PART_COUNTED_FIELDS
]


@transaction.atomic
def part_save(
    part: Part,
    *,
    tags: Iterable[Tag] | None = None,
    edited_by: User | None = None,
    revision_kind: str = PartRevision.Kind.SAVE,
) -> Part:
    """Create or update a part: clean its HTML, anchor its paragraphs, keep a revision.

    The first time a part is published it is marked for announcement: readers are told
    (`signals.part_published`) once the transaction commits and the book is shared."""
    previous = Part.objects.filter(pk=part.pk).first() if part.pk else None
    _part_clean_text(part, previous.body if previous else "")
    if part.state == PartState.PUBLISHED and part.published_at is None:
        part.published_at = timezone.now()
        part.awaiting_announcement = True
    if part.state != PartState.SCHEDULED:
        part.publish_at = None
    elif part.publish_at is None:
        raise ValidationError({"publish_at": _("A scheduled part needs a time to come out.")})
    if previous is None and not part.position:
        last = part.story.parts.aggregate(last=Max("position"))["last"]
        part.position = (last or 0) + 1
    part.full_clean(exclude=["story", "tags"])
    if previous is None:
        part.save()
    else:
        # Reads, votes and comments move the row's counts while the writer edits: the
        # figures this object was loaded with are older and must not overwrite them.
        part.save(update_fields=PART_SAVED_FIELDS)
        part.refresh_from_db(fields=PART_COUNTED_FIELDS)
    if tags is not None:
        part.tags.set(tags)

    text_changed = previous is None or any(
        getattr(previous, field) != getattr(part, field) for field in PART_TEXT_FIELDS
    )
    if text_changed:
        _revision_keep(part, edited_by=edited_by, kind=revision_kind)
    change_record(kind=Change.Kind.PART, object_id=part.pk, story_id=part.story_id)
    story_refresh(part.story)
    return part


@transaction.atomic
def part_delete(part: Part) -> None:
    story = part.story
    part_id = part.pk
    part.delete()
    change_record(kind=Change.Kind.PART, object_id=part_id, story_id=story.pk)
    story_refresh(story)


# Telling readers about new parts


def parts_announce(*, story_id: int) -> list[Part]:
    """Send `part_published` for the book's newly published parts, each exactly once.

    Runs after the publishing transaction commits, when the book is shared with readers. A
    conditional update claims each part first, so when two processes (two workers, or a
    worker and a writer) get here at once, only one of them sends."""
    announced = []
    waiting = Part.objects.filter(
        story_id=story_id,
        state=PartState.PUBLISHED,
        awaiting_announcement=True,
        story__visibility__in=SHARED,
    ).select_related("story")
    for part in waiting.order_by("position", "id"):
        claimed = Part.objects.filter(pk=part.pk, awaiting_announcement=True).update(
            awaiting_announcement=False
        )
        if not claimed:
            continue
        part.awaiting_announcement = False
        for receiver, result in part_published.send_robust(sender=Part, part=part):
            if isinstance(result, Exception):
                log.error("part_published: %r failed", receiver, exc_info=result)
        announced.append(part)
    return announced


def parts_due(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """The scheduled parts whose time has come, soonest first."""
    return list(
        Part.objects.filter(state=PartState.SCHEDULED, publish_at__lte=now or timezone.now())
        .order_by("publish_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def part_publish_scheduled(part_id: int, *, now: datetime | None = None) -> bool:
    """Publish one scheduled part if it is still waiting and its time has come.

    The part is claimed with a conditional update (scheduled -> published): when several
    workers try at the same moment, exactly one of them gets True, and only its commit
    announces the part."""
    claimed = Part.objects.filter(
        pk=part_id, state=PartState.SCHEDULED, publish_at__lte=now or timezone.now()
    ).update(
        state=PartState.PUBLISHED,
        # The first publication is announced; a part brought back keeps its first date.
        awaiting_announcement=Case(
            When(published_at__isnull=True, then=Value(True)),
            default=F("awaiting_announcement"),
        ),
        published_at=Coalesce(F("published_at"), F("publish_at")),
        publish_at=None,
    )
    if not claimed:
        return False
    part = Part.objects.select_related("story").get(pk=part_id)
    change_record(kind=Change.Kind.PART, object_id=part_id, story_id=part.story_id)
    story_refresh(part.story)
    return True


def parts_publish_due(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Publish the scheduled parts whose time has come; returns the ids this call published,
    each in its own transaction, so one bad part does not hold back the others."""
    now = now or timezone.now()
    return [pk for pk in parts_due(now=now, limit=limit) if part_publish_scheduled(pk, now=now)]


# Books at the desk

CHOSE_NOT_TO_WARN, NO_WARNINGS_APPLY = ARCHIVE_WARNINGS[0], ARCHIVE_WARNINGS[1]


def tags_from_names(names: Iterable[str], *, type: str) -> list[Tag]:
    """Tags for names a writer typed: the existing tag of that name, whatever its type, or a
    new free tag of this type (a warning phrase that means an archive warning becomes its
    synonym)."""
    tags = []
    for name in names:
        name = " ".join(name.split())
        if not name:
            continue
        if type == TagType.WARNING:
            tags.append(warning_tag(name))
        else:
            tags.append(tag_get_or_create(name, type=type))
    return list(dict.fromkeys(tags))


def _warning_ids(tags: Iterable[Tag | str] | None) -> set:
    return {tag.pk if isinstance(tag, Tag) else tag.lower() for tag in tags or ()}


def archive_warnings_check(tags: Iterable[Tag]) -> None:
    """A book carries at least one archive warning, and "Creator Chose Not To Use Archive
    Warnings" or "No Archive Warnings Apply" only on their own. Free warnings that are
    synonyms of an archive warning count as it."""
    chosen = {
        tag.filter_tag.name
        for tag in tags
        if tag.filter_tag.archive_defined and tag.filter_tag.type == TagType.WARNING
    }
    if not chosen:
        raise ValidationError(
            _(
                "Choose at least one archive warning, or “Creator Chose Not To Use Archive "
                "Warnings”."
            ),
            code="warnings_missing",
        )
    for alone in (CHOSE_NOT_TO_WARN, NO_WARNINGS_APPLY):
        if alone in chosen and len(chosen) > 1:
            raise ValidationError(
                _("“%(alone)s” cannot be combined with other archive warnings.") % {"alone": alone},
                code="warnings_combined",
            )


def story_cover_refresh(story: Story) -> Story:
    """Draw a typographic cover for a book without an uploaded one, when it has none yet or
    its title or authors changed since it was drawn."""
    if story.cover and story.cover_uploaded:
        return story
    names = [author.name for author in story.byline_authors]
    signature = covers.cover_signature(story.title, names)
    if story.cover and story.cover_made_for == signature and covers.cover_exists(story):
        return story
    old = story.cover
    story.cover = covers.cover_store(covers.cover_generated(story.title, names))
    story.cover_uploaded = False
    story.cover_made_for = signature
    story.save(update_fields=["cover", "cover_uploaded", "cover_made_for"])
    change_record(kind=Change.Kind.STORY, object_id=story.pk, story_id=story.pk)
    if old:
        transaction.on_commit(lambda: covers.cover_files_delete(old))
    return story


def stories_without_covers_draw(*, limit: int = 10) -> int:
    """Draw covers for books that have none yet (imported or loaded in bulk); returns how many."""
    drawn = 0
    for story in Story.objects.filter(cover="").order_by("id")[:limit]:
        with transaction.atomic():
            story_cover_refresh(story)
        drawn += 1
    return drawn


def story_covers_refresh_for(user: User) -> None:
    """Redraw the generated covers that show this person's name (after they change it)."""
    stories = Story.objects.filter(
        authorship__user=user, authorship__accepted=True, cover_uploaded=False
    ).exclude(cover="")
    for story in stories:
        with transaction.atomic():
            story_cover_refresh(story)


@transaction.atomic
def story_edit(
    story: Story,
    *,
    editor: User,
    description_source: str,
    tags: dict[str, Iterable[Tag | str]],
    cover: covers.CoverImages | None = None,
    cover_remove: bool = False,
) -> Story:
    """Create or update a book from the writer's desk.

    The description is Markdown (kept, to edit again) rendered to cleaned HTML. `tags` maps
    each tag type the writer edited to tags or typed names; tags of other types stay. A new
    book's writer becomes its first author. Only moderators hide books or bring them back.
    A book without an uploaded cover gets a generated one."""
    creating = story.pk is None
    if creating:
        if story.visibility == Visibility.HIDDEN:
            raise ValidationError({"visibility": _("Only moderators can hide a book.")})
    else:
        stored = Story.objects.get(pk=story.pk)
        if stored.visibility == Visibility.HIDDEN:
            story.visibility, story.hidden_reason = stored.visibility, stored.hidden_reason
        elif stored.visibility == Visibility.HELD:
            # Held until the writer changes the rating or the warnings: then back in lists.
            before = _warning_ids(stored.tags.filter(type=TagType.WARNING))
            after = _warning_ids(tags[TagType.WARNING]) if TagType.WARNING in tags else before
            if story.rating_id == stored.rating_id and after == before:
                story.visibility, story.hidden_reason = stored.visibility, stored.hidden_reason
            else:
                story.visibility, story.hidden_reason = stored.held_visibility, ""
        elif story.visibility in (Visibility.HIDDEN, Visibility.HELD):
            raise ValidationError({"visibility": _("Only moderators can hide a book.")})
    story.description_source = description_source
    story.description = markdown_to_html(description_source)

    chosen: list[Tag] = []
    for tag_type, items in tags.items():
        items = list(items)
        chosen += [item for item in items if isinstance(item, Tag)]
        chosen += tags_from_names([item for item in items if isinstance(item, str)], type=tag_type)
    kept = [] if creating else [tag for tag in story.tags.all() if tag.type not in tags]
    all_tags = list(dict.fromkeys(kept + chosen))
    archive_warnings_check(all_tags)
    story_save(story, authors=[editor] if creating else None, tags=all_tags)

    old = story.cover
    if cover is not None:
        story.cover = covers.cover_store(cover)
        story.cover_uploaded = True
        story.cover_made_for = ""
        story.save(update_fields=["cover", "cover_uploaded", "cover_made_for"])
        change_record(kind=Change.Kind.STORY, object_id=story.pk, story_id=story.pk)
    elif cover_remove and story.cover_uploaded:
        story.cover_uploaded = False
        story.cover_made_for = ""
    story_cover_refresh(story)
    if old and old != story.cover:
        transaction.on_commit(lambda: covers.cover_files_delete(old))
    return story


# Parts at the desk


@dataclass
class PartText:
    """A part as the writer typed it: Markdown for the description and notes, and the body in
    Markdown or HTML (rich text)."""

    title: str
    description: str = ""
    notes_before: str = ""
    notes_after: str = ""
    body: str = ""
    body_format: str = BodyFormat.MARKDOWN


MARKDOWN_FIELDS = ("description", "notes_before", "notes_after")
_ANCHOR_ATTRIBUTE = re.compile(r' id="p-[0-9a-f]+"')


def _same_html(a: str, b: str) -> bool:
    return _ANCHOR_ATTRIBUTE.sub("", a) == _ANCHOR_ATTRIBUTE.sub("", b)


def part_text(part: Part | PartRevision) -> PartText:
    """What the editor shows: the Markdown the writer typed where it still makes the stored
    HTML, else the HTML itself (imported text, or an edit made elsewhere); Markdown passes
    HTML through, so saving it again changes nothing."""
    sources = part.sources or {}
    fields = {}
    for field in MARKDOWN_FIELDS:
        stored, source = getattr(part, field), sources.get(field)
        fresh = source is not None and _same_html(markdown_to_html(source), stored)
        fields[field] = source if fresh else stored
    body_format, body = part.body_format, part.body
    source = sources.get("body")
    if body_format == BodyFormat.MARKDOWN:
        if source is not None and _same_html(markdown_to_html(source), part.body):
            body = source
        elif part.body:
            body_format = BodyFormat.HTML
    return PartText(title=part.title, body=body, body_format=body_format, **fields)


def _part_text_apply(part: Part, text: PartText) -> None:
    part.title = text.title
    part.body_format = text.body_format
    sources = {}
    for field in MARKDOWN_FIELDS:
        source = getattr(text, field)
        setattr(part, field, markdown_to_html(source))
        if source:
            sources[field] = source
    if text.body_format == BodyFormat.MARKDOWN:
        part.body = markdown_to_html(text.body)
        if text.body:
            sources["body"] = text.body
    else:
        part.body = text.body
    part.sources = sources


def _part_tags(part: Part, tags: dict[str, Iterable[Tag | str]]) -> list[Tag]:
    chosen: list[Tag] = []
    for tag_type, items in tags.items():
        items = list(items)
        chosen += [item for item in items if isinstance(item, Tag)]
        chosen += tags_from_names([item for item in items if isinstance(item, str)], type=tag_type)
    kept = [tag for tag in part.tags.all() if tag.type not in tags] if part.pk else []
    return list(dict.fromkeys(kept + chosen))


@transaction.atomic
def part_write(
    part: Part,
    *,
    editor: User,
    text: PartText,
    tags: dict[str, Iterable[Tag | str]] | None = None,
    state: str | None = None,
    publish_at: datetime | None = None,
    revision_kind: str = PartRevision.Kind.SAVE,
) -> Part:
    """Save a part from the desk: the writer's text (kept as typed, rendered and cleaned),
    its own tags by type (names become tags), and optionally its state: draft, published
    now, or scheduled for `publish_at`."""
    _part_text_apply(part, text)
    if state in (PartState.PUBLISHED, PartState.SCHEDULED) and part.hidden_at is not None:
        raise ValidationError(
            _("The moderators hid this part: it stays a draft. Why: %(reason)s")
            % {"reason": part.hidden_reason or _("no reason given")},
            code="hidden_part",
        )
    if state is not None:
        part.state = state
        part.publish_at = publish_at if state == PartState.SCHEDULED else None
    chosen = _part_tags(part, tags) if tags is not None else None
    return part_save(part, tags=chosen, edited_by=editor, revision_kind=revision_kind)


def part_pending_changes(part: Part) -> PartRevision | None:
    """Autosaved changes to a published part that readers do not see yet, if any."""
    if not part.is_published:
        return None
    latest = part.revisions.order_by("-id").first()
    if latest is None or latest.kind != PartRevision.Kind.AUTOSAVE:
        return None
    return None if _same_text(latest, part) else latest


def _same_text(a: Part | PartRevision, b: Part | PartRevision) -> bool:
    return all(getattr(a, field) == getattr(b, field) for field in PART_TEXT_FIELDS) and (
        a.body_format == b.body_format and (a.sources or {}) == (b.sources or {})
    )


@transaction.atomic
def part_autosave(part: Part, *, editor: User, text: PartText) -> PartRevision | None:
    """Keep what the writer has typed so far, without publishing anything.

    A draft or scheduled part takes the text at once. A published part stays as readers
    know it: the text waits in an autosave revision until the writer saves it. Autosaves a
    few minutes apart share one revision. Tags are left for the writer's own Save, so
    half-typed names never become tags. Returns the revision written, or None when nothing
    changed."""
    stored = Part.objects.select_related("story").get(pk=part.pk)
    typed = Part.objects.get(pk=part.pk)
    _part_text_apply(typed, text)
    _part_clean_text(typed, stored.body)
    if _same_text(typed, part_pending_changes(stored) or stored):
        return None
    if not stored.is_published:
        _part_text_apply(stored, text)
        part_save(stored, edited_by=editor, revision_kind=PartRevision.Kind.AUTOSAVE)
        return stored.revisions.order_by("-id").first()
    return _revision_keep(typed, edited_by=editor, kind=PartRevision.Kind.AUTOSAVE)


@transaction.atomic
def part_pending_discard(part: Part) -> None:
    """Drop autosaved changes to a published part that the writer does not want."""
    pending = part_pending_changes(part)
    if pending is not None:
        pending.delete()


@transaction.atomic
def revision_restore(revision: PartRevision, *, editor: User) -> Part:
    """Bring a part's text back to a revision; the restore is itself a new revision."""
    part = Part.objects.select_related("story").get(pk=revision.part_id)
    for field in PART_TEXT_FIELDS:
        setattr(part, field, getattr(revision, field))
    part.body_format = revision.body_format
    part.sources = dict(revision.sources or {})
    return part_save(part, edited_by=editor, revision_kind=PartRevision.Kind.RESTORE)


@transaction.atomic
def part_move(part: Part, *, by: int) -> Part:
    """Move a part up (by=-1) or down (by=1) in its book's order; positions become 1..n."""
    parts = list(
        Part.objects.select_for_update().filter(story_id=part.story_id).order_by("position", "id")
    )
    index = next(i for i, other in enumerate(parts) if other.pk == part.pk)
    target = index + by
    if 0 <= target < len(parts):
        parts[index], parts[target] = parts[target], parts[index]
    for position, other in enumerate(parts, start=1):
        if other.position != position:
            Part.objects.filter(pk=other.pk).update(position=position)
            change_record(kind=Change.Kind.PART, object_id=other.pk, story_id=part.story_id)
        if other.pk == part.pk:
            part.position = position
    change_record(kind=Change.Kind.STORY, object_id=part.story_id, story_id=part.story_id)
    return part


# Co-authors


@transaction.atomic
def coauthor_invite(story: Story, *, invitee: User, invited_by: User) -> Authorship:
    """Invite an account to write a book; they become an author only once they accept."""
    existing = Authorship.objects.filter(story=story, user=invitee).first()
    if existing is not None:
        if existing.accepted:
            message = _("%(name)s already writes this book.") % {"name": invitee.name}
        else:
            message = _("%(name)s is already invited.") % {"name": invitee.name}
        raise ValidationError(message, code="already")
    if not invitee.is_active:
        raise ValidationError(_("There is no account with that username."), code="unknown")
    last = Authorship.objects.filter(story=story).aggregate(last=Max("position"))["last"]
    invitation = Authorship.objects.create(
        story=story,
        user=invitee,
        accepted=False,
        invited_by=invited_by,
        invited_at=timezone.now(),
        position=(last or 0) + 1,
    )
    transaction.on_commit(
        lambda: coauthor_invited.send_robust(sender=Authorship, authorship=invitation)
    )
    return invitation


@transaction.atomic
def coauthor_accept(invitation: Authorship) -> Authorship:
    """The invitee accepts: on the byline and the desk from now on, an author in every way."""
    invitation.accepted = True
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted", "accepted_at"])
    story = Story.objects.get(pk=invitation.story_id)
    change_record(kind=Change.Kind.STORY, object_id=story.pk, story_id=story.pk)
    story_cover_refresh(story)
    return invitation


@transaction.atomic
def coauthor_remove(authorship: Authorship) -> None:
    """Decline or withdraw an invitation, or leave a book; a book keeps at least one author."""
    if authorship.accepted:
        others = Authorship.objects.filter(story_id=authorship.story_id, accepted=True).exclude(
            pk=authorship.pk
        )
        if not others.exists():
            raise ValidationError(
                _("A book needs an author: invite someone to take it over first."), code="last"
            )
    story_id = authorship.story_id
    authorship.delete()
    change_record(kind=Change.Kind.STORY, object_id=story_id, story_id=story_id)
    story = Story.objects.filter(pk=story_id).first()
    if story is not None and story.cover:
        story_cover_refresh(story)


# Series


@transaction.atomic
def series_save(series: Series) -> Series:
    series.title = " ".join(series.title.split())
    series.slug = slugify(series.title)
    series.description = clean_html(series.description)
    series.full_clean()
    series.save()
    return series


# Tag wrangling: staff decide which tags are canonical, which filter as which, and which
# belong under which, as tag wranglers do on Archive of Our Own. Search and tag pages read
# the result as filter tags (`discovery.filters.TagGraph`), so each write below records the
# tags it changed and every book whose filtering changed, for the index and page caches.


def _stories_carrying(tag_ids: Iterable[int]) -> set[int]:
    """Books carrying one of these tags in any state: on the book, on a part, as rating."""
    tag_ids = list(tag_ids)
    found = set(
        Story.tags.through.objects.filter(tag_id__in=tag_ids).values_list("story_id", flat=True)
    )
    found |= set(
        Part.tags.through.objects.filter(tag_id__in=tag_ids).values_list(
            "part__story_id", flat=True
        )
    )
    found |= set(Story.objects.filter(rating_id__in=tag_ids).values_list("id", flat=True))
    return found


def _wrangling_record(tag_ids: Iterable[int], story_ids: Iterable[int]) -> None:
    for tag_id in dict.fromkeys(tag_ids):
        change_record(kind=Change.Kind.TAG, object_id=tag_id)
    # One row per book, as change_record writes them, but in batches: a popular tag can
    # carry thousands of books.
    changes = Change.objects.bulk_create(
        [
            Change(kind=Change.Kind.STORY, object_id=story_id, story_id=story_id)
            for story_id in sorted(set(story_ids))
        ],
        batch_size=500,
    )
    versions.bump_on_commit(changes)


def _filter_parents(
    alias: dict[int, int] | None = None, *, dropping_parents_of: int | None = None
) -> dict[int, set[int]]:
    """Every parent link as filters see it (filter tag -> filter tags of its parents), with
    the tags in `alias` counted as the tag they are about to filter as, and without the own
    links of `dropping_parents_of`. Wrangling is rare and for staff only: reading the whole
    graph (two queries) keeps the cycle rules obviously right."""
    alias = alias or {}
    filter_of = dict(
        Tag.objects.filter(synonym_of__isnull=False).values_list("id", "synonym_of_id")
    )

    def head(pk: int) -> int:
        pk = alias.get(pk, filter_of.get(pk, pk))
        return alias.get(pk, pk)

    parents: dict[int, set[int]] = {}
    links = Tag.parents.through.objects.values_list("from_tag_id", "to_tag_id")
    for child, parent in links:
        if child == dropping_parents_of:
            continue
        child, parent = head(child), head(parent)
        if child != parent:
            parents.setdefault(child, set()).add(parent)
    return parents


def _reaches(parents: dict[int, set[int]], start: int, goal: int) -> bool:
    """Whether `goal` is `start` or one of the tags it belongs under, at any depth."""
    seen, waiting = {start}, [start]
    while waiting:
        node = waiting.pop()
        if node == goal:
            return True
        for parent in parents.get(node, ()):
            if parent not in seen:
                seen.add(parent)
                waiting.append(parent)
    return False


def _in_a_cycle(parents: dict[int, set[int]], tag_id: int) -> bool:
    return any(_reaches(parents, parent, tag_id) for parent in parents.get(tag_id, ()))


def _move_links(source_ids: list[int], target: Tag) -> None:
    """Give `target` the parents and children of the source tags (their own links go with them
    when they are deleted, or stay unused while they filter as `target`)."""
    through = Tag.parents.through
    links = list(
        through.objects.filter(
            Q(from_tag_id__in=source_ids) | Q(to_tag_id__in=source_ids)
        ).values_list("from_tag_id", "to_tag_id")
    )
    moved = set()
    for child, parent in links:
        child = target.pk if child in source_ids else child
        parent = target.pk if parent in source_ids else parent
        if child != parent:
            moved.add((child, parent))
    through.objects.filter(Q(from_tag_id__in=source_ids) | Q(to_tag_id__in=source_ids)).delete()
    through.objects.bulk_create(
        [through(from_tag_id=child, to_tag_id=parent) for child, parent in sorted(moved)],
        ignore_conflicts=True,
    )


def _locked(tag: Tag) -> Tag:
    """The tag brought up to date from its row, locked until the wrangling transaction ends;
    the caller's object is the one that changes."""
    tag.refresh_from_db(from_queryset=Tag.objects.select_for_update())
    return tag


def _quoted(tag: Tag) -> dict[str, str]:
    return {"tag": tag.name}


@transaction.atomic
def tag_make_canonical(tag: Tag) -> Tag:
    """Make a tag canonical: writers are offered it as they type, and it can take synonyms.

    A synonym first stops being one (`tag_unsynonym`): it already filters as another tag."""
    tag = _locked(tag)
    if tag.synonym_of is not None:
        raise ValidationError(
            _("“%(tag)s” is a synonym of “%(canonical)s”: take it apart first.")
            % {"tag": tag.name, "canonical": tag.synonym_of.name},
            code="synonym",
        )
    if not tag.canonical:
        tag.canonical = True
        tag.save(update_fields=["canonical"])
        # Its filtering is the same (a free tag already filters as itself): only the tag changed.
        _wrangling_record([tag.pk], [])
    return tag


@transaction.atomic
def tag_make_synonym(tag: Tag, *, of: Tag) -> Tag:
    """Make a tag a synonym of a canonical tag of its type: its books keep it, and filter as
    the canonical tag from now on. Its own synonyms, parents and sub-tags go to that tag."""
    tag, of = _locked(tag), _locked(of)
    if tag.pk == of.pk:
        raise ValidationError(_("A tag cannot be a synonym of itself."), code="itself")
    if tag.archive_defined:
        raise ValidationError(
            _("“%(tag)s” is defined by the archive: it stays canonical.") % _quoted(tag),
            code="archive",
        )
    if not of.canonical:
        raise ValidationError(
            _("“%(target)s” is not canonical: only a canonical tag can have synonyms.")
            % {"target": of.name},
            code="not_canonical",
        )
    if of.type != tag.type:
        raise ValidationError(
            _(
                "“%(target)s” is a %(target_type)s tag and “%(tag)s” a %(type)s tag: a synonym "
                "must be of the same type as its canonical tag."
            )
            % {
                "target": of.name,
                "target_type": of.get_type_display().lower(),
                "tag": tag.name,
                "type": tag.get_type_display().lower(),
            },
            code="type",
        )
    if tag.synonym_of_id == of.pk:
        return tag
    synonym_ids = list(tag.synonyms.values_list("id", flat=True))
    alias = dict.fromkeys([tag.pk, *synonym_ids], of.pk)
    if _in_a_cycle(_filter_parents(alias), of.pk):
        raise ValidationError(
            _(
                "“%(tag)s” belongs under “%(target)s” or one of its sub-tags: remove that parent "
                "first, or “%(target)s” would end up under itself."
            )
            % {"tag": tag.name, "target": of.name},
            code="cycle",
        )
    # A synonym moving to another canonical tag takes only its own books along.
    moving = [tag.pk] if tag.synonym_of_id else tag_family_ids(tag)
    story_ids = _stories_carrying(moving)
    Tag.objects.filter(pk__in=synonym_ids).update(synonym_of=of)
    _move_links([tag.pk, *synonym_ids], of)
    tag.canonical = False
    tag.synonym_of = of
    tag.save(update_fields=["canonical", "synonym_of"])
    _wrangling_record([tag.pk, *synonym_ids, of.pk], story_ids)
    return tag


@transaction.atomic
def tag_unsynonym(tag: Tag) -> Tag:
    """A synonym stands on its own again: its books filter as it, no longer as its canonical tag."""
    tag = _locked(tag)
    canonical = tag.synonym_of
    if canonical is None:
        return tag
    tag.synonym_of = None
    tag.save(update_fields=["synonym_of"])
    _wrangling_record([tag.pk, canonical.pk], _stories_carrying([tag.pk]))
    return tag


@transaction.atomic
def tag_merge(tag: Tag, *, into: Tag) -> Tag:
    """Fold a tag into another: books and parts carrying it carry `into` instead, readers who
    hid it hide `into`, its synonyms, parents and sub-tags go to `into`'s filter tag, and its
    addresses lead to `into`. The tag itself is deleted. Returns `into`."""
    tag, into = _locked(tag), _locked(into)
    if tag.pk == into.pk:
        raise ValidationError(_("A tag cannot be merged into itself."), code="itself")
    if tag.archive_defined:
        raise ValidationError(
            _("“%(tag)s” is defined by the archive: it cannot be merged away.") % _quoted(tag),
            code="archive",
        )
    if into.synonym_of_id == tag.pk:
        raise ValidationError(
            _("“%(target)s” is a synonym of “%(tag)s”: merge it the other way round.")
            % {"target": into.name, "tag": tag.name},
            code="synonym",
        )
    if (tag.type == TagType.RATING) != (into.type == TagType.RATING):
        raise ValidationError(_("A rating can only be merged with another rating."), code="rating")
    head = into.filter_tag
    synonym_ids = list(tag.synonyms.values_list("id", flat=True))
    if synonym_ids and (not head.canonical or head.type != tag.type):
        raise ValidationError(
            _(
                "“%(tag)s” has synonyms: merge it into a canonical %(type)s tag, so they can go "
                "with it."
            )
            % {"tag": tag.name, "type": tag.get_type_display().lower()},
            code="synonyms",
        )
    alias = dict.fromkeys([tag.pk, *synonym_ids], head.pk)
    if _in_a_cycle(_filter_parents(alias), head.pk):
        raise ValidationError(
            _(
                "“%(tag)s” belongs under “%(target)s” or one of its sub-tags: remove that parent "
                "first, or “%(target)s” would end up under itself."
            )
            % {"tag": tag.name, "target": head.name},
            code="cycle",
        )
    story_ids = _stories_carrying(tag_family_ids(tag))

    for through, owner in (
        (Story.tags.through, "story_id"),
        (Part.tags.through, "part_id"),
        (User.hidden_tags.through, "user_id"),  # readers who hid it hide where it went
    ):
        owners = list(through.objects.filter(tag_id=tag.pk).values_list(owner, flat=True))
        through.objects.bulk_create(
            [through(**{owner: pk, "tag_id": into.pk}) for pk in owners], ignore_conflicts=True
        )
        through.objects.filter(tag_id=tag.pk).delete()
    Story.objects.filter(rating_id=tag.pk).update(rating=into)
    Tag.objects.filter(pk__in=synonym_ids).update(synonym_of=head)
    _move_links([tag.pk, *synonym_ids], head)
    # Old addresses lead to where the books went.
    TagSlug.objects.filter(tag=tag).update(tag=into)
    tag_id = tag.pk
    tag.delete()
    _wrangling_record([tag_id, *synonym_ids, into.pk, head.pk], story_ids)
    return into


@transaction.atomic
def tag_set_parents(tag: Tag, parents: Iterable[Tag]) -> Tag:
    """Set the tags this one belongs under: a character's fandom, or the meta tag it is a
    sub-tag of (searching a meta tag finds its sub-tags' books). A parent that is a synonym
    counts as its canonical tag. A tag cannot end up under itself."""
    tag = _locked(tag)
    if tag.synonym_of is not None:
        raise ValidationError(
            _("“%(tag)s” is a synonym of “%(canonical)s”: set the parents of “%(canonical)s”.")
            % {"tag": tag.name, "canonical": tag.synonym_of.name},
            code="synonym",
        )
    heads = list(dict.fromkeys(parent.filter_tag for parent in parents))
    for parent in heads:
        if parent.pk == tag.pk:
            raise ValidationError(
                _("“%(tag)s” cannot belong under itself.") % _quoted(tag), code="itself"
            )
    graph = _filter_parents(dropping_parents_of=tag.pk)
    for parent in heads:
        if _reaches(graph, parent.pk, tag.pk):
            raise ValidationError(
                _(
                    "“%(parent)s” already belongs under “%(tag)s”: “%(tag)s” cannot also belong "
                    "under it."
                )
                % {"parent": parent.name, "tag": tag.name},
                code="cycle",
            )
    before = set(tag.parents.values_list("id", flat=True))
    after = {parent.pk for parent in heads}
    if before == after:
        return tag
    tag.parents.set(heads)
    _wrangling_record([tag.pk, *sorted(before ^ after)], _stories_carrying(tag_family_ids(tag)))
    return tag


@transaction.atomic
def tag_rename(tag: Tag, name: str) -> Tag:
    """Rename a tag. Its address follows the name; the old address leads to the new one."""
    tag = _locked(tag)
    if tag.archive_defined:
        raise ValidationError(
            _("“%(tag)s” is defined by the archive: it keeps its name.") % _quoted(tag),
            code="archive",
        )
    name = " ".join(name.split())
    if not name:
        raise ValidationError(_("A tag needs a name."), code="required")
    existing = tag_find(name)
    if existing is not None and existing.pk != tag.pk:
        raise ValidationError(
            _("There is already a tag named “%(name)s”: merge this one into it instead.")
            % {"name": existing.name},
            code="taken",
        )
    if name == tag.name:
        return tag
    tag.name = name
    tag.full_clean(exclude=["slug"])
    slug = slugify(name, fallback="tag")
    if slug != tag.slug:
        # A slug this tag had before comes back to it; any other is never reused.
        if not TagSlug.objects.filter(slug=slug, tag=tag).exists():
            slug = _unused_tag_slug(name)
            TagSlug.objects.create(slug=slug, tag=tag)
        tag.slug = slug
    tag.save(update_fields=["name", "slug"])
    # Book pages and the full-text index show tag names.
    _wrangling_record([tag.pk], _stories_carrying([tag.pk]))
    return tag
