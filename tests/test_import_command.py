"""`storyhouse import` as a person runs it: in a shell, on files, against its own database.

Every run gets its own var/ folder and SQLite file (copied from one database migrated once
for this module), so these tests never touch a real database.
"""

import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLE

STORYHOUSE = Path(sys.executable).parent / "storyhouse"
TITLE = "Love Doesn't Always Mean A Happy Ending"
BOOK_PATH = "/stories/1-one-for-all-and-izuku-midoriya-one-shots/"
PART_PATH = BOOK_PATH + "parts/1-love-doesnt-always-mean-a-happy-ending/"


def environment(var_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env.update(
        STORYHOUSE_VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{var_dir / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="storyhouse.settings",
    )
    return env


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    var_dir = tmp_path_factory.mktemp("migrated")
    done = subprocess.run(  # noqa: S603 (our own command, our own arguments)
        [STORYHOUSE, "migrate", "--no-input", "-v", "0"],
        env=environment(var_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return var_dir


class Site:
    """One installation: its var/ folder, its database, and its `storyhouse` command."""

    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        self.database = var_dir / "db.sqlite3"

    def run(self, *args: str | Path) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603
            [STORYHOUSE, *map(str, args)],
            env=environment(self.var_dir),
            cwd=self.var_dir,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def query(self, sql: str, *params) -> list[tuple]:
        with sqlite3.connect(self.database) as connection:
            return connection.execute(sql, params).fetchall()

    def dump(self) -> list[str]:
        connection = sqlite3.connect(self.database)
        try:
            return list(connection.iterdump())
        finally:
            connection.close()

    def owners(self) -> list[tuple[str, str, str]]:
        """(username, book title, part title) for every part there is."""
        return self.query(
            "SELECT u.username, s.title, p.title FROM stories_part p"
            " JOIN stories_story s ON s.id = p.story_id"
            " JOIN stories_authorship a ON a.story_id = s.id"
            " JOIN accounts_user u ON u.id = a.user_id ORDER BY p.id"
        )


@pytest.fixture
def site(migrated, tmp_path) -> Site:
    var_dir = tmp_path / "var"
    shutil.copytree(migrated, var_dir)
    return Site(var_dir)


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def another_one_shot(folder: Path) -> Path:
    """A second part page of the same book."""
    text = SAMPLE.read_text(encoding="utf-8").replace(
        "Love Doesn't Always Mean A Happy Ending", "The Ninth and the Vestiges", 1
    )
    return write(folder, "ninth.txt", text)


def test_the_sample_is_imported_without_saying_its_format(site):
    done = site.run("import", SAMPLE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["created", PART_PATH]
    assert done.stderr == ""
    assert site.owners() == [
        ("imported", "One For All and Izuku Midoriya One-Shots", TITLE),
    ]
    assert site.query(
        "SELECT imported_reads, imported_votes, imported_comments FROM stories_part"
    ) == [(583, 4, 2)]


def test_the_format_can_be_named(site):
    done = site.run("import", "--format", "wattpad-text", SAMPLE)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["created", PART_PATH]


COUNT_CHANGES_AND_REVISIONS = (
    "SELECT (SELECT count(*) FROM stories_change), (SELECT count(*) FROM stories_partrevision)"
)
UPDATED_AT = "SELECT (SELECT updated_at FROM stories_part), (SELECT updated_at FROM stories_story)"


def test_importing_the_same_file_again_changes_nothing(site):
    assert site.run("import", SAMPLE).returncode == 0
    before = site.dump()
    counted = site.query(COUNT_CHANGES_AND_REVISIONS)
    updated = site.query(UPDATED_AT)

    again = site.run("import", SAMPLE)

    assert again.returncode == 0, again.stderr
    assert again.stdout.split() == ["unchanged", PART_PATH]
    assert site.query(COUNT_CHANGES_AND_REVISIONS) == counted
    assert site.query(UPDATED_AT) == updated
    assert site.dump() == before


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "this is not a text file"),
        (b"", "the file is empty"),
        ("Only a title\n", "not a format Storyhouse recognises"),
        (
            # Parses, but a trope name longer than a tag name may be fails when written.
            SAMPLE.read_text(encoding="utf-8").replace("Hero/Villain", "enemies to lovers " * 10),
            "at most 150 characters",
        ),
    ],
    ids=["binary", "empty", "only-a-title", "trope-too-long"],
)
def test_a_malformed_file_is_refused_in_one_line_and_nothing_is_written(
    site, tmp_path, content, reason
):
    path = write(tmp_path, "malformed.txt", content)
    before = site.dump()

    done = site.run("import", path)

    assert done.returncode != 0
    assert done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"{path}: ")
    assert reason in line
    assert site.dump() == before


def test_of_several_files_the_good_ones_are_imported_and_the_bad_one_named(site, tmp_path):
    bad = write(tmp_path, "bad.txt", b"\x00\x01\x02binary")
    ninth = another_one_shot(tmp_path)

    done = site.run("import", SAMPLE, bad, ninth)

    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"created   {PART_PATH}",
        f"created   {BOOK_PATH}parts/2-the-ninth-and-the-vestiges/",
    ]
    assert done.stderr.splitlines() == [
        f"{bad}: this is not a text file",
        "2 of 3 files imported, 2 parts written, 1 failed",
    ]
    assert [part for _user, _book, part in site.owners()] == [TITLE, "The Ninth and the Vestiges"]


def test_author_names_the_account_the_parts_belong_to(site, tmp_path):
    assert site.run("import", "--author", "midnightreader", SAMPLE).returncode == 0
    assert site.run("import", another_one_shot(tmp_path)).returncode == 0
    assert site.owners() == [
        ("midnightreader", "One For All and Izuku Midoriya One-Shots", TITLE),
        ("imported", "One For All and Izuku Midoriya One-Shots", "The Ninth and the Vestiges"),
    ]
    # The account exists but no one can sign in to it with a password.
    ((password,),) = site.query(
        "SELECT password FROM accounts_user WHERE username = ?", "midnightreader"
    )
    assert password.startswith("!")


def test_an_author_name_that_cannot_be_a_username_is_refused(site):
    before = site.dump()
    done = site.run("import", "--author", "no spaces/allowed", SAMPLE)
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["--author: 'no spaces/allowed' is not a valid username"]
    assert site.dump() == before


def test_the_printed_path_is_the_page_of_the_part(site):
    done = site.run("import", SAMPLE)
    ((story_id, story_slug, part_id, part_slug),) = site.query(
        "SELECT s.id, s.slug, p.id, p.slug FROM stories_part p"
        " JOIN stories_story s ON s.id = p.story_id"
    )
    path = re.search(r"/stories/\S+", done.stdout)[0]
    assert path == f"/stories/{story_id}-{story_slug}/parts/{part_id}-{part_slug}/"
