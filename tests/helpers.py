"""Small helpers tests share: writing books the way a writer would, through the services."""

import os
import shutil
import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
from django.db import connection

from storyhouse.accounts.models import User
from storyhouse.stories import services
from storyhouse.stories.models import Part, PartState, Story, Tag, Visibility

BROWSER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)

T = TypeVar("T")

# This pass of the suite runs on PostgreSQL (make test-postgres), not SQLite.
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))

# Tests whose outcome cannot depend on the pass's database run once, in the SQLite pass, to
# keep CI short. A site of its own: the test sets up a SQLite site in a temporary folder
# whatever the pass. Same HTML: axe and the layout checks read the markup, which is the
# same whichever database keeps the data (the PostgreSQL pass still runs every browser
# test that does something).
OWN_SQLITE_SITE = pytest.mark.skipif(
    ON_POSTGRES,
    reason="runs in the SQLite pass (make test-sqlite): it sets up a SQLite site of its own "
    "whatever the pass, so the PostgreSQL pass would only repeat it",
)
SAME_HTML = pytest.mark.skipif(
    ON_POSTGRES,
    reason="runs in the SQLite pass (make test-sqlite): it checks markup and layout, the "
    "same whichever database keeps the data",
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


def together(work: list[Callable[[], T]]) -> list[T]:
    """Run each function in its own thread, all released at once; their results in order.
    Each thread has its own database connection, closed when it is done."""
    barrier = threading.Barrier(len(work))
    results: list[T | BaseException | None] = [None] * len(work)

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work[index]()
        except BaseException as error:  # noqa: BLE001 - reported below, in the test
            results[index] = error
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    errors = [result for result in results if isinstance(result, BaseException)]
    assert not errors, errors
    return results
