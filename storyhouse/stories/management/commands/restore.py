"""`storyhouse restore FILE [--force]`: a backup back into a migrated database."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser
from rich.console import Console
from rich.progress import Progress

from storyhouse.backup import BackupError, backup_manifest, backup_restore

from .backup import SUMMARY


class Command(BaseCommand):
    help = (
        "Restore a file written by `storyhouse backup` into this database, which must be "
        "migrated (`storyhouse migrate`) and hold no books or accounts; --force replaces "
        "whatever it holds. All or nothing: one transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE", help="a backup file")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace the books, accounts and everything else this database holds",
        )

    def handle(self, *args, file: Path, force: bool, **options) -> None:
        console = Console(stderr=True)
        try:
            manifest = backup_manifest(file)
            with Progress(console=console, transient=True, disable=not console.is_terminal) as bar:
                task = bar.add_task("Restoring", total=len(manifest.get("counts", {})))

                def told(table: str, rows: int) -> None:
                    bar.update(task, advance=1, description=f"Restoring {table} ({rows:,} rows)")

                summary = backup_restore(file, force=force, progress=told)
        except BackupError as error:
            self.stderr.write(str(error) if str(file) in str(error) else f"{file}: {error}")
            sys.exit(1)
        except OSError as error:
            self.stderr.write(f"{file}: cannot restore the media files: {error.strerror or error}")
            sys.exit(1)
        for warning in summary.warnings:
            self.stderr.write(f"note: {warning}")
        counts = summary.counts
        self.stdout.write(
            f"Restored {file} (written {manifest.get('created_at', '?')} on "
            f"{manifest.get('database_vendor', '?')}): "
            + ", ".join(f"{counts.get(label, 0):,} {name}" for label, name in SUMMARY)
            + f", {summary.media_files:,} media files. "
            + "Restart running Storyhouse processes so their search index reads the new books."
        )
