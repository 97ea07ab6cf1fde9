"""`storyhouse serve [--host H] [--port P] [--workers N] [--threads N]`: serve with granian."""

import fcntl
import multiprocessing
import os
import sys
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

from storyhouse import worker
from storyhouse.warm_up import heap_freeze

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def address(host: str, port: int) -> str:
    """The address people type: IPv6 hosts go in brackets."""
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def pending_migrations() -> int:
    connection = connections["default"]
    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def collect_static() -> None:
    """Copy static files to STATIC_ROOT with hashed names, compressed, and write their manifest.
    Servers started at once on one machine take turns: two at once replace each other's files
    mid-write, and one of them fails to start."""
    with static_lock_path().open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # let go when the file closes, or the process ends
        call_command("collectstatic", interactive=False, verbosity=0)


def static_lock_path() -> Path:
    return Path(settings.STATIC_ROOT).parent / ".collectstatic.lock"


def run_server(
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    workers: int | None = None,
    threads: int | None = None,
    stdout: TextIO | None = None,
    static: bool = True,
    periodic: bool = True,
) -> None:
    """Collect static files, then serve the WSGI application with granian until stopped."""
    from granian import Granian
    from granian.constants import Interfaces

    out = stdout or sys.stdout
    write = out.write
    if static:
        collect_static()
    cores = os.cpu_count() or 1
    workers = workers or cores
    if pending_migrations():
        write("The database is not up to date: run `storyhouse migrate` first.\n")
    # Workers must not share this process's database connections.
    connections.close_all()
    # Fresh worker processes start with no state inherited from this one.
    multiprocessing.set_start_method("spawn", force=True)
    plural = "worker" if workers == 1 else "workers"
    write(f"Storyhouse is running at {address(host, port)}/ ({workers} {plural}).\n")
    write("Press Ctrl+C to stop.\n")
    out.flush()
    if periodic:
        # The single-machine default: periodic work runs beside the web server. This
        # process's full garbage collections would take a core from the workers for a while:
        # they scan only what it makes from now on.
        heap_freeze()
        worker.start_in_thread()
    Granian(
        "storyhouse.wsgi:application",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads or default_threads(cores),
    ).serve()


def default_threads(cores: int) -> int:
    """Django's threads in each worker: granian's advice of two per core, plus one. Several,
    so that a slow request (an email to send, a big export) holds up no one else; more would
    only queue on the interpreter lock. One thread answers cached guest pages about 15%
    faster on 2 cores (no hand-over of the lock between threads), but then every request in
    the worker waits behind a slow one."""
    return 2 * cores + 1


class Command(BaseCommand):
    help = "Serve Storyhouse with granian: static files collected, one process per CPU core."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=DEFAULT_HOST, help=f"default: {DEFAULT_HOST}")
        parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default: 8000")
        parser.add_argument(
            "--workers", type=int, default=None, help="processes to run (default: one per core)"
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="Django threads in each process (default: two per core, plus one)",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="leave periodic work to a separate `storyhouse worker`",
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        workers: int | None,
        threads: int | None,
        no_worker: bool,
        **options,
    ) -> None:
        if workers is not None and workers < 1:
            raise CommandError("--workers: give at least 1")
        if threads is not None and threads < 1:
            raise CommandError("--threads: give at least 1")
        if not 0 < port < 65536:
            raise CommandError("--port: give a number from 1 to 65535")
        run_server(
            host=host,
            port=port,
            workers=workers,
            threads=threads,
            stdout=self.stdout,
            periodic=not no_worker,
        )
