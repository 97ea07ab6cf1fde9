"""`storyhouse backup FILE [--force]`: the whole archive in one file, while the site runs."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser
from rich.console import Console
from rich.progress import Progress

from storyhouse.backup import BackupError, backup_write, data_models


class Command(BaseCommand):
    help = (
        "Write every book, part, tag, comment, vote, account and cover to one file (a zip) "
        "from one snapshot of the database, while the site goes on running. "
        "`storyhouse restore FILE` brings it back, on SQLite or PostgreSQL."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE", help="the backup file to write")
        parser.add_argument("--force", action="store_true", help="replace FILE if it exists")

    def handle(self, *args, file: Path, force: bool, **options) -> None:
        console = Console(stderr=True)
        # A bar only for a person watching: in a pipe or a log it would leave a blank line.
        with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
            task = bar.add_task("Backing up", total=len(data_models()))

            def told(table: str, rows: int) -> None:
                bar.update(task, advance=1, description=f"Backing up {table} ({rows:,} rows)")

            try:
                summary = backup_write(file, progress=told, overwrite=force)
            except BackupError as error:
                self.stderr.write(f"{file}: {error}" if str(file) not in str(error) else str(error))
                sys.exit(1)
            except OSError as error:
                self.stderr.write(f"{file}: cannot write the backup: {error.strerror or error}")
                sys.exit(1)
        counts = summary.counts
        self.stdout.write(
            f"{summary.path}: {_size(summary.size)}, "
            + ", ".join(f"{counts.get(label, 0):,} {name}" for label, name in SUMMARY)
            + f", {summary.media_files:,} media files"
            + f" ({sum(counts.values()):,} rows in {len(counts)} tables)"
        )


# The tables a person looks for in the summary line.
SUMMARY = [
    ("stories.story", "books"),
    ("stories.part", "parts"),
    ("stories.tag", "tags"),
    ("engagement.comment", "comments"),
    ("engagement.vote", "votes"),
    ("accounts.user", "accounts"),
]


def _size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size} bytes"
