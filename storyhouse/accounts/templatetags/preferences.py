"""Template tags that mark what a reader chose to hide, on the pages that still show it."""

from django import template
from django.http import HttpRequest

from storyhouse.stories import access
from storyhouse.stories.models import Tag, TagType

register = template.Library()


def _hidden_ids(request: HttpRequest | None) -> frozenset[int]:
    """The ids of the tags the signed-in reader hides, asked once per request."""
    if request is None or not request.user.is_authenticated:
        return frozenset()
    ids = getattr(request, "_hidden_tag_ids", None)
    if ids is None:
        ids = frozenset(access.hidden_tags(request.user).values_list("id", flat=True))
        request._hidden_tag_ids = ids
    return ids


@register.simple_tag(takes_context=True)
def hidden_tag_ids(context: template.Context) -> frozenset[int]:
    """`{% hidden_tag_ids as hidden_ids %}`, then `{% if tag.pk in hidden_ids %}`."""
    return _hidden_ids(context.get("request"))


@register.simple_tag(takes_context=True)
def hidden_among(context: template.Context, tag_groups: list, *tags: Tag | None) -> list[Tag]:
    """The hidden tags among grouped tags (queries.tags_grouped) and a few more (a rating)."""
    ids = _hidden_ids(context.get("request"))
    if not ids:
        return []
    shown = [tag for _type, _heading, members in tag_groups or [] for tag in members]
    shown += [tag for tag in tags if tag is not None]
    return list({tag.pk: tag for tag in shown if tag.pk in ids}.values())


@register.filter
def all_warnings(tags: list[Tag]) -> bool:
    """Whether every one of these tags is a warning (for the interstitial's wording)."""
    return all(tag.type == TagType.WARNING for tag in tags)
