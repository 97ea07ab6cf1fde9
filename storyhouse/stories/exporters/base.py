"""What every export format writes from: a book gathered once, as readers see it.

`book_for_export` reads a book and its published parts into plain data (`ExportBook`), so
the format modules only lay it out. The tag labels are Archive of Our Own's ("Rating:",
"Fandom:", ...): importers, ours included, read them back, so they stay in English.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language_info
from lxml import etree
from lxml import html as lxml_html

from storyhouse.stories import covers
from storyhouse.stories.archive_tags import ARCHIVE_WARNINGS
from storyhouse.stories.html import html_to_text
from storyhouse.stories.models import Change, PartState, SeriesEntry, Status, Story, Tag, TagType

# The labels of a title page's tag list, in the order AO3 writes them.
RATING = "Rating:"
ARCHIVE_WARNING = "Archive Warning:"
CATEGORY = "Category:"
FANDOM = "Fandom:"
RELATIONSHIP = "Relationship:"
CHARACTER = "Character:"
ADDITIONAL_TAGS = "Additional Tags:"
CONTENT_WARNINGS = "Content Warnings:"
LANGUAGE = "Language:"
SERIES = "Series:"
STATUS = "Status:"
LABEL_ORDER = [
    RATING, ARCHIVE_WARNING, CATEGORY, FANDOM, RELATIONSHIP, CHARACTER, ADDITIONAL_TAGS,
    CONTENT_WARNINGS, LANGUAGE, SERIES, STATUS,
]  # fmt: skip
LABEL_BY_TYPE = {
    TagType.RATING: RATING,
    TagType.CATEGORY: CATEGORY,
    TagType.FANDOM: FANDOM,
    TagType.RELATIONSHIP: RELATIONSHIP,
    TagType.CHARACTER: CHARACTER,
    TagType.TROPE: ADDITIONAL_TAGS,
    TagType.WARNING: CONTENT_WARNINGS,
    TagType.LANGUAGE: LANGUAGE,
}
STATUS_NAMES = {Status.COMPLETE: "Complete", Status.ONGOING: "In progress"}

LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


@dataclass
class SeriesPlace:
    title: str
    number: int  # 1 for the first book of the series


@dataclass
class ExportPart:
    number: int
    title: str
    description: str  # cleaned HTML, as stored
    notes_before: str
    notes_after: str
    body: str
    body_format: str
    sources: dict  # the writer's Markdown by field, when they wrote Markdown
    tag_groups: list[tuple[str, list[str]]]
    published_at: datetime | None

    @property
    def file_stem(self) -> str:
        return f"part-{self.number:03d}"


@dataclass
class ExportBook:
    story_id: int
    identifier: str  # urn:uuid:..., the same for every export of this book
    title: str
    authors: list[str]
    language: str  # a well-formed language tag
    direction: str  # "ltr" or "rtl"
    description: str  # cleaned HTML
    description_source: str  # the writer's Markdown, if any
    tag_groups: list[tuple[str, list[str]]]  # (label, names), non-empty, in LABEL_ORDER
    subjects: list[str]
    series: list[SeriesPlace]
    status: str
    published_at: datetime | None
    modified_at: datetime
    url: str
    publisher: str
    cover: Path | None
    parts: list[ExportPart] = field(default_factory=list)

    @property
    def summary_text(self) -> str:
        return html_to_text(self.description)


def book_identifier(story_id: int) -> str:
    """A stable urn:uuid for a book, from the site's address and the book's id."""
    site = settings.SITE_URL.rstrip("/")
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{site}/stories/{story_id}").urn


def language_tag(code: str) -> str:
    code = (code or "").strip()
    return code if LANGUAGE_TAG.match(code) else "und"


def language_direction(code: str) -> str:
    """Which way a language is written: "rtl" (Arabic, Hebrew, Persian, ...) or "ltr"."""
    try:
        return "rtl" if get_language_info(code.lower())["bidi"] else "ltr"
    except KeyError:
        return "ltr"


def language_name(code: str) -> str:
    try:
        return get_language_info(code.lower())["name"]
    except KeyError:
        return code


def story_series(story: Story) -> list[SeriesPlace]:
    """The series a book belongs to, with its place in each counted from 1."""
    places = []
    entries = SeriesEntry.objects.filter(story=story).select_related("series").order_by("id")
    for entry in entries:
        # Counted rather than read from `position`, which may start from 0 or have gaps.
        before = SeriesEntry.objects.filter(series_id=entry.series_id).filter(
            Q(position__lt=entry.position) | Q(position=entry.position, id__lt=entry.id)
        )
        places.append(SeriesPlace(title=entry.series.title, number=before.count() + 1))
    return places


def _sorted_names(tags: list[Tag]) -> list[str]:
    return sorted((tag.name for tag in tags), key=str.lower)


def book_tag_groups(story: Story, tags: list[Tag], series: list[SeriesPlace]) -> list:
    by_label: dict[str, list[str]] = {label: [] for label in LABEL_ORDER}
    if story.rating is not None:
        by_label[RATING].append(story.rating.name)
    grouped: dict[str, list[Tag]] = {}
    for tag in tags:
        if tag.type == TagType.WARNING and (tag.archive_defined or tag.name in ARCHIVE_WARNINGS):
            label = ARCHIVE_WARNING
        else:
            label = LABEL_BY_TYPE.get(tag.type, ADDITIONAL_TAGS)
        if label == RATING and story.rating is not None:
            continue  # the book's rating is its rating field
        grouped.setdefault(label, []).append(tag)
    for label, members in grouped.items():
        by_label[label] += _sorted_names(members)
    by_label[LANGUAGE] = [language_name(story.language)] + by_label[LANGUAGE]
    by_label[SERIES] = [f"Part {place.number} of {place.title}" for place in series]
    by_label[STATUS] = [STATUS_NAMES.get(story.status, story.status)]
    return [(label, names) for label, names in by_label.items() if names]


def part_tag_groups(tags: list[Tag]) -> list[tuple[str, list[str]]]:
    """A part's own tags: every warning is a content warning there, tropes additional tags."""
    grouped: dict[str, list[Tag]] = {}
    for tag in tags:
        grouped.setdefault(LABEL_BY_TYPE.get(tag.type, ADDITIONAL_TAGS), []).append(tag)
    return [(label, _sorted_names(grouped[label])) for label in LABEL_ORDER if label in grouped]


