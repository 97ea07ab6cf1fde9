"""Backups: the whole archive in one portable file, and back again into an empty database.

A backup is a zip file holding

- `manifest.json`: the format version, the Storyhouse version, when it was made, the database
  it came from, the migrations applied per app, and how many rows each table holds;
- `data/<app>.<model>.jsonl`: one JSON object per row (field values by attribute name, so
  foreign keys are raw ids), for every table of every installed app, the auto-created
  many-to-many tables (Story.tags, User.hidden_tags, ...) included;
- `data/contenttypes.contenttype.jsonl` and `data/auth.permission.jsonl` by natural key only
  (`migrate` makes these rows on every database with ids of its own), and every reference to
  them written as that natural key, so a restore maps them onto the target's ids;
- `media/...`: the files under MEDIA_ROOT (covers).

Sessions are left out (a restored site signs everyone in again) and so is the full-text
table, which the restore writes again from the books.

The file is written while the site runs, from one snapshot: every table is read inside one
read-only transaction (REPEATABLE READ on PostgreSQL; a deferred read transaction on SQLite,
whose WAL journal keeps that reader's view fixed while writers go on). Rows are streamed in
chunks, so memory stays flat however large the archive is.

A restore goes into a migrated database that holds no books and no accounts (or any database
with `force`), in one transaction: either everything is restored or nothing is.
"""

import base64
import datetime
import decimal
import heapq
import importlib.metadata
import json
import os
import shutil
import tempfile
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "storyhouse-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CHUNK = 2000
# Made again on the target by `migrate` (contenttypes, permissions) or not worth moving.
NATURAL_KEY_MODELS = ("contenttypes.contenttype", "auth.permission")
SKIPPED_MODELS = ("sessions.session",)

Progress = Callable[[str, int], object]


class BackupError(Exception):
    """A backup that cannot be written or restored; the message is one line for a person."""


@dataclass
class BackupSummary:
    path: Path
    counts: dict[str, int]
    media_files: int
    size: int


@dataclass
class RestoreSummary:
    counts: dict[str, int]
    media_files: int
    warnings: list[str] = field(default_factory=list)


# Which tables, in which order


def data_models() -> list[type[models.Model]]:
    """Every table a backup holds rows of, in an order where each table comes after the
    tables it refers to (a table referring to itself, such as Comment.parent, is inserted
    whole in one transaction, whose foreign-key checks Django defers to the commit)."""
    found = {
        model._meta.label_lower: model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed
        and not model._meta.proxy
        and model._meta.label_lower not in NATURAL_KEY_MODELS + SKIPPED_MODELS
    }
    needs: dict[str, set[str]] = {label: set() for label in found}
    for label, model in found.items():
        for model_field in model._meta.concrete_fields:
            target = model_field.related_model
            if model_field.is_relation and target is not None:
                target_label = target._meta.concrete_model._meta.label_lower
                if target_label in found and target_label != label:
                    needs[label].add(target_label)
    # Kahn's algorithm, taking the alphabetically first ready table each time: the same
    # order on every machine.
    waiting = {label: len(targets) for label, targets in needs.items()}
    users: dict[str, list[str]] = {label: [] for label in found}
    for label, targets in needs.items():
        for target in targets:
            users[target].append(label)
    ready = [label for label, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        label = heapq.heappop(ready)
        order.append(label)
        for user in users[label]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, user)
    # A cycle between tables (none today) still restores: the checks wait for the commit.
    order += sorted(set(found) - set(order))
    return [found[label] for label in order]


def _member(label: str) -> str:
    return f"data/{label}.jsonl"


def _special_field(model_field: models.Field) -> str | None:
    """'contenttype' or 'permission' for a reference written by natural key, else None."""
    if not model_field.is_relation or model_field.related_model is None:
        return None
    if model_field.related_model is ContentType:
        return "contenttype"
    if model_field.related_model is Permission:
        return "permission"
    return None


# Values to JSON and back


def _to_json(value: object) -> object:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()  # full precision, unlike DjangoJSONEncoder
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    raise TypeError(f"cannot write {type(value).__name__} to a backup")


def _from_json(model_field: models.Field, value: object) -> object:
    if value is None:
        return None
    if isinstance(model_field, models.JSONField):
        return value
    if isinstance(model_field, models.BinaryField):
        return base64.b64decode(value)
    if isinstance(model_field, models.DurationField):
        return datetime.timedelta(seconds=value)
    return model_field.to_python(value)


# Writing


