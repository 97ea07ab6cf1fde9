"""Reads held in memory and written in batches, so that a page view costs no database write.

A web process takes each read into a buffer (`add`: no I/O) and a background thread writes
what it holds (`flush`) every READS_FLUSH_SECONDS, sooner when it grows big, and once more when
the process stops gracefully. The database decides what counts: a read is a row, unique on
(part, reader, day), inserted with ON CONFLICT DO NOTHING, and the counts on parts and books
grow by exactly the rows really inserted, in the same transaction. So two processes (or hosts)
flushing the same read at once count it once, and a flush that fails counts nothing and is
tried again.

A web process also appends each read it takes to a spool file of its own (`Spool`, under
var/reads/), which a flush that wrote them removes. A write to a file outlives a kill -9 of
the process (the kernel holds it), so when a web process dies, the next one to start writes
the reads its spool kept (`replay_orphans`): a crash loses no read, however long the
database made the last flush wait.
"""

import atexit
import contextlib
import datetime
import fcntl
import logging
import os
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from storyhouse.accounts.models import User
from storyhouse.stories.models import Part, Story

from .models import Read

log = logging.getLogger(__name__)

# A batch is written in one transaction; a buffer this full is flushed without waiting.
BATCH_SIZE = 5_000
# While the database refuses (it is down), reads wait up to this many; past it the oldest go.
MAX_HELD = 100_000
# (part, reader) pairs remembered for today, to drop a repeat without asking the database;
# forgetting one only means the database drops the repeat instead.
MAX_SEEN = 100_000
# How often a web process looks for the spooled reads of processes that died.
REPLAY_SECONDS = 30.0
# Rows per INSERT statement, within the database's limit on parameters (SQLite: 999).
MAX_ROWS_PER_STATEMENT = 1_000


class PendingRead(NamedTuple):
    part_id: int
    story_id: int
    reader: str
    user_id: int | None
    day: datetime.date
    at: float  # seconds since the epoch: cheaper to take than a datetime, on every page view
    source: str = ""  # where the reader came from, by kind (storyhouse/stats/sources.py)