def book_for_export(story: Story, *, drafts: bool = False) -> ExportBook:
    """Everything an export shows of a book: its published parts only, as readers see them
    (`drafts=True` adds the unpublished ones, for the writer's own copy of their work)."""
    story = Story.objects.select_related("rating").get(pk=story.pk)
    tags = list(story.tags.all())
    series = story_series(story)
    last_change = Change.objects.filter(story_id=story.pk).order_by("-id").first()
    modified = (last_change.created_at if last_change else None) or story.updated_at
    cover = covers.cover_path(story, "ebook")
    parts = story.parts.order_by("position", "id")
    if not drafts:
        parts = parts.filter(state=PartState.PUBLISHED)
    book = ExportBook(
        story_id=story.pk,
        identifier=book_identifier(story.pk),
        title=story.title,
        authors=[author.name for author in story.byline_authors],
        language=language_tag(story.language),
        direction=language_direction(story.language),
        description=story.description,
        description_source=story.description_source,
        tag_groups=book_tag_groups(story, tags, series),
        subjects=([story.rating.name] if story.rating else []) + _sorted_names(tags),
        series=series,
        status=STATUS_NAMES.get(story.status, story.status),
        published_at=story.published_at,
        modified_at=modified or timezone.now(),
        url=settings.SITE_URL.rstrip("/") + story.get_absolute_url(),
        publisher=settings.SITE_NAME,
        cover=cover if cover is not None and cover.is_file() else None,
    )
    for number, part in enumerate(parts.prefetch_related("tags"), start=1):
        book.parts.append(
            ExportPart(
                number=number,
                title=part.title,
                description=part.description,
                notes_before=part.notes_before,
                notes_after=part.notes_after,
                body=part.body,
                body_format=part.body_format,
                sources=part.sources if isinstance(part.sources, dict) else {},
                tag_groups=part_tag_groups(list(part.tags.all())),
                published_at=part.published_at,
            )
        )
    return book


# Stored HTML as XHTML

# Characters XML 1.0 cannot hold at all (C0 controls other than tab and newlines, lone surrogates).
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
XML_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
# HTML 4 elements the cleaner lets through that HTML5 (and so EPUB 3) no longer has.
RENAMED = {"strike": "s"}
WEB_SCHEMES = ("http://", "https://", "mailto:")
# What may stay as it is in an address; anything else (spaces, quotes) is percent-encoded.
URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


def html_fragment(fragment: str, *, used_ids: set[str], method: str = "xml") -> str:
    """Stored HTML (cleaned by nh3, so safe but HTML) as well-formed XHTML, or tidy HTML.

    Entities become characters, empty elements are closed, and an id already used in the
    same file (`used_ids`, shared by all fragments of one file) is dropped, as are links to
    places that are not in the file."""
    fragment = NOT_XML.sub("", fragment or "").strip()
    if not fragment:
        return ""
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    for element in root.iter():
        element.tag = RENAMED.get(element.tag, element.tag)
        element.attrib.pop("rel", None)  # nh3's rel values mean nothing in a book
        anchor = element.get("id")
        if anchor is not None:
            if anchor in used_ids or not XML_ID.match(anchor):
                del element.attrib["id"]
            else:
                used_ids.add(anchor)
    for link in root.iter("a"):
        href = link.get("href")
        if href is None:
            continue
        if href.startswith("#"):
            # A link to a paragraph of another part would point nowhere in this file.
            keep = bool(root.xpath("//*[@id=$id]", id=href[1:]))
        else:
            # Only addresses on the web: a relative one names a file the book does not hold.
            keep = href.lower().startswith(WEB_SCHEMES)
        if keep:
            link.set("href", quote(href, safe=URL_SAFE))
        else:
            del link.attrib["href"]
    text = etree.tostring(root, method=method, encoding="unicode")
    if text.startswith("<div/>") or text == "<div></div>":
        return ""
    return text[len("<div>") : -len("</div>")]
