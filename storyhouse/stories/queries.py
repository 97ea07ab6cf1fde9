"""Reading selectors: the books and tags that pages show."""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from storyhouse.accounts.models import User
from storyhouse.pagecache.fragments import fragment

from . import access
from .access import AnyUser
from .models import Authorship, Part, PartState, Story, Tag, TagType

# The order tag groups appear in on a book page; warnings come first so no one misses them.
TAG_GROUPS = [
    (TagType.WARNING, _("Warnings")),
    (TagType.CATEGORY, _("Categories")),
    (TagType.FANDOM, _("Fandoms")),
    (TagType.RELATIONSHIP, _("Relationships")),
    (TagType.CHARACTER, _("Characters")),
    (TagType.TROPE, _("Tropes")),
    (TagType.LANGUAGE, _("Languages")),
]


def with_card_data(stories: QuerySet[Story]) -> QuerySet[Story]:
    """What a story card shows, fetched in a fixed number of queries whatever the list length."""
    return stories.select_related("rating").prefetch_related(
        Prefetch(
            "authorship_set",
            queryset=Authorship.objects.filter(accepted=True).select_related("user"),
            to_attr="accepted_authorships",  # what Story.byline_authors reads
        ),
        Prefetch("tags", queryset=Tag.objects.order_by("type", "name")),
    )


def part_for_page(part_id: int, story_id: int) -> Part | None:
    """The part a part page shows, with its book, rating and accepted authors (the byline,
    and every `access.is_author` on the page), shared by every request for it. Its counts
    are those of the last vote or comment; reads may lag by PAGE_CACHE_MAX_AGE."""

    def fetch() -> tuple[Part | None, list[str]]:
        authors = Prefetch(
            "story__authorship_set",
            queryset=Authorship.objects.filter(accepted=True).select_related("user"),
            to_attr="accepted_authorships",
        )
        part = (
            Part.objects.select_related("story", "story__rating")
            .prefetch_related(authors)
            .filter(pk=part_id)
            .first()
        )
        if part is None:
            return None, [f"part:{part_id}"]
        keys = [f"part:{part.pk}", f"story:{part.story_id}", f"tag:{part.story.rating_id}"]
        return part, keys

    part, _keys = fragment(f"part:{part_id}", fetch)
    return part if part is not None and part.story_id == story_id else None


def part_tag_ids(part: Part) -> frozenset[int]:
    """The tags a part carries itself and through its book, rating included: what
    `access.hidden_tags_on_part` looks for."""
    on_part = Part.tags.through.objects.filter(part_id=part.pk).values_list("tag_id", flat=True)
    on_book = Story.tags.through.objects.filter(story_id=part.story_id).values_list(
        "tag_id", flat=True
    )
    return frozenset([*on_part, *on_book, part.story.rating_id])


def part_siblings(user: AnyUser, story: Story) -> list[Part]:
    """The parts of a book this person may open, in reading order (titles and addresses
    only). Readers who are not its authors all see the same list, rendered once for them."""
    if access.is_author(user, story):
        return list(access.readable_parts(user, story).only("id", "title", "slug", "story"))

    def published() -> tuple[list[Part], list[str]]:
        parts = access.readable_parts(AnonymousUser(), story).only("id", "title", "slug", "story")
        return list(parts), [f"story:{story.pk}"]

    siblings, _keys = fragment(f"part-siblings:{story.pk}", published)
    return siblings


def part_text(part: Part) -> tuple[SafeString, tuple[str, ...]]:
    """A part's tags, description, notes and text, as every reader who hides none of its tags
    sees them, and the version keys of what it shows."""

    def render() -> tuple[str, list[str]]:
        tags = list(part.tags.all())
        html = render_to_string(
            "stories/includes/part_text.html", {"part": part, "tag_groups": tags_grouped(tags)}
        )
        return html, [f"part:{part.pk}", f"story:{part.story_id}", *[f"tag:{t.pk}" for t in tags]]

    html, keys = fragment(f"part-text:{part.pk}", render)
    return mark_safe(html), keys  # noqa: S308 - rendered by a template, escaped there


def byline(story: Story) -> list[User]:
    """A book's authors as its byline names them: accepted authors, in order."""
    return story.byline_authors


def stories_new(user: AnyUser, limit: int = 12) -> list[Story]:
    listed = access.listed_stories(user).order_by("-published_at", "-id")
    return list(with_card_data(listed)[:limit])


def stories_popular(user: AnyUser, limit: int = 12) -> list[Story]:
    listed = access.listed_stories(user).order_by(
        (F("reads_count") + F("imported_reads")).desc(), "-published_at", "-id"
    )
    return list(with_card_data(listed)[:limit])


