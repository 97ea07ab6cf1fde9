"""`storyhouse import FILE... [--format NAME] [--author NAME]`: bring stories in from files.

A FILE may be an EPUB, an AO3 HTML download, a story page's text, a Markdown file, or a
folder (or .zip) of Markdown files making one book.
"""

import logging
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser
from django.core.validators import validate_unicode_slug
from django.db import transaction
from rich.console import Console
from rich.progress import Progress

from storyhouse.discovery import fulltext
from storyhouse.stories.importers import FORMATS, CannotImport, read_book
from storyhouse.stories.imports import book_import, import_account

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Import stories from files (EPUB, AO3 HTML, story page text, Markdown) or folders of "
        "Markdown files; the format is recognised from each file's content."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE_OR_FOLDER")
        parser.add_argument(
            "--format", choices=sorted(FORMATS), help="read every file as this format"
        )
        parser.add_argument(
            "--author",
            metavar="NAME",
            help="username the stories belong to (created if needed; default: imported)",
        )

    def handle(self, *args, files: list[Path], format: str | None, author: str | None, **options):
        if author is not None:
            try:
                validate_unicode_slug(author.replace(".", "").replace("@", "").replace("+", ""))
            except ValidationError:
                self.stderr.write(f"--author: {author!r} is not a valid username")
                sys.exit(2)
        failures = 0
        written = 0
        imported: set[int] = set()
        console = Console(stderr=True)
        # A bar only for a person watching: in a pipe or a log it would leave a blank line.
        show_bar = len(files) > 1 and console.is_terminal
        with Progress(console=console, transient=True, disable=not show_bar) as progress:
            task = progress.add_task("Importing", total=len(files))
            for path in files:
                try:
                    book = read_book(path, format=format)
                    # The account too: a file that fails to import leaves no trace.
                    with transaction.atomic():
                        results = book_import(book, author=import_account(author))
                except (CannotImport, ValidationError) as error:
                    failures += 1
                    self.stderr.write(f"{path}: {_one_line(error)}")
                except Exception as error:
                    # A file that trips a bug in a reader must not cost the other files.
                    log.exception("importing %s failed", path)
                    failures += 1
                    self.stderr.write(
                        f"{path}: Storyhouse could not read this file ({type(error).__name__})"
                    )
                else:
                    for result in results:
                        written += result.outcome != "unchanged"
                        if result.outcome != "unchanged":
                            imported.add(result.part.story_id)
                        self.stdout.write(f"{result.outcome:<9} {result.part.get_absolute_url()}")
                progress.advance(task)
        # Found by search at once, without waiting for the worker.
        fulltext.refresh(imported)
        if len(files) > 1:
            self.stderr.write(
                f"{len(files) - failures} of {len(files)} files imported, "
                f"{written} parts written, {failures} failed"
            )
        if failures:
            sys.exit(1)


def _one_line(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return " ".join(str(error).split())
