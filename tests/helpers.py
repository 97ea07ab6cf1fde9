"""Small helpers tests share: writing books the way a writer would, through the services."""

import os
import shutil

import pytest

from storyhouse.accounts.models import User
from storyhouse.stories import services
from storyhouse.stories.models import Part, PartState, Story, Tag, Visibility

BROWSER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)


def needs_tool(command: str, package: str) -> pytest.MarkDecorator:
    """Mark a test that runs a Debian tool (epubcheck, ebook-meta, ...): skipped where the tool
    is missing, except in CI, where it always runs (and fails if the tool is missing)."""
    missing = shutil.which(command) is None and os.environ.get("CI") != "true"
    return pytest.mark.skipif(
        missing, reason=f"needs `{command}`: install it with `apt-get install {package}`"
    )


def write_book(
    author: User,
    title: str,
    parts: list[str] | int = 1,
    *,
    visibility: str = Visibility.PUBLIC,
    tags: list[Tag] = (),
    description: str = "",
) -> Story:
    """A book with published parts; `parts` is a list of titles or a number of parts."""
    story = services.story_save(
        Story(title=title, visibility=visibility, description=description),
        authors=[author],
        tags=list(tags),
    )
    titles = parts if isinstance(parts, list) else [f"Chapter {n}" for n in range(1, parts + 1)]
    for number, part_title in enumerate(titles, start=1):
        services.part_save(
            Part(
                story=story,
                title=part_title,
                body=f"<p>The first paragraph of {part_title}.</p><p>Part {number} goes on.</p>",
                state=PartState.PUBLISHED,
            ),
            edited_by=author,
        )
    story.refresh_from_db()
    return story
