"""Books for the export tests, and the Debian tools that check what Storyhouse writes."""

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from storyhouse.accounts.models import User
from storyhouse.stories import services
from storyhouse.stories.models import (
    BodyFormat,
    Part,
    PartState,
    Series,
    SeriesEntry,
    Story,
    Tag,
    TagType,
    Visibility,
)

# A short-lived Java machine: the quick compiler alone and one garbage collector thread
# halve the time a check takes.
JAVA = ["java", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
EPUBCHECK_JAR = "/usr/share/java/epubcheck.jar"
EPUBCHECK = [*JAVA, "-jar", EPUBCHECK_JAR]
# epubcheck's command checks one file per Java machine, which takes seconds to start: this
# runs its checker on many files in one (a single-file Java program, which needs the JDK).
CHECK_MANY = """
public class CheckMany {
    public static void main(String[] files) {
        for (String file : files) {
            String[] arguments = {file, "--json", file + ".json"};
            new com.adobe.epubcheck.tool.EpubChecker().run(arguments);
        }
    }
}
"""

AWKWARD_TITLE = 'Ἡ Ὀδύσσεια & <the "Sea"> 🌊'
AWKWARD_BODY = (
    "Fish & chips < 3 \"quoted\" and 'single' — an emoji 🐙 and a non‑breaking\u00a0space.\n"
    "\n"
    "A second paragraph with **bold**, a [link](https://example.org/a?b=1&c=2) and a line  \n"
    "break.\n"
    "\n"
    "> A quotation.\n"
    "\n"
    "- one\n"
    "- two\n"
)


def write_awkward_book(alice: User) -> Story:
    """Everything an export must carry safely: markup characters, emoji, a Greek title, a
    co-author, tags of every type, part notes and tags, a draft part, a series; no
    description."""
    zoe = User.objects.create_user(
        "zoe", "zoe@example.org", "zoe-password-1", display_name="Zoë O'Brien & Co"
    )
    tags = [
        services.tag_get_or_create("Blue Lagoon (TV)", type=TagType.FANDOM),
        services.tag_get_or_create("Ada <Lovelace>", type=TagType.CHARACTER),
        services.tag_get_or_create("Ada/Charles", type=TagType.RELATIONSHIP),
        services.tag_get_or_create("Enemies to Lovers", type=TagType.TROPE),
        services.tag_get_or_create("Ελληνικά", type=TagType.LANGUAGE),
        Tag.objects.get(name="F/F"),
        Tag.objects.get(name="Major Character Death"),
        services.warning_tag("Blood & gore"),
    ]
    story = services.story_save(
        Story(
            title=AWKWARD_TITLE,
            visibility=Visibility.PUBLIC,
            language="el",
            rating=Tag.objects.get(name="Teen And Up Audiences"),
            status="complete",
        ),
        authors=[alice, zoe],
        tags=tags,
    )
    services.story_cover_refresh(story)
    services.part_write(
        Part(story=story),
        editor=alice,
        text=services.PartText(
            title='Chapter <1> & "Beginnings"',
            description="The *first* part & its 2 < 3 tale.",
            notes_before="Thanks to my beta 💜 & friends.",
            notes_after="See you **next** time.",
            body=AWKWARD_BODY,
            body_format=BodyFormat.MARKDOWN,
        ),
        tags={TagType.TROPE: ["Hurt/Comfort"], TagType.WARNING: ["Needles"]},
        state=PartState.PUBLISHED,
    )
    services.part_save(
        Part(story=story, title="A draft no reader has seen", body="<p>Secret draft.</p>"),
        edited_by=alice,
    )
    services.part_save(
        Part(
            story=story,
            title="Κεφάλαιο δύο",
            # Rich text as stored: ids repeated across fields, entities, an HTML 4 element.
            body='<p id="p-0001">Two&nbsp;&amp;&nbsp;more<br>lines.</p><p><strike>old</strike></p>',
            notes_before='<p id="p-0001">A note with the same paragraph id.</p>',
            state=PartState.PUBLISHED,
        ),
        edited_by=alice,
    )
    series = services.series_save(Series(title="Sea & Sky", owner=alice))
    earlier = services.story_save(Story(title="The first voyage"), authors=[alice])
    SeriesEntry.objects.create(series=series, story=earlier, position=1)
    SeriesEntry.objects.create(series=series, story=story, position=2)
    story.refresh_from_db()
    return story


def _report(path: Path) -> Path:
    return Path(f"{path}.json")


def epubcheck_problems(*paths: Path) -> dict[str, list[str]]:
    """Every error and warning epubcheck reports for each file (INFO and USAGE notes aside)."""
    outputs: dict[Path, bytes] = {}
    if len(paths) > 1 and shutil.which("javac"):
        with tempfile.TemporaryDirectory() as folder:
            program = Path(folder) / "CheckMany.java"
            program.write_text(CHECK_MANY, encoding="utf-8")
            # Debian's Java and epubcheck, on files the tests made.
            done = subprocess.run(  # noqa: S603
                [*JAVA, "-cp", EPUBCHECK_JAR, str(program), *map(str, paths)],
                capture_output=True,
                timeout=600,
            )
        outputs = dict.fromkeys(paths, done.stdout + done.stderr)
    else:
        # Side by side: each check starts a Java machine of its own.
        runs = [
            (path, subprocess.Popen(  # noqa: S603
                [*EPUBCHECK, str(path), "--json", str(_report(path))],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            ))
            for path in paths
        ]  # fmt: skip
        outputs = {path: process.communicate(timeout=300)[0] for path, process in runs}
    problems = {}
    for path in paths:
        report = _report(path)
        if not report.exists():
            message = outputs[path].decode(errors="replace")[-2000:]
            problems[path.name] = [f"epubcheck made no report: {message}"]
            continue
        problems[path.name] = [
            f"{message['severity']} {message['ID']}: {message['message']} "
            f"{[location.get('path') for location in message.get('locations', [])]}"
            for message in json.loads(report.read_text(encoding="utf-8"))["messages"]
            if message["severity"] in {"FATAL", "ERROR", "WARNING"}
        ]
    return problems


def ebook_meta(path: Path) -> dict[str, str]:
    """What calibre's `ebook-meta` reads from a file, by field name."""
    output = subprocess.run(  # noqa: S603 (calibre's tool, a file the tests made)
        ["ebook-meta", str(path)],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    fields = {}
    for line in output.splitlines():
        name, colon, value = line.partition(":")
        if colon and re.match(r"^[A-Za-z][A-Za-z ()]*$", name.strip()):
            fields[name.strip()] = value.strip()
    return fields
