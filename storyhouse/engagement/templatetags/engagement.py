"""Template tags that bring readers' actions onto pages other apps own (part, book, author),
through one include line each."""

from django import template
from django.conf import settings
from django.shortcuts import resolve_url
from django.utils.safestring import SafeString

from storyhouse.pagecache.slots import is_shell
from storyhouse.stories import access

from .. import queries
from ..models import NotificationKind
from ..shared_threads import threads_shown
from ..text import comment_html

register = template.Library()


@register.filter
def comment_text(text: str) -> SafeString:
    """A comment's plain text as safe HTML: escaped, with its web links clickable."""
    return comment_html(text)


@register.simple_tag
def login_url() -> str:
    return resolve_url(settings.LOGIN_URL)


@register.simple_tag(takes_context=True)
def part_engagement(context: template.Context) -> dict:
    """What the part page shows below the text: the vote button, the library button and the
    comments."""
    request, part = context["request"], context["part"]
    user = request.user
    threads = threads_shown(
        user,
        part,
        paragraph=request.GET.get("paragraph", ""),
        page_number=request.GET.get("comments"),
        shell=is_shell(context),
    )
    return {
        "voted": queries.has_voted(user, part),
        "votes": part.total_votes,
        "in_library": queries.in_library(user, part.story),
        "may_engage": access.can_engage_with_part(user, part),
        "may_keep": access.can_keep_library(user) and part.is_published,
        "threads": threads,
        "comment_form": None,  # a blank one: threads.form_html
    }


@register.simple_tag(takes_context=True)
def story_engagement(context: template.Context) -> dict:
    """What the book page shows: continue reading, the library button, the reading lists."""
    request, story = context["request"], context["story"]
    user = request.user
    lists = queries.lists_holding(user, story) if access.can_post(user) else []
    return {
        "continue_at": queries.continue_reading(user, [story]).get(story.pk),
        "in_library": queries.in_library(user, story),
        "may_keep": access.can_keep_library(user) and story.parts_count > 0,
        "may_list": access.can_post(user),
        "lists_with": [found for found in lists if found.holds],
        "lists_without": [found for found in lists if not found.holds],
    }


@register.simple_tag(takes_context=True)
def author_engagement(context: template.Context, author: object) -> dict:
    """What an author page shows: followers, the follow button, public reading lists."""
    user = context["request"].user
    return {
        "followers": queries.follower_count(author),
        "following": queries.is_following(user, author),
        "may_follow": access.can_follow(user, author),
        "public_lists": queries.reading_lists(author, public_only=True).count(),
    }


@register.simple_tag
def kind_labels(kinds: list[str]) -> list[str]:
    """The readable names of notification kinds, for the unsubscribe page."""
    return [NotificationKind(kind).label for kind in kinds]
