"""Periodic work for search (run by `storyhouse worker`, or by `storyhouse serve` itself)."""

from storyhouse import worker

from . import discover, fulltext


@worker.job(every=2)
def follow_changes_into_search_text() -> int:
    """Books written, edited, re-tagged or unpublished are found by their new words within
    seconds. The cursor is a database row (see `models.TextCursor`), so every worker on every
    host continues from the same place."""
    return fulltext.follow_changes()


@worker.job(every=300)
def discover_rankings_refresh() -> int:
    """Trending, new and rising, completed favourites: ranked here into the cache, so the
    Discover page never ranks the read log while a reader waits."""
    return len(discover.rankings_refresh().trending)