def storyhouse_version() -> str:
    try:
        return importlib.metadata.version("storyhouse")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def applied_migrations() -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app_label, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app_label, []).append(name)
    return applied


@contextmanager
def _snapshot() -> Iterator[None]:
    """One read transaction for the whole backup, so every table shows the same moment."""
    if connection.in_atomic_block:
        # Called inside a transaction already (a test, a caller's own): that one is the snapshot.
        yield
        return
    if connection.vendor == "sqlite":
        # Settings make Storyhouse's transactions BEGIN IMMEDIATE, which would take the write
        # lock for as long as the backup runs. A deferred BEGIN only starts a read
        # transaction at the first SELECT; in WAL mode that reader keeps its view while
        # others write.
        connection.ensure_connection()
        mode = connection.transaction_mode
        connection.transaction_mode = "DEFERRED"
        try:
            with transaction.atomic():
                connection.transaction_mode = mode
                yield
                transaction.set_rollback(True)  # read only: nothing to commit
        finally:
            connection.transaction_mode = mode
    else:
        with transaction.atomic():
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield
            transaction.set_rollback(True)


def _write_rows(archive: zipfile.ZipFile, name: str, rows: Iterator[dict]) -> int:
    count = 0
    # A ZipInfo of our own: one made from the name alone is dated 1980.
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as out:
        buffer: list[str] = []
        for row in rows:
            buffer.append(json.dumps(row, default=_to_json, ensure_ascii=False, sort_keys=True))
            count += 1
            if len(buffer) >= CHUNK:
                out.write(("\n".join(buffer) + "\n").encode())
                buffer = []
        if buffer:
            out.write(("\n".join(buffer) + "\n").encode())
    return count


def _model_rows(model: type[models.Model], natural: dict[str, dict[int, list]]) -> Iterator[dict]:
    fields = list(model._meta.concrete_fields)
    names = [f.attname for f in fields]
    special = {f.attname: _special_field(f) for f in fields if _special_field(f)}
    queryset = model._base_manager.order_by("pk").values_list(*names)
    for values in queryset.iterator(chunk_size=CHUNK):
        row = dict(zip(names, values, strict=True))
        for attname, kind in special.items():
            if row[attname] is not None:
                row[attname] = natural[kind][row[attname]]
        yield row


def backup_write(
    path: str | os.PathLike, *, progress: Progress | None = None, overwrite: bool = False
) -> BackupSummary:
    """Write the whole archive to `path` from one snapshot of the database, plus the media
    files. `progress(table, rows)` is told after each table. The file appears whole or not
    at all: it is written beside `path` under another name first."""
    target = Path(path)
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists already: give another name, or --force to replace it")
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent} is not a folder")
    handle, temporary = tempfile.mkstemp(prefix=".backup-", suffix=".zip", dir=target.parent)
    os.close(handle)
    counts: dict[str, int] = {}
    try:
        with (
            zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive,
            _snapshot(),
        ):
            created = timezone.now()
            migrations = applied_migrations()
            contenttypes = {
                pk: [app_label, model]
                for pk, app_label, model in ContentType.objects.values_list(
                    "pk", "app_label", "model"
                ).order_by("pk")
            }
            permission_rows = list(
                Permission.objects.order_by("pk").values_list(
                    "pk", "content_type_id", "codename", "name"
                )
            )
            permissions = {
                pk: [*contenttypes[content_type_id], codename]
                for pk, content_type_id, codename, _name in permission_rows
            }
            natural = {"contenttype": contenttypes, "permission": permissions}
            counts["contenttypes.contenttype"] = _write_rows(
                archive,
                _member("contenttypes.contenttype"),
                ({"app_label": a, "model": m} for a, m in contenttypes.values()),
            )
            counts["auth.permission"] = _write_rows(
                archive,
                _member("auth.permission"),
                (
                    {"app_label": a, "model": m, "codename": c, "name": name}
                    for (a, m, c), (*_, name) in zip(
                        permissions.values(), permission_rows, strict=True
                    )
                ),
            )
            for model in data_models():
                label = model._meta.label_lower
                counts[label] = _write_rows(archive, _member(label), _model_rows(model, natural))
                if progress is not None:
                    progress(label, counts[label])
            media_files = _write_media(archive)
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "storyhouse_version": storyhouse_version(),
                "created_at": created.isoformat(),
                "database_vendor": connection.vendor,
                "migrations": migrations,
                "counts": counts,
                "media_files": media_files,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return BackupSummary(target, counts, media_files, target.stat().st_size)


