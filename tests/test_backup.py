"""`storyhouse backup` and `storyhouse restore`: every row back as it was, from one snapshot,
and from SQLite to PostgreSQL and back."""

import datetime
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from storyhouse.accounts import tokens
from storyhouse.accounts.models import User
from storyhouse.backup import BackupError, backup_restore, backup_write, data_models
from storyhouse.discovery import fulltext
from storyhouse.engagement import services as engagement
from storyhouse.engagement.models import Read, Vote
from storyhouse.stories import covers, series, services
from storyhouse.stories.models import Part, PartState, Series, Story, Tag, TagType
from tests.helpers import write_book

PASSWORDS = {"alice": "alice-password-1", "bob": "bob-password-1", "carol": "carol-password-1"}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def make_archive(alice: User, bob: User) -> dict:
    """A small archive with one of everything a backup must carry."""
    carol = User.objects.create_user("carol", "carol@example.org", PASSWORDS["carol"])
    wranglers = Group.objects.create(name="Wranglers")
    wranglers.permissions.add(Permission.objects.get(codename="change_tag"))
    bob.groups.add(wranglers)
    alice.user_permissions.add(Permission.objects.get(codename="view_story"))

    # A synonym made before its canonical tag: the synonym points at a higher id.
    synonym = services.tag_get_or_create("hero villain", type=TagType.TROPE)
    trope = services.tag_make_canonical(
        services.tag_get_or_create("Hero/Villain", type=TagType.TROPE)
    )
    services.tag_make_synonym(synonym, of=trope)
    fandom = services.tag_make_canonical(
        services.tag_get_or_create("My Hero Academia", type=TagType.FANDOM)
    )
    character = services.tag_make_canonical(
        services.tag_get_or_create("Midoriya Izuku", type=TagType.CHARACTER)
    )
    services.tag_set_parents(character, [fandom])
    bob.hidden_tags.add(services.warning_tag("canonical character death"))

    story = write_book(alice, "The Lighthouse Keeper", 2, tags=[fandom, character, synonym])
    story.cover = covers.cover_store(covers.cover_generated(story.title, ["Alice"]))
    story.save(update_fields=["cover"])
    first, second = story.parts.order_by("position")
    services.part_save(
        Part(
            story=story,
            title="A draft",
            body="<p>Not yet.</p>",
            notes_before="<p>Before.</p>",
            notes_after="<p>After.</p>",
            description="<p>What happens.</p>",
            sources={"body": "Not *yet*.", "notes_before": "Before."},
            body_format="markdown",
            state=PartState.DRAFT,
        ),
        tags=[trope],
        edited_by=alice,
    )
    second_book = write_book(bob, "Second Book", 1)

    first.refresh_from_db()
    paragraph = re.search(r'<p id="([^"]+)"', first.body).group(1)
    top = engagement.comment_post(author=bob, part=first, body="Lovely.", paragraph=paragraph)
    reply = engagement.comment_post(author=alice, part=first, body="Thank you!", parent=top)
    engagement.comment_post(author=carol, part=first, body="Agreed.", parent=reply)
    engagement.vote_toggle(user=bob, part=first, voted=True)
    engagement.vote_toggle(user=carol, part=second, voted=True)
    today = datetime.date.today()
    Read.objects.create(part=first, reader=f"u{bob.pk}", user=bob, day=today)
    Read.objects.create(part=first, reader="gcookie123", day=today)
    engagement.progress_record(user=bob, part=first, paragraph=paragraph)
    engagement.library_add(user=bob, story=story)
    shelf = engagement.reading_list_create(owner=bob, title="Comfort reads", public=True)
    engagement.reading_list_add(user=bob, reading_list=shelf, story=story)
    engagement.reading_list_add(user=bob, reading_list=shelf, story=second_book)
    engagement.follow(follower=bob, writer=alice)
    engagement.notification_settings_save(user=bob, new_part="daily")
    saga = services.series_save(Series(title="The Saga", owner=alice))
    series.series_add(saga, story)
    _token, raw_token = tokens.token_create(bob, "Kobo")
    LogEntry.objects.create(
        user=alice,
        content_type=ContentType.objects.get_for_model(Story),
        object_id=str(story.pk),
        object_repr=story.title,
        action_flag=ADDITION,
    )
    fulltext.rebuild()
    return {"story": story, "raw_token": raw_token}


def dump() -> dict[str, list[dict]]:
    """Every row of every table a backup holds, by table, ordered by id."""
    rows = {
        model._meta.label_lower: list(model._base_manager.order_by("pk").values())
        for model in data_models()
    }
    # Ids the target's `migrate` chooses: compared by natural key.
    rows["contenttypes.contenttype"] = sorted(ContentType.objects.values_list("app_label", "model"))
    rows["auth.permission"] = sorted(
        Permission.objects.values_list("content_type__app_label", "codename", "name")
    )
    return rows


