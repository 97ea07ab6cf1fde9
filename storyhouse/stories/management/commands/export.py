"""`storyhouse export STORY_ID_OR_URL... [--format epub|html|md] [--output DIR]`: books as files."""

import re
import shutil
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser
from rich.console import Console
from rich.progress import Progress

from storyhouse.stories.exporters import FORMATS, download_name, export_file
from storyhouse.stories.models import Story

# A book's number, alone ("12"), with its slug ("12-the-lighthouse") or in its address
# ("https://example.org/stories/12-the-lighthouse/", "/stories/12-x/parts/3-y/").
BOOK_ADDRESS = re.compile(r"^(?:(?:[a-z][a-z0-9+.-]*://[^/]*)?/?stories/)?(\d+)(?:[-/].*)?$")


def story_id_from(text: str) -> int | None:
    match = BOOK_ADDRESS.match(text.strip())
    return int(match.group(1)) if match else None


class Command(BaseCommand):
    help = (
        "Write books as files (EPUB by default), the same files readers download; "
        "only published parts are included."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "books", nargs="+", metavar="STORY_ID_OR_URL", help="a book's number or its address"
        )
        parser.add_argument(
            "--format",
            action="append",
            choices=list(FORMATS),
            help="epub, html or md; repeat it for several formats (default: epub)",
        )
        parser.add_argument(
            "--output",
            type=Path,
            default=Path("."),
            metavar="DIR",
            help="the folder to write the files to (default: the current folder)",
        )

    def handle(self, *args, books: list[str], format: list | None, output: Path, **options):
        formats = list(dict.fromkeys(format or ["epub"]))
        try:
            output.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self.stderr.write(f"--output: cannot use {output}: {error.strerror or error}")
            sys.exit(2)

        found: dict[int, Story] = {}  # a book named twice is written once
        missing = 0
        for text in books:
            story_id = story_id_from(text)
            story = Story.objects.filter(pk=story_id).first() if story_id is not None else None
            if story is None:
                missing += 1
                self.stderr.write(f"{text}: no book with this number or address")
            else:
                found[story.pk] = story

        written: set[Path] = set()
        console = Console(stderr=True)
        # A bar only for a person watching: in a pipe or a log it would leave a blank line.
        show_bar = len(found) * len(formats) > 1 and console.is_terminal
        with Progress(console=console, transient=True, disable=not show_bar) as progress:
            task = progress.add_task("Exporting", total=len(found) * len(formats))
            for story in found.values():
                for name in formats:
                    target = output / download_name(story, name)
                    if target in written:  # two books of the same title and authors
                        target = target.with_stem(f"{target.stem} ({story.pk})")
                    shutil.copyfile(export_file(story, name), target)
                    written.add(target)
                    self.stdout.write(str(target))
                    progress.advance(task)
        if len(books) > 1 or missing:
            self.stderr.write(
                f"{_count(len(written), 'file')} written for {_count(len(found), 'book')}"
                + (f", {missing} not found" if missing else "")
            )
        if missing:
            sys.exit(1)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
