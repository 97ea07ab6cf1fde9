"""Everything a person wrote here, in one zip they can take away.

The zip holds each book they write as EPUB and Markdown (drafts included: they are theirs),
and `your-data.json` with their profile, comments, votes, reading lists, library, follows,
the tags they hide and whom they muted and blocked. Nothing about other people goes in
beyond what the person sees on the site: the titles and addresses of the books they
commented on, voted for or keep, and the usernames they follow, muted or blocked.
"""

import datetime
import json
import tempfile
import zipfile
from typing import IO, Any

from django.utils import timezone

from storyhouse.boundaries import services as boundaries
from storyhouse.engagement.models import Comment, ReadingList, Vote
from storyhouse.stories import access, exporters
from storyhouse.stories.models import Part, Story

from .models import User

FORMAT_VERSION = 1


def _when(moment: datetime.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _book(story: Story, site: str) -> dict[str, Any]:
    return {"id": story.pk, "title": story.title, "url": site + story.get_absolute_url()}


def _part(part: Part, site: str) -> dict[str, Any]:
    return {
        "book": _book(part.story, site),
        "part": {"id": part.pk, "title": part.title, "url": site + part.get_absolute_url()},
    }


def your_data(user: User, *, site: str) -> dict[str, Any]:
    """What the person did here, as plain data; `site` is the address links start with."""
    comments = (
        Comment.objects.filter(author=user, deleted_at=None)
        .select_related("part__story")
        .order_by("created_at", "id")
    )
    votes = Vote.objects.filter(user=user).select_related("part__story").order_by("created_at")
    lists = ReadingList.objects.filter(owner=user).prefetch_related("entries__story")
    return {
        "format_version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "account": {
            "username": user.username,
            "display_name": user.display_name,
            "email": user.email,
            "bio": user.bio,
            "joined": _when(user.date_joined),
            "author_page": site + user.get_absolute_url(),
        },
        "books": [_book(story, site) for story in access.authored_stories(user).order_by("id")],
        "comments": [
            {
                "id": comment.pk,
                **_part(comment.part, site),
                "reply_to": comment.parent_id,
                "paragraph": comment.paragraph or None,
                "text": comment.body,
                "posted": _when(comment.created_at),
                "edited": _when(comment.edited_at),
            }
            for comment in comments
        ],
        "votes": [{**_part(vote.part, site), "voted": _when(vote.created_at)} for vote in votes],
        "reading_lists": [
            {
                "title": reading_list.title,
                "public": reading_list.public,
                "books": [_book(entry.story, site) for entry in reading_list.entries.all()],
            }
            for reading_list in lists
        ],
        "library": [
            {**_book(entry.story, site), "added": _when(entry.added_at)}
            for entry in user.library.select_related("story").order_by("added_at")
        ],
        "following": [
            {"username": follow.writer.username, "since": _when(follow.created_at)}
            for follow in user.following.select_related("writer").order_by("created_at")
        ],
        "hidden_tags": sorted(tag.name for tag in user.hidden_tags.all()),
        "shows_adult_content": user.shows_adult_content,
        # Their own choices, private to them: whom and what they muted and blocked.
        "muted_writers": [
            {"username": mute.writer.username, "since": _when(mute.created_at)}
            for mute in boundaries.muted_writers(user).order_by("created_at")
        ],
        "muted_books": [
            {**_book(mute.story, site), "since": _when(mute.created_at)}
            for mute in boundaries.muted_books(user).order_by("created_at")
        ],
        "blocked": [
            {"username": block.blocked.username, "since": _when(block.created_at)}
            for block in boundaries.blocked(user).order_by("created_at")
        ],
    }


def your_data_zip(user: User, *, site: str) -> IO[bytes]:
    """The zip, in a temporary file (a prolific writer's books may be large), read to send."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 (returned)
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for story in access.authored_stories(user).order_by("id"):
            stem = f"books/{story.pk}-{story.slug or 'book'}"
            archive.writestr(f"{stem}.epub", exporters.render(story, "epub", drafts=True))
            archive.writestr(f"{stem}.md", exporters.render(story, "md", drafts=True))
        data = json.dumps(your_data(user, site=site), ensure_ascii=False, indent=2)
        archive.writestr("your-data.json", data)
    spool.seek(0)
    return spool