class Spool:
    """This process's reads not written yet, one line each in a file only it holds (an
    exclusive lock, which goes with the process): what a flush takes moves to files of
    their own (`rotate`), removed once written (`written`)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.fd, self.path = self._open()
        self.taken: list[tuple[int, Path]] = []  # rotated files whose reads a flush took

    def _open(self) -> tuple[int, Path]:
        path = self.folder / f"{os.getpid()}-{time.time_ns()}.reads"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd, path

    def write(self, read: PendingRead) -> None:
        line = "\t".join(
            (
                str(read.part_id),
                str(read.story_id),
                read.reader,
                "" if read.user_id is None else str(read.user_id),
                read.day.isoformat(),
                repr(read.at),
                read.source,
            )
        )
        os.write(self.fd, f"{line}\n".encode())

    def rotate(self) -> None:
        """What was spooled so far belongs to the flush about to run."""
        self.taken.append((self.fd, self.path))
        self.fd, self.path = self._open()

    def written(self) -> None:
        """Every read in the rotated files is in the database: remove them."""
        for fd, path in self.taken:
            with contextlib.suppress(OSError):
                path.unlink()
            os.close(fd)
        self.taken = []


def _spooled(path: Path) -> list[PendingRead]:
    reads = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            fields = line.split("\t")
            if len(fields) == 6:  # spooled before reads kept where they came from
                fields.append("")
            part_id, story_id, reader, user_id, day, at, source = fields
            reads.append(
                PendingRead(
                    int(part_id),
                    int(story_id),
                    reader,
                    int(user_id) if user_id else None,
                    datetime.date.fromisoformat(day),
                    float(at),
                    source,
                )
            )
        except ValueError:
            continue  # the last line of a process killed mid-write
    return reads


def replay_orphans(folder: Path) -> int:
    """Write the reads spooled by processes that died (their files are not locked any more);
    returns how many were newly counted. A file stays when the database refuses."""
    counted = 0
    for path in sorted(folder.glob("*.reads")) if folder.is_dir() else []:
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            continue  # another process took it
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue  # a live process holds it
        try:
            reads = _spooled(path)
            for start in range(0, len(reads), BATCH_SIZE):
                counted += write_reads(reads[start : start + BATCH_SIZE])
            path.unlink()
        except Exception:
            log.exception("Reads spooled by a stopped process could not be written yet")
        finally:
            os.close(fd)
    if counted:
        log.warning("Counted %d reads a stopped process had not written", counted)
    return counted


class ReadBuffer:
    """The reads one process took and has not written yet. Thread-safe. Each process has
    one (`default`); tests make more to play several processes."""

    def __init__(self, *, batch_size: int = BATCH_SIZE, max_held: int = MAX_HELD) -> None:
        self.batch_size = batch_size
        self.max_held = max_held
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one flush at a time, so kept reads stay in order
        self._held: OrderedDict[tuple[int, str, datetime.date], PendingRead] = OrderedDict()
        self._seen: OrderedDict[tuple[int, str], None] = OrderedDict()
        self._seen_day: datetime.date | None = None
        # Today's local date, worked out again at most once a second (it costs more than
        # the rest of `add`): a read in the first second after midnight may count for the
        # day before.
        self._today: datetime.date | None = None
        self._today_until = 0.0
        self._dropped = 0
        # Set when the buffer holds a batch: the flushing thread wakes up early.
        self.full = threading.Event()
        self.spool: Spool | None = None  # set by start(): web processes spool their reads

    def __len__(self) -> int:
        return len(self._held)

    def add(
        self, part_id: int, story_id: int, reader: str, user_id: int | None, source: str = ""
    ) -> bool:
        """Take a read for counting (True), or drop it (False): this process already took
        this reader's read of this part today. (Arguments by position on the page cache's
        hit path, where keywords cost a little more.)"""
        now = time.time()
        if now >= self._today_until:
            self._today, self._today_until = timezone.localdate(), now + 1.0
        day = self._today
        seen = (part_id, reader)
        # The common case on a busy page, answered without the lock. (The day first: once
        # it is today's, what `_seen` holds was seen today.)
        if day == self._seen_day and seen in self._seen:
            return False
        dropped = 0
        with self._lock:
            if day != self._seen_day:
                self._seen.clear()
                self._seen_day = day
            if seen in self._seen:
                return False
            self._seen[seen] = None
            if len(self._seen) > MAX_SEEN:
                self._seen.popitem(last=False)
            read = self._held[(part_id, reader, day)] = PendingRead(
                part_id, story_id, reader, user_id, day, now, source
            )
            if self.spool is not None:
                self.spool.write(read)
            if len(self._held) > self.max_held:
                self._held.popitem(last=False)
                self._dropped += 1
                dropped = self._dropped
            if len(self._held) >= self.batch_size:
                self.full.set()
        # Nothing flushes this buffer, or the database has long refused: say so now and
        # then, not on every page view.
        if dropped % 10_000 == 1:
            log.warning("The read buffer is full: the oldest reads go (%d so far)", dropped)
        return True

    def flush(self) -> int:
        """Write every read held, a batch per transaction; returns how many were newly
        counted. What could not be written stays held for the next flush. Never raises."""
        with self._flushing:
            with self._lock:
                taken = list(self._held.values())
                self._held = OrderedDict()
                self.full.clear()
                if self.spool is not None and taken:
                    self.spool.rotate()
            counted = 0
            for start in range(0, len(taken), self.batch_size):
                try:
                    counted += write_reads(taken[start : start + self.batch_size])
                except Exception:
                    log.exception("Reads could not be written; they are kept to try again")
                    self._keep(taken[start:])
                    if not connection.in_atomic_block:
                        with contextlib.suppress(Exception):
                            connection.close()  # a broken one is opened afresh next time
                    break
            else:
                # Everything taken, and so every rotated file (reads kept from a failed
                # flush were taken again here), is written.
                if self.spool is not None:
                    self.spool.written()
            return counted

    def _keep(self, unwritten: Sequence[PendingRead]) -> None:
        """Put back reads a flush could not write, before those taken since."""
        with self._lock:
            held = OrderedDict(((read.part_id, read.reader, read.day), read) for read in unwritten)
            held.update(self._held)
            dropped = 0
            while len(held) > self.max_held:
                held.popitem(last=False)
                dropped += 1
            self._held = held
        if dropped:
            log.warning(
                "The database has refused reads for a while: the %d oldest were dropped", dropped
            )

    def clear(self) -> None:
        """Forget everything held and seen (tests: one test's reads never reach the next)."""
        with self._lock:
            self._held.clear()
            self._seen.clear()
            self._seen_day = None
            self.full.clear()


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(model: type[Model], ids: set[int]) -> set[int]:
    """Which of these primary keys still exist: a part or an account may have gone since."""
    found: set[int] = set()
    for chunk in _chunks(sorted(ids), MAX_ROWS_PER_STATEMENT // 2):
        found.update(model.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    return found


def write_reads(reads: Sequence[PendingRead]) -> int:
    """Insert the reads not in the database yet and add exactly those to the counts on their
    parts and books, in one transaction. Returns how many were inserted.

    Rows and counts are written in one order (by part, then reader; parts and books by id),
    so that two processes flushing at once wait for each other instead of deadlocking."""
    if not reads:
        return 0
    meta = Read._meta
    quote = connection.ops.quote_name
    part, reader, user, day, at, source = (
        meta.get_field(name) for name in ("part", "reader", "user", "day", "created_at", "source")
    )
    columns = ", ".join(quote(field.column) for field in (part, reader, user, day, at, source))
    unique = ", ".join(quote(field.column) for field in (part, reader, day))
    per_statement = min(
        MAX_ROWS_PER_STATEMENT, (connection.features.max_query_params or 65_535) // 6
    )
    inserted: Counter[int] = Counter()
    with transaction.atomic():
        parts = _existing(Part, {read.part_id for read in reads})
        users = _existing(User, {read.user_id for read in reads if read.user_id is not None})
        rows = sorted(
            (read for read in reads if read.part_id in parts),
            key=lambda read: (read.part_id, read.reader, read.day),
        )
        story_of = {read.part_id: read.story_id for read in rows}
        # Values made ready for the database without a field method per row: a batch holds
        # a day or two, and the times are aware UTC already (what the field would check).
        days = {when: day.get_db_prep_value(when, connection) for when in {r.day for r in rows}}
        adapt_time = connection.ops.adapt_datetimefield_value
        with connection.cursor() as cursor:
            for chunk in _chunks(rows, per_statement):
                values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
                params: list = []
                for read in chunk:
                    params += [
                        read.part_id,
                        read.reader,
                        read.user_id if read.user_id in users else None,
                        days[read.day],
                        adapt_time(datetime.datetime.fromtimestamp(read.at, datetime.UTC)),
                        read.source,
                    ]
                cursor.execute(
                    f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values} "  # noqa: S608 - names from _meta
                    f"ON CONFLICT ({unique}) DO NOTHING RETURNING {quote(part.column)}",
                    params,
                )
                inserted.update(part_id for (part_id,) in cursor.fetchall())
            by_story: Counter[int] = Counter()
            for part_id, count in inserted.items():
                by_story[story_of[part_id]] += count
            _add_reads(cursor, Part, inserted)
            _add_reads(cursor, Story, by_story)
    return sum(inserted.values())


def _add_reads(cursor, model: type[Model], counts: Counter[int]) -> None:
    if not counts:
        return
    quote = connection.ops.quote_name
    meta = model._meta
    column = quote(meta.get_field("reads_count").column)
    cursor.executemany(
        f"UPDATE {quote(meta.db_table)} SET {column} = {column} + %s "  # noqa: S608 - names from _meta
        f"WHERE {quote(meta.pk.column)} = %s",
        [(count, pk) for pk, count in sorted(counts.items())],
    )


# The process's buffer, and the thread that flushes it.

default = ReadBuffer()
_thread: threading.Thread | None = None
_start_lock = threading.Lock()


def add(*, part_id: int, story_id: int, reader: str, user_id: int | None, source: str = "") -> bool:
    """Take a read into this process's buffer: True when it will be counted, False when this
    process already took this reader's read of this part today. Thread-safe, no I/O."""
    return default.add(
        part_id=part_id, story_id=story_id, reader=reader, user_id=user_id, source=source
    )


def flush() -> int:
    """Write the reads this process holds; returns how many were newly counted."""
    return default.flush()


def start() -> None:
    """Flush this process's reads from a daemon thread every READS_FLUSH_SECONDS, and once
    more when the process stops gracefully. Does nothing when already started."""
    global _thread
    with _start_lock:
        if _thread is not None and _thread.is_alive():
            return
        if _thread is None:
            # Granian's workers end normally on SIGTERM and SIGINT (their own handlers stop
            # the server, then the process exits), so the flush at exit runs there.
            atexit.register(flush)
            default.spool = Spool(spool_dir())
            # Before this process answers anyone: the reads of processes that were killed.
            _replay()
            connection.close()  # this thread's, back to the pool: requests run elsewhere
        _thread = threading.Thread(target=_flush_forever, name="read-buffer", daemon=True)
        _thread.start()


def spool_dir() -> Path:
    return Path(settings.VAR_DIR) / "reads"


def _replay() -> None:
    try:
        replay_orphans(spool_dir())
    except Exception:
        log.exception("Spooled reads could not be replayed")


def _flush_forever() -> None:
    """Never ends and never raises: flush() logs its failures and keeps the reads. Now and
    then it looks for spooled reads of processes that died (the database may have refused
    them when this one started)."""
    replayed_at = time.monotonic()
    while True:
        if time.monotonic() - replayed_at > REPLAY_SECONDS:
            _replay()
            replayed_at = time.monotonic()
        default.full.wait(timeout=settings.READS_FLUSH_SECONDS)
        try:
            default.flush()
        except Exception:
            log.exception("The read buffer could not be flushed; trying again")
