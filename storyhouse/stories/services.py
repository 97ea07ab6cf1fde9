"""Every write to books, parts and tags: views, admin, importers and commands all call these.

Each function cleans what people typed, keeps cached counts and slugs right and
records the change in the change log, so nothing that writes can forget one of them.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from storyhouse.accounts.models import User

from .archive_tags import NOT_RATED, WARNING_SYNONYMS
from .html import clean_body, clean_html, html_to_text
from .models import (
    Authorship,
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
from .text import count_words, slugify

PART_TEXT_FIELDS = ("title", "description", "notes_before", "notes_after", "body")


def change_record(*, kind: str, object_id: int, story_id: int | None = None) -> None:
    Change.objects.create(kind=kind, object_id=object_id, story_id=story_id)


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
        for position, user in enumerate(authors):
            Authorship.objects.update_or_create(
                story=story, user=user, defaults={"position": position}
            )
    if tags is not None:
        story.tags.set(tags)
    return story_refresh(story)


def story_refresh(story: Story) -> Story:
    """Recompute what a book caches from its parts, and log the change."""
    published = story.parts.filter(state=PartState.PUBLISHED)
    totals = published.aggregate(
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
    story.parts_count = published.count()
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
    story.save()
    change_record(kind=Change.Kind.STORY, object_id=story.pk, story_id=story.pk)
    return story


@transaction.atomic
def story_delete(story: Story) -> None:
    story_id = story.pk
    story.delete()
    change_record(kind=Change.Kind.STORY, object_id=story_id, story_id=story_id)


# Parts


def part_revision(part: Part, *, edited_by: User | None) -> PartRevision:
    """A snapshot of the part's text as it is now (not yet saved)."""
    return PartRevision(
        part=part,
        title=part.title,
        description=part.description,
        notes_before=part.notes_before,
        notes_after=part.notes_after,
        body=part.body,
        word_count=part.word_count,
        edited_by=edited_by,
    )


@transaction.atomic
def part_save(
    part: Part, *, tags: Iterable[Tag] | None = None, edited_by: User | None = None
) -> Part:
    """Create or update a part: clean its HTML, anchor its paragraphs, keep a revision."""
    previous = Part.objects.filter(pk=part.pk).first() if part.pk else None
    part.title = " ".join(part.title.split())
    part.slug = slugify(part.title)
    part.description = clean_html(part.description)
    part.notes_before = clean_html(part.notes_before)
    part.notes_after = clean_html(part.notes_after)
    part.body = clean_body(part.body, previous.body if previous else "")
    part.word_count = count_words(html_to_text(part.body))
    if part.state == PartState.PUBLISHED and part.published_at is None:
        part.published_at = timezone.now()
    if previous is None and not part.position:
        last = part.story.parts.aggregate(last=Max("position"))["last"]
        part.position = (last or 0) + 1
    part.full_clean(exclude=["story", "tags"])
    part.save()
    if tags is not None:
        part.tags.set(tags)

    text_changed = previous is None or any(
        getattr(previous, field) != getattr(part, field) for field in PART_TEXT_FIELDS
    )
    if text_changed:
        part_revision(part, edited_by=edited_by).save()
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


# Series


@transaction.atomic
def series_save(series: Series) -> Series:
    series.title = " ".join(series.title.split())
    series.slug = slugify(series.title)
    series.description = clean_html(series.description)
    series.full_clean()
    series.save()
    return series