def backup_data(path: Path) -> dict[str, list]:
    """The rows a backup file holds, by table (natural keys for content types)."""
    with zipfile.ZipFile(path) as archive:
        return {
            name: [json.loads(line) for line in archive.read(name).splitlines()]
            for name in archive.namelist()
            if name.startswith("data/")
        }


def media_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def run_command(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exit:
        return exit.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_round_trip_restores_every_row(alice, bob, tmp_path, media_root):
    made = make_archive(alice, bob)
    before = dump()
    covers_before = media_files(media_root)
    assert len(covers_before) == 3  # page, thumb, ebook
    assert all(before[label] for label in ("stories.tag_parents", "accounts.user_hidden_tags"))
    path = tmp_path / "site.zip"

    code, out, err = run_command("backup", str(path))
    assert code == 0, err
    assert "1 books" not in out and "2 books, 4 parts" in out and "3 accounts" in out

    # Life goes on after the backup: all of it is undone by the restore.
    write_book(bob, "Written After The Backup", 1)
    Vote.objects.all().delete()
    User.objects.filter(username="carol").update(email="changed@example.org")
    shutil.rmtree(media_root)

    code, out, err = run_command("restore", str(path))
    assert code == 1 and err.count("\n") == 1 and "--force" in err
    code, out, err = run_command("restore", str(path), "--force")
    assert code == 0, err
    assert "Restored" in out and "2 books, 4 parts" in out

    after = dump()
    for label, rows in before.items():
        assert after[label] == rows, label
    assert media_files(media_root) == covers_before

    # People sign in with their passwords, and tokens still work.
    for username, password in PASSWORDS.items():
        assert Client().login(username=username, password=password), username
    page = Client().get(
        reverse("accounts:settings"), HTTP_AUTHORIZATION=f"Bearer {made['raw_token']}"
    )
    assert page.status_code == 200 and "@bob" in page.content.decode()
    bob = User.objects.get(username="bob")
    assert bob.has_perm("stories.change_tag") and not bob.has_perm("stories.delete_tag")
    assert User.objects.get(username="alice").has_perm("stories.view_story")
    # Search finds the books again, and new rows take new numbers.
    assert made["story"].pk in fulltext.scores("lighthouse")
    newer = write_book(bob, "After The Restore", 1)
    assert newer.pk > max(row["id"] for row in before["stories.story"])
    Tag.objects.create(name="Brand New", slug="brand-new", type=TagType.TROPE)


def test_restore_refuses_a_database_with_accounts(alice, tmp_path):
    path = tmp_path / "site.zip"
    backup_write(path)
    with pytest.raises(BackupError, match="holds books or accounts already"):
        backup_restore(path)


def test_backup_does_not_overwrite_a_file(db, tmp_path):
    path = tmp_path / "site.zip"
    path.write_text("keep me")
    code, _out, err = run_command("backup", str(path))
    assert code == 1 and "exists already" in err and err.count("\n") == 1
    assert path.read_text() == "keep me"
    assert run_command("backup", str(path), "--force")[0] == 0
    assert zipfile.is_zipfile(path)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".backup-")]


def rewrite(path: Path, name: str, change) -> None:
    """Replace one member of a zip file by change(its bytes)."""
    with zipfile.ZipFile(path) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    members[name] = change(members[name])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, data in members.items():
            archive.writestr(member, data)


def future_manifest(key: str, value):
    def change(data: bytes) -> bytes:
        manifest = json.loads(data)
        manifest[key] = value(manifest[key])
        return json.dumps(manifest).encode()

    return change


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda path: path.write_text("hello"), "is not a Storyhouse backup (not a zip file)"),
        (lambda path: path.write_bytes(path.read_bytes()[:2000]), "not a zip file"),
        (
            lambda path: rewrite(
                path, "manifest.json", future_manifest("format_version", lambda _: 99)
            ),
            "format 99",
        ),
        (
            lambda path: rewrite(
                path,
                "manifest.json",
                future_manifest("migrations", lambda m: {**m, "stories": ["9999_future"]}),
            ),
            "newer database (migration stories.9999_future",
        ),
        (
            lambda path: rewrite(path, "data/stories.part.jsonl", lambda data: data[:-40]),
            "damaged",
        ),
        (
            lambda path: rewrite(path, "data/stories.story.jsonl", lambda data: b""),
            "damaged: stories.story holds 0 rows, its manifest says 1",
        ),
    ],
    ids=["not-a-zip", "truncated", "format-version", "newer-schema", "bad-json", "missing-rows"],
)
def test_bad_backups_get_one_line_and_change_nothing(alice, tmp_path, spoil, message):
    write_book(alice, "Kept Safe", 2)
    path = tmp_path / "site.zip"
    backup_write(path)
    spoil(path)
    Story.objects.update(title="Still Here")
    code, _out, err = run_command("restore", str(path), "--force")
    assert code == 1 and message in err and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert list(Story.objects.values_list("title", flat=True)) == ["Still Here"]
    assert Part.objects.count() == 2 and User.objects.filter(username="alice").exists()