def _write_media(archive: zipfile.ZipFile) -> int:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return 0
    count = 0
    for file in sorted(root.rglob("*")):
        if file.is_file() and not file.is_symlink():
            # Covers are JPEG already: deflating them again only costs time.
            archive.write(
                file,
                "media/" + file.relative_to(root).as_posix(),
                compress_type=zipfile.ZIP_STORED,
            )
            count += 1
    return count


# Reading


def _open(path: str | os.PathLike) -> tuple[zipfile.ZipFile, dict]:
    source = Path(path)
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile:
        raise BackupError(f"{source} is not a Storyhouse backup (not a zip file)") from None
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        archive.close()
        raise BackupError(f"{source} is not a Storyhouse backup (no {MANIFEST})") from None
    except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError) as error:
        archive.close()
        raise BackupError(f"{source} is damaged: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        archive.close()
        raise BackupError(f"{source} is not a Storyhouse backup (unknown {MANIFEST})")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        archive.close()
        raise BackupError(
            f"{source} was written in backup format {version} by Storyhouse "
            f"{manifest.get('storyhouse_version', '?')}; this Storyhouse reads format "
            f"{FORMAT_VERSION}: upgrade Storyhouse to restore it"
        )
    return archive, manifest


def backup_manifest(path: str | os.PathLike) -> dict:
    archive, manifest = _open(path)
    archive.close()
    return manifest


def _rows(archive: zipfile.ZipFile, label: str) -> Iterator[dict]:
    try:
        with archive.open(_member(label)) as stream:
            for number, line in enumerate(stream, start=1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except ValueError:
                        raise BackupError(
                            f"the backup is damaged: line {number} of {_member(label)}"
                        ) from None
    except KeyError:
        raise BackupError(f"the backup is damaged: {_member(label)} is missing") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
        raise BackupError(f"the backup is damaged: {_member(label)}: {error}") from None


def _check_migrations(manifest: dict) -> list[str]:
    """Refuse a backup from a newer schema; warn about one from an older schema."""
    here = applied_migrations()
    theirs = manifest.get("migrations") or {}
    warnings = []
    for app_label, names in sorted(theirs.items()):
        missing = sorted(set(names) - set(here.get(app_label, [])))
        if missing:
            raise BackupError(
                f"the backup comes from a newer database (migration {app_label}.{missing[-1]} "
                "is not applied here): upgrade Storyhouse, run `storyhouse migrate`, then restore"
            )
    newer = sorted(
        f"{app_label}.{name}"
        for app_label, names in here.items()
        for name in set(names) - set(theirs.get(app_label, []))
    )
    if newer:
        warnings.append(
            f"the backup comes from an older database ({len(newer)} migrations newer here, "
            f"such as {newer[0]}): its rows were loaded into today's tables, with defaults for "
            "the fields it lacks; data changes those migrations made were not applied"
        )
    return warnings


def _natural_key_maps(archive: zipfile.ZipFile) -> dict[str, dict[tuple, int]]:
    """The target's ids for the content types and permissions the backup names, making any
    it lacks (a table of an app no longer installed, a custom permission)."""
    contenttypes: dict[tuple, int] = {}
    for row in _rows(archive, "contenttypes.contenttype"):
        key = (row["app_label"], row["model"])
        contenttypes[key] = ContentType.objects.get_or_create(app_label=key[0], model=key[1])[0].pk
    permissions: dict[tuple, int] = {}
    for row in _rows(archive, "auth.permission"):
        key = (row["app_label"], row["model"], row["codename"])
        content_type_id = contenttypes.get(key[:2]) or (
            ContentType.objects.get_or_create(app_label=key[0], model=key[1])[0].pk
        )
        permissions[key] = Permission.objects.get_or_create(
            content_type_id=content_type_id,
            codename=key[2],
            defaults={"name": row.get("name") or key[2]},
        )[0].pk
    return {"contenttype": contenttypes, "permission": permissions}


def archive_is_empty() -> bool:
    """No books and no accounts: only what `migrate` makes (ratings, archive warnings)."""
    from storyhouse.accounts.models import User
    from storyhouse.stories.models import Story

    return not Story.objects.exists() and not User.objects.exists()


def _empty_tables(tables: list[type[models.Model]]) -> None:
    """Remove every row the restore is about to replace (and sessions, whose user ids would
    now name other people). Foreign-key checks wait for the commit, so order is only a
    courtesy."""
    with connection.cursor() as cursor:
        sessions = (
            [apps.get_model("sessions", "Session")]
            if apps.is_installed("django.contrib.sessions")
            else []
        )
        for model in [*reversed(tables), *sessions]:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608


def _insert(model: type[models.Model], objects: list[models.Model], fields: list) -> None:
    # A raw insert, as `loaddata` does: bulk_create would stamp auto_now(_add) fields with
    # the present time instead of the dates the backup holds.
    batch = max(1, min(CHUNK, connection.ops.bulk_batch_size(fields, objects)))
    for start in range(0, len(objects), batch):
        model._base_manager._insert(objects[start : start + batch], fields=fields, raw=True)


def _restore_table(
    archive: zipfile.ZipFile,
    model: type[models.Model],
    maps: dict[str, dict[tuple, int]],
    warnings: list[str],
) -> int:
    label = model._meta.label_lower
    fields = list(model._meta.concrete_fields)
    by_name = {f.attname: f for f in fields}
    special = {f.attname: _special_field(f) for f in fields if _special_field(f)}
    count = 0
    unknown: set[str] = set()
    batch: list[models.Model] = []
    for row in _rows(archive, label):
        values = {}
        for name, value in row.items():
            model_field = by_name.get(name)
            if model_field is None:
                unknown.add(name)
                continue
            if name in special and value is not None:
                value = maps[special[name]][tuple(value)]
            try:
                values[name] = _from_json(model_field, value)
            except Exception as error:
                raise BackupError(
                    f"the backup is damaged: {label} row {count + 1}, {name}: {error}"
                ) from None
        batch.append(model(**values))
        count += 1
        if len(batch) >= CHUNK:
            _insert(model, batch, fields)
            batch = []
    if batch:
        _insert(model, batch, fields)
    if unknown:
        warnings.append(
            f"{label}: fields this Storyhouse no longer has were left out: "
            + ", ".join(sorted(unknown))
        )
    return count


def _restore_media(archive: zipfile.ZipFile) -> int:
    root = Path(settings.MEDIA_ROOT).resolve()
    count = 0
    for info in archive.infolist():
        if not info.filename.startswith("media/") or info.is_dir():
            continue
        relative = PurePosixPath(info.filename).relative_to("media")
        target = (root / relative).resolve()
        if root not in target.parents:  # a crafted name such as media/../../etc/x
            raise BackupError(f"the backup is damaged: {info.filename} points outside media/")
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with archive.open(info) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out)
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:
            raise BackupError(f"the backup is damaged: {info.filename}: {error}") from None
        count += 1
    return count


def backup_restore(
    path: str | os.PathLike, *, force: bool = False, progress: Progress | None = None
) -> RestoreSummary:
    """Restore a backup into this (migrated) database, in one transaction. Refuses a
    database holding books or accounts unless `force`, which replaces them."""
    from storyhouse.discovery import fulltext

    archive, manifest = _open(path)
    with archive:
        warnings = _check_migrations(manifest)
        known = set(manifest.get("counts", {}))
        counts: dict[str, int] = {}
        try:
            with transaction.atomic():
                if not force and not archive_is_empty():
                    raise BackupError(
                        "this database holds books or accounts already: restore into an empty "
                        "one (`storyhouse migrate` on a new database), or give --force to "
                        "replace everything in it"
                    )
                tables = data_models()
                _empty_tables(tables)
                maps = _natural_key_maps(archive)
                for model in tables:
                    label = model._meta.label_lower
                    if label not in known:
                        warnings.append(f"{label}: not in the backup, left empty")
                        continue
                    counts[label] = _restore_table(archive, model, maps, warnings)
                    if counts[label] != manifest["counts"][label]:
                        raise BackupError(
                            f"the backup is damaged: {label} holds {counts[label]} rows, "
                            f"its manifest says {manifest['counts'][label]}"
                        )
                    if progress is not None:
                        progress(label, counts[label])
                left_out = sorted(
                    known - {m._meta.label_lower for m in tables} - set(NATURAL_KEY_MODELS)
                )
                if left_out:
                    warnings.append(
                        "tables this Storyhouse does not have were left out: " + ", ".join(left_out)
                    )
                # Every reference must land on a row, now rather than at the commit, so a
                # broken backup is reported as such.
                connection.check_constraints()
                # New rows must not take numbers the restored rows hold.
                with connection.cursor() as cursor:
                    for sql in connection.ops.sequence_reset_sql(no_style(), tables):
                        cursor.execute(sql)
                fulltext.rebuild()
                media_files = _restore_media(archive)
        except DatabaseError as error:
            message = " ".join(str(error).split())
            raise BackupError(f"the backup's rows do not fit this database: {message}") from None
    return RestoreSummary(counts, media_files, warnings)