def tag_family_ids(tag: Tag) -> list[int]:
    """The tags whose books a tag's page lists, as search counts them
    (`discovery.filters.TagGraph.family`): the tag's canonical tag, that tag's sub-tags of
    the same type at any depth, and the synonyms of all of them.

    Parent links are read as filter tags: a link to or from a synonym counts as one of its
    canonical tag. One query per level of sub-tags, without loading the whole graph."""
    start = tag.filter_tag
    heads, waiting = {start.pk}, {start.pk}
    links = Tag.parents.through.objects
    while waiting:
        rows = links.filter(
            Q(to_tag_id__in=waiting) | Q(to_tag__synonym_of_id__in=waiting)
        ).values_list("from_tag_id", "from_tag__type", "from_tag__synonym_of_id")
        found = set()
        for child, child_type, child_head in rows:
            # A synonym's type is its canonical tag's (they are of one type).
            head = child_head or child
            if child_type == start.type and head not in heads:
                found.add(head)
        heads |= found
        waiting = found
    members = Tag.objects.filter(Q(id__in=heads) | Q(synonym_of_id__in=heads))
    return list(members.values_list("id", flat=True))


def tag_relations(tag: Tag) -> dict[str, list]:
    """What a tag's page says of its family, as filters see it (links to and from synonyms
    count as their canonical tag's): the synonyms, the tags it belongs under, its sub-tags of
    its own type (whose books it lists) and, grouped by type, the other tags under it (a
    fandom's characters)."""
    canonical = tag.filter_tag
    members = Tag.objects.filter(Q(pk=canonical.pk) | Q(synonym_of_id=canonical.pk)).values("id")
    links = Tag.parents.through.objects
    parent_heads = links.filter(from_tag_id__in=members).annotate(
        head=Coalesce("to_tag__synonym_of_id", "to_tag_id")
    )
    child_heads = links.filter(to_tag_id__in=members).annotate(
        head=Coalesce("from_tag__synonym_of_id", "from_tag_id")
    )
    parents = Tag.objects.filter(id__in=parent_heads.values("head")).exclude(pk=canonical.pk)
    children = list(
        Tag.objects.filter(id__in=child_heads.values("head"))
        .exclude(pk=canonical.pk)
        .order_by("name")
    )
    others = [child for child in children if child.type != canonical.type]
    return {
        # A synonym's page names its canonical tag already, and its sibling synonyms here.
        "synonyms": list(canonical.synonyms.exclude(pk=tag.pk).order_by("name")),
        "parents": list(parents.order_by("name")),
        "children": [child for child in children if child.type == canonical.type],
        "other_children": [(heading, members) for _type, heading, members in tags_grouped(others)],
    }


def stories_with_tags(user: AnyUser, tag_ids: list[int]) -> QuerySet[Story]:
    """Listed books that carry one of the tags: as their rating, on the book or on a published
    part."""
    on_book = Story.tags.through.objects.filter(tag_id__in=tag_ids).values("story_id")
    on_part = Part.tags.through.objects.filter(
        tag_id__in=tag_ids, part__state=PartState.PUBLISHED
    ).values("part__story_id")
    return access.listed_stories(user).filter(
        Q(rating_id__in=tag_ids) | Q(id__in=on_book) | Q(id__in=on_part)
    )


def stories_by_author(user: AnyUser, author: User) -> QuerySet[Story]:
    return access.listed_stories(user).filter(authorship__user=author, authorship__accepted=True)


def tags_grouped(tags: list[Tag]) -> list[tuple[str, str, list[Tag]]]:
    """Tags grouped by type, in page order: [(type, heading, tags)], empty groups left out."""
    groups = []
    for tag_type, heading in TAG_GROUPS:
        members = sorted(
            (tag for tag in tags if tag.type == tag_type), key=lambda t: t.name.lower()
        )
        if members:
            groups.append((tag_type, heading, members))
    return groups


# The writer's desk


def desk_books(user: User) -> QuerySet[Story]:
    """The books a writer writes, newest first, with what the desk shows of each: parts by
    state and the words of all of them, drafts included."""
    return (
        access.authored_stories(user)
        .select_related("rating")
        .annotate(
            parts_total=Count("parts", distinct=True),
            drafts_total=Count("parts", filter=Q(parts__state=PartState.DRAFT), distinct=True),
            scheduled_total=Count(
                "parts", filter=Q(parts__state=PartState.SCHEDULED), distinct=True
            ),
            words_total=Sum("parts__word_count"),
        )
        .order_by("-created_at", "-id")
    )


def desk_invitations(user: User) -> QuerySet[Authorship]:
    """Invitations to co-write that this person has not answered yet."""
    return (
        Authorship.objects.filter(user=user, accepted=False)
        .select_related("story", "invited_by")
        .order_by("-invited_at", "-id")
    )
