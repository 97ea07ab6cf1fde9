"""`storyhouse searchtext --rebuild`: write the full-text table again from every book."""

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import Progress

from storyhouse.discovery import fulltext


class Command(BaseCommand):
    help = (
        "The words search finds books by. The worker keeps them current; --rebuild writes "
        "them all again (after restoring a backup, or loading books outside Storyhouse)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="write every book's words again")

    def handle(self, *args, rebuild: bool, **options) -> None:
        if not rebuild:
            raise CommandError("nothing to do: give --rebuild to write the search text again")
        console = Console(stderr=True)
        # A bar only for a person watching: in a pipe or a log it would leave a blank line.
        with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
            task = bar.add_task("Writing the search text", total=None)
            count = fulltext.rebuild(
                progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
        self.stdout.write(f"The search text lists {count} books.")
