"""kill -9 of `storyhouse serve` in the middle of a write load, then a restart: every vote,
comment and part edit the site acknowledged is there, nothing is half-written, and the reads
answered are all counted (the killed process's spool is written at the restart).

Runs on the suite's database kind: a SQLite file on the SQLite pass, a fresh PostgreSQL
database on the PostgreSQL pass."""

import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field

from .site import Browser, fresh_database, guest_token, set_up

READERS = 4
PARTS = 3
GUEST_THREADS = 3
LOAD_SECONDS = 2.0


@dataclass
class Record:
    """What the load sent, and what the site acknowledged, with when (monotonic seconds).
    Each thread sends one request at a time, so each has at most one answer outstanding
    when the server dies: that one is "maybe" written."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    # (reader, part id) -> [(voted, acknowledged)], in the order sent
    votes: dict = field(default_factory=lambda: defaultdict(list))
    # comment id -> (reader, part id, text); and every text sent
    comments: dict = field(default_factory=dict)
    comments_sent: set = field(default_factory=set)
    # edit versions sent, and acknowledged
    edits_sent: list = field(default_factory=list)
    edits_acknowledged: list = field(default_factory=list)
    # guest reads answered 200: (when, token)
    reads: list = field(default_factory=list)
    # answers that were neither an acknowledgement nor a lost connection: (what, status)
    unexpected: list = field(default_factory=list)
    # when requests failed for want of a server
    failures: list = field(default_factory=list)

    def enough(self) -> bool:
        with self.lock:
            votes = sum(ack for sent in self.votes.values() for _, ack in sent)
        return (
            len(self.comments) >= 3
            and votes >= 3
            and len(self.edits_acknowledged) >= 2
            and len(self.reads) >= 5
        )


def vote_and_comment(browser: Browser, reader: str, parts: list[dict], record: Record, stop):
    n = 0
    wanted: dict[int, bool] = defaultdict(bool)
    while not stop.is_set():
        n += 1
        part = parts[n % len(parts)]["id"]
        try:
            if n % 2:
                wanted[part] = not wanted[part]
                with record.lock:
                    record.votes[reader, part].append([wanted[part], False])
                answer = browser.post(f"/parts/{part}/vote/", {"voted": str(wanted[part]).lower()})
                if answer.status == 302:
                    with record.lock:
                        record.votes[reader, part][-1][1] = True
                else:
                    record.unexpected.append(("vote", answer.status))
            else:
                text = f"Comment {n} from {reader}: {guest_token()}"
                with record.lock:
                    record.comments_sent.add(text)
                answer = browser.post(f"/parts/{part}/comments/", {"body": text})
                found = re.search(r"#comment-(\d+)$", answer.headers.get("Location", ""))
                if answer.status == 302 and found:
                    with record.lock:
                        record.comments[int(found[1])] = (reader, part, text)
                else:
                    record.unexpected.append(("comment", answer.status))
        except OSError:
            record.failures.append(time.monotonic())
            return  # the server is gone


def edit(browser: Browser, part: int, record: Record, stop) -> None:
    version = 0
    while not stop.is_set():
        version += 1
        record.edits_sent.append(version)
        form = {
            "title": f"Version {version}",
            "description": "",
            "notes_before": "",
            "notes_after": "",
            "body_format": "markdown",
            "body": f"The keeper wrote version {version}.\n\nIt ends here: v{version}-end.",
            "tropes": "",
            "warnings": "",
            "publish_at": "",
            "action": "save",
        }
        try:
            answer = browser.post(f"/desk/parts/{part}/edit/", form)
        except OSError:
            record.failures.append(time.monotonic())
            return
        if answer.status == 302 and answer.headers.get("Location") == f"/desk/parts/{part}/edit/":
            record.edits_acknowledged.append(version)
        else:
            record.unexpected.append(("edit", answer.status))


def read(site_url: str, parts: list[dict], record: Record, stop) -> None:
    """A guest after another, each with a cookie of its own: every read should count."""
    browser = Browser(site_url)
    n = 0
    while not stop.is_set():
        n += 1
        token = guest_token()
        browser.cookies.clear()
        browser.reader_cookie(token)
        try:
            answer = browser.get(parts[n % len(parts)]["url"])
        except OSError:
            record.failures.append(time.monotonic())
            return
        if answer.status == 200:
            record.reads.append((time.monotonic(), token))
        else:
            record.unexpected.append(("read", answer.status))


# What the database holds after the restart, read by `storyhouse shell`.
CHECK_UP = """
import json
from storyhouse.engagement.models import Comment, Read, Vote
from storyhouse.stories.models import Part, Story

