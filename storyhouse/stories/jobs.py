"""Periodic work for books (run by `storyhouse worker`, or by `storyhouse serve` itself)."""

from storyhouse import worker

from . import services


@worker.job(every=30)
def publish_scheduled_parts() -> list[int]:
    """Scheduled parts whose time has come are published, each once however many workers run."""
    return services.parts_publish_due()


@worker.job(every=20)
def draw_missing_covers() -> int:
    """Books imported or loaded in bulk get their generated cover a few at a time."""
    return services.stories_without_covers_draw(limit=10)
