"""`storyhouse demo`: a ready-to-explore Storyhouse, set up in one command and served on :8000.

It migrates, collects static files, creates an `admin` account, imports the sample page,
writes a corpus of generated stories and serves. Every step is safe to repeat.
"""

import secrets
import string

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console

from storyhouse.demo import SAMPLE_PAGE
from storyhouse.demo.corpus import (
    DEFAULT_SEED,
    DEFAULT_STORIES,
    WRITERS,
    CorpusError,
    demo_story_count,
    load_corpus,
)
from storyhouse.discovery import fulltext
from storyhouse.stories.importers import CannotImport, read_book
from storyhouse.stories.imports import book_import, import_account

from .serve import DEFAULT_HOST, DEFAULT_PORT, address, collect_static, run_server

ADMIN = "admin"
PASSWORD_CHARACTERS = string.ascii_letters + string.digits


class Command(BaseCommand):
    help = (
        "Set up a demo: the database, an admin account, the sample story and a few hundred "
        "generated stories; then serve it on http://127.0.0.1:8000. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stories",
            type=int,
            default=DEFAULT_STORIES,
            help=f"how many generated stories to write (default: {DEFAULT_STORIES})",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help="the seed the stories are generated from; the same seed gives the same stories",
        )
        parser.add_argument("--host", default=DEFAULT_HOST, help=f"default: {DEFAULT_HOST}")
        parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default: 8000")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="processes to serve with (default: one per core)",
        )
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="set everything up, then stop instead of serving",
        )

    def handle(
        self,
        *args,
        stories: int,
        seed: int,
        host: str,
        port: int,
        workers: int | None,
        no_serve: bool,
        **options,
    ) -> None:
        if stories < 0:
            raise CommandError("--stories: give 0 or more")
        site = address(host, port)

        self.say("Getting the database ready…")
        call_command("migrate", interactive=False, verbosity=0)
        collect_static()

        self.admin_account(site)
        part_url = self.sample_story()
        self.corpus(stories, seed)
        # Books loaded in bulk: write the words search finds them by, all at once.
        fulltext.rebuild()

        self.say("")
        self.say(f"Read the sample story at {site}{part_url}", style=self.style.SUCCESS)
        if no_serve:
            self.say(f"All set. Start the server with `storyhouse serve`, then open {site}/")
            return
        run_server(host=host, port=port, workers=workers, stdout=self.stdout, static=False)

    def say(self, message: str, style=None) -> None:
        self.stdout.write(message, style)
        self.stdout.flush()

    def admin_account(self, site: str) -> None:
        User = get_user_model()
        if User.objects.filter(username=ADMIN).exists():
            self.say(
                f"The {ADMIN} account already exists; its password is unchanged. "
                f"To set a new one: storyhouse changepassword {ADMIN}"
            )
            return
        # Letters and digits only, so a double-click selects all of it.
        password = "".join(secrets.choice(PASSWORD_CHARACTERS) for _ in range(16))
        User.objects.create_superuser(ADMIN, email="", password=password, display_name="Admin")
        self.say("")
        self.say("Your admin account (the password is shown only this once):", self.style.SUCCESS)
        self.say(f"  username: {ADMIN}")
        self.say(f"  password: {password}")
        self.say(f"  sign in at {site}/admin/")
        self.say("")

    def sample_story(self) -> str:
        try:
            (result,) = book_import(read_book(SAMPLE_PAGE), author=import_account())
        except CannotImport as error:
            raise CommandError(f"the sample page could not be imported: {error}") from None
        if result.outcome == "unchanged":
            self.say("The sample story is already here.")
        else:
            self.say("Imported the sample story.")
        return result.part.get_absolute_url()

    def corpus(self, stories: int, seed: int) -> None:
        present = demo_story_count()
        if present >= stories:
            self.say(f"The demo stories are already here ({present} of them).")
            return
        self.say(f"Writing {stories - present} demo stories by {len(WRITERS)} writers…")
        try:
            added = load_corpus(stories, seed, progress=Console(stderr=True))
        except CorpusError as error:
            raise CommandError(f"the demo stories could not be written: {error}") from None
        self.say(f"Wrote {added} demo stories.")