def test_a_corrupt_zip_is_refused(alice, tmp_path):
    write_book(alice, "Kept Safe", 2)
    path = tmp_path / "site.zip"
    backup_write(path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("data/stories.part.jsonl")
    middle = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[middle : middle + 8] = b"\x00garbage"
    path.write_bytes(bytes(data))
    code, _out, err = run_command("restore", str(path), "--force")
    assert code == 1 and "damaged" in err and err.count("\n") == 1, err
    assert Part.objects.count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_backup_is_one_snapshot_while_the_site_writes(tmp_path):
    alice = User.objects.create_user("alice", "alice@example.org", PASSWORDS["alice"])
    readers = [User.objects.create_user(f"reader{n}", f"r{n}@example.org", "pw") for n in range(6)]
    story = write_book(alice, "Busy Book", 2)
    first, second = story.parts.order_by("position")
    for reader in readers[:3]:
        engagement.vote_toggle(user=reader, part=first, voted=True)
    errors: list[BaseException] = []

    def site_writes() -> None:
        try:
            for reader in readers:
                engagement.vote_toggle(user=reader, part=second, voted=True)
            engagement.vote_toggle(user=readers[4], part=first, voted=True)
            engagement.comment_post(author=readers[5], part=first, body="Written meanwhile.")
            services.part_save(
                Part(story=story, title="Chapter 3", body="<p>New.</p>", state="published"),
                edited_by=alice,
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    def between_tables(table: str, _rows: int) -> None:
        # Parts have been read, votes not yet: the site writes both now, and the backup must
        # still see neither.
        if table == "stories.part":
            writer = threading.Thread(target=site_writes)
            writer.start()
            writer.join(timeout=30)
            assert not writer.is_alive(), "the writer waited on the backup"

    path = tmp_path / "busy.zip"
    summary = backup_write(path, progress=between_tables)
    assert not errors, errors
    # The writes happened while the backup ran, and are not in it.
    assert Vote.objects.count() == 3 + 6 + 1 and Part.objects.count() == 3
    assert summary.counts["engagement.vote"] == 3 and summary.counts["stories.part"] == 2
    assert summary.counts["engagement.comment"] == 0

    backup_restore(path, force=True)
    assert Vote.objects.count() == 3 and Part.objects.count() == 2
    for part in Part.objects.all():
        assert part.votes_count == Vote.objects.filter(part=part).count()
        assert part.comments_count == part.comments.count()
    restored = Story.objects.get()
    assert restored.parts_count == 2
    assert restored.votes_count == 3


# Moving between SQLite and PostgreSQL

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def postgres_admin():
    """A connection to the PostgreSQL server (to make a scratch database), or a skip."""
    import psycopg

    try:
        return psycopg.connect(POSTGRES_URL, connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as error:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"needs PostgreSQL at {POSTGRES_URL} (set TEST_POSTGRES_URL): {error}")


@pytest.fixture
def other_database(tmp_path):
    """The address of an empty database of the other kind: PostgreSQL when the tests run on
    SQLite, and the other way round."""
    if connection.vendor == "postgresql":
        yield f"sqlite:///{tmp_path / 'moved.sqlite3'}"
        return
    name = f"sh_backup_move_{os.getpid()}"
    with postgres_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def storyhouse(database_url: str, var_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "STORYHOUSE_VAR_DIR": str(var_dir)}
    return subprocess.run(  # noqa: S603 - our own command, with arguments we chose
        [sys.executable, "-m", "storyhouse.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=django_settings.BASE_DIR,
    )


def test_an_archive_moves_to_the_other_database_and_back(
    alice, bob, tmp_path, media_root, other_database
):
    make_archive(alice, bob)
    before = dump()
    covers_before = media_files(media_root)
    here = tmp_path / "here.zip"
    backup_write(here)

    var_dir = tmp_path / "other-var"
    for args in (["migrate", "-v0"], ["restore", str(here)]):
        done = storyhouse(other_database, var_dir, *args)
        assert done.returncode == 0, done.stderr
    assert "2 books, 4 parts" in done.stdout
    assert media_files(var_dir / "media") == covers_before
    there = tmp_path / "there.zip"
    done = storyhouse(other_database, var_dir, "backup", str(there))
    assert done.returncode == 0, done.stderr
    # Every row came through the other database unchanged.
    assert backup_data(there) == backup_data(here)
    with zipfile.ZipFile(there) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["database_vendor"] != connection.vendor

    # And back: the other database's backup restores here.
    shutil.rmtree(media_root)
    backup_restore(there, force=True)
    after = dump()
    for label, rows in before.items():
        assert after[label] == rows, label
    assert media_files(media_root) == covers_before
    assert Client().login(username="bob", password=PASSWORDS["bob"])