print(json.dumps({
    "parts": {
        part.pk: {
            "title": part.title,
            "body": part.body,
            "votes_count": part.votes_count,
            "votes": part.votes.count(),
            "comments_count": part.comments_count,
            "comments": part.comments.count(),
            "reads_count": part.reads_count,
            "reads": part.reads.count(),
        }
        for part in Part.objects.all()
    },
    "book": Story.objects.values("votes_count", "comments_count", "reads_count").get(),
    "votes": [[vote.user.username, vote.part_id] for vote in Vote.objects.select_related("user")],
    "comments": {
        comment.pk: [comment.author.username, comment.part_id, comment.body]
        for comment in Comment.objects.select_related("author")
    },
    "guest_reads": list(
        Read.objects.filter(reader__startswith="g").values_list("reader", flat=True)
    ),
}))
"""


def test_a_kill_9_under_write_load_loses_no_acknowledged_write(tmp_path, make_site):
    with fresh_database(tmp_path) as database_url:
        # The load posts far more comments and votes a minute than a person may: lift the
        # rate limits, which would otherwise answer 429 (tests/test_rate_limits.py).
        site = make_site(database_url, COMMENTS_PER_MINUTE="100000", VOTES_PER_MINUTE="100000")
        site.command("migrate", "-v", "0")
        data = set_up(site, readers=READERS, parts=PARTS)
        parts = data["parts"]
        site.start(workers=2)

        writer = Browser(site.url)
        writer.sign_in("alice", "alice-password-1")
        readers = {}
        for username in data["readers"]:
            readers[username] = Browser(site.url)
            readers[username].sign_in(username, f"{username}-password-1")
        edited, read_parts = parts[0], parts[1:]
        # Both workers warmed up (first requests of a process are slow), the form seen once.
        for part in parts:
            assert Browser(site.url).get(part["url"]).status == 200
        assert writer.get(f"/desk/parts/{edited['id']}/edit/").status == 200

        record = Record()
        stop = threading.Event()
        threads = [
            threading.Thread(target=vote_and_comment, args=(browser, name, parts, record, stop))
            for name, browser in readers.items()
        ]
        threads.append(threading.Thread(target=edit, args=(writer, edited["id"], record, stop)))
        threads += [
            threading.Thread(target=read, args=(site.url, read_parts, record, stop))
            for _ in range(GUEST_THREADS)
        ]
        for thread in threads:
            thread.start()
        # A couple of seconds of load, and long enough that every kind of write was
        # acknowledged a few times, however slow the machine is today.
        started = time.monotonic()
        while time.monotonic() < started + 60 and (
            time.monotonic() < started + LOAD_SECONDS or not record.enough()
        ):
            time.sleep(0.1)
        killed_at = time.monotonic()
        site.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

        assert not record.unexpected, record.unexpected
        assert all(when >= killed_at for when in record.failures), "the site failed before the kill"
        assert record.comments and record.edits_acknowledged and record.reads
        assert any(acknowledged for sent in record.votes.values() for _, acknowledged in sent)

        site.start(workers=2)
        stored = site.shell(CHECK_UP)
        book_page = Browser(site.url).get(data["book"])
        site.stop()

    # Every acknowledged comment is there, whole; no comment appeared that was not sent.
    comments = {int(pk): tuple(value) for pk, value in stored["comments"].items()}
    for pk, (reader, part, text) in record.comments.items():
        assert pk in comments, f"acknowledged comment {pk} is lost"
        assert comments[pk][:2] == (reader, part)
        assert text in comments[pk][2]
    for _author, _part, body in comments.values():
        assert any(text in body for text in record.comments_sent), body

    # Each reader's vote is what the last acknowledged request said, or what a later one
    # still on its way when the server died asked for.
    votes = {(username, part) for username, part in stored["votes"]}
    for (reader, part), sent in record.votes.items():
        acknowledged = [voted for voted, ack in sent if ack]
        last = max((i for i, (_, ack) in enumerate(sent) if ack), default=-1)
        possible = {acknowledged[-1] if acknowledged else False}
        possible |= {voted for voted, _ in sent[last + 1 :]}
        assert ((reader, part) in votes) in possible, (reader, part, sent)

    # The edited part holds one whole version: the last acknowledged one or a later one.
    part = stored["parts"][str(edited["id"])]
    version = int(re.fullmatch(r"Version (\d+)", part["title"])[1])
    assert version >= record.edits_acknowledged[-1]
    assert version in record.edits_sent
    assert f"The keeper wrote version {version}." in part["body"]
    assert f"v{version}-end." in part["body"]
    # and the restarted site shows it
    assert book_page.status == 200
    assert f"Version {version}" in book_page.body

    # Nothing half-written: every cached count agrees with the rows it counts.
    for pk, counts in stored["parts"].items():
        assert counts["votes_count"] == counts["votes"], pk
        assert counts["comments_count"] == counts["comments"], pk
        assert counts["reads_count"] == counts["reads"], pk
    book = stored["book"]
    assert book["votes_count"] == sum(p["votes"] for p in stored["parts"].values())
    assert book["comments_count"] == sum(p["comments"] for p in stored["parts"].values())
    assert book["reads_count"] == sum(p["reads"] for p in stored["parts"].values())

    # Reads: none is lost. Each was in the process's spool file before it was answered, and
    # the restarted site wrote what the killed one had not (read_buffer.Spool).
    counted_tokens = {reader[1:] for reader in stored["guest_reads"]}
    answered = len(record.reads)
    counted = sum(1 for _, token in record.reads if token in counted_tokens)
    lost = answered - counted
    last_second = sum(1 for when, _ in record.reads if when > killed_at - 1.0)
    print(
        f"reads answered {answered}, counted {counted}, lost {lost}, "
        f"answered in the last second before the kill {last_second}"
    )
    print(
        f"acknowledged: {len(record.comments)} comments, "
        f"{sum(ack for sent in record.votes.values() for _, ack in sent)} votes, "
        f"{len(record.edits_acknowledged)} edits"
    )
    assert lost == 0
