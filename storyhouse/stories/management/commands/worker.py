"""`storyhouse worker [--once]`: run periodic work (scheduled publishing, email digests)."""

import threading

from django.core.management.base import BaseCommand, CommandParser

from storyhouse import worker


class Command(BaseCommand):
    help = "Run periodic work: publish scheduled parts, send email digests, and the like."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once, then stop")

    def handle(self, *args, once: bool, **options) -> None:
        jobs = worker.discover()
        if once:
            for name in worker.run_due():
                self.stdout.write(f"ran {name}")
            return
        self.stdout.write(f"Worker running {len(jobs)} jobs. Press Ctrl+C to stop.")
        stop = threading.Event()
        try:
            worker.run_forever(stop)
        except KeyboardInterrupt:
            stop.set()
