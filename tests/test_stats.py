"""Writers' statistics: the daily roll-up (idempotent, catching up after downtime) and the
pages drawn from it. A scripted reading session: some readers stop after part 2, others
finish the book; the retention table says exactly that. Only a book's writers and admins see
its statistics."""

import csv
import datetime
import io
import re

import pytest
from django.test import Client
from django.utils import timezone

from storyhouse.accounts.models import User
from storyhouse.engagement import paragraphs
from storyhouse.engagement import services as engagement
from storyhouse.engagement.models import Read
from storyhouse.moderation.roles import Role, grant
from storyhouse.stats import rollup
from storyhouse.stats.models import PartDay, Rollup, StoryDay
from tests.helpers import write_book

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def reader(name: str) -> User:
    return User.objects.create_user(name, f"{name}@example.org", f"{name}-password-1")


def read(person: User | str, part, day=TODAY, *, finish: bool = False) -> None:
    """A read as the read buffer writes it; with `finish`, the reader reached the end."""
    key = person if isinstance(person, str) else f"u{person.pk}"
    user = None if isinstance(person, str) else person
    Read.objects.get_or_create(part=part, reader=key, day=day, defaults={"user": user})
    if finish and user is not None:
        last = paragraphs.paragraphs(part.body)[-1].id
        engagement.progress_record(user=user, part=part, paragraph=last)


@pytest.fixture
def session(alice):
    """Four readers open part 1 and read it to the end. Two stop after opening part 2; two
    read every part to the end, all on one day (a binge). A guest opens part 1 only, and
    someone opens part 3 without ever opening part 1."""
    story = write_book(alice, "The Lighthouse", ["Arrival", "Storm", "Morning"])
    one, two, three = story.parts.order_by("position")
    stoppers = [reader("ann"), reader("ben")]
    finishers = [reader("cat"), reader("dan")]
    for person in stoppers:
        read(person, one, finish=True)
        read(person, two)
    for person in finishers:
        for part in (one, two, three):
            read(person, part, finish=True)
    read("g-guest-cookie", one)
    read(reader("eve"), three, finish=True)
    rollup.catch_up(TODAY)
    return story, (one, two, three)


def retention(html: str) -> dict[int, tuple[int, int, int]]:
    """The parts table: part number -> (reads, opened, finished)."""
    rows = {}
    for number, cells in re.findall(r'<tr data-part="(\d+)">(.*?)</tr>', html, re.S):
        reads = re.search(r"<td data-reads>([\d,]+)</td>", cells)[1]
        opened = re.search(r"<td data-opened>([\d,]+)</td>", cells)[1]
        finished = re.search(r"<td data-finished>([\d,]+)</td>", cells)[1]
        rows[int(number)] = (int(reads), int(opened), int(finished))
    return rows


def test_retention_says_where_readers_stopped(session, alice):
    story, _parts = session
    html = signed_in(alice).get(f"/desk/stories/{story.pk}/stats/").content.decode()
    # Part 1: five readers (the guest too), four read it to the end (a guest keeps no
    # progress). Part 2: the same four, two to the end. Part 3: the two who finished, not
    # Eve, who never opened part 1 (her read counts in the reads column).
    assert retention(html) == {1: (5, 5, 4), 2: (4, 4, 2), 3: (3, 2, 2)}
    assert 'data-total="reads"><strong>12</strong>' in html
    assert 'data-total="readers"><strong>6</strong>' in html
    # Two of six readers read three parts in one day.
    assert 'data-binge="33"' in html
    assert "<svg" in html and "<script" not in html.split("<svg", 1)[1].split("</svg>")[0]


def test_rolling_a_day_up_again_changes_nothing(session):
    def snapshot():
        days = PartDay.objects.values_list(
            "part_id", "day", "reads", "completed", "new_readers", "new_from_start",
            "new_finished_from_start",
        )  # fmt: skip
        books = StoryDay.objects.values_list("story_id", "day", "new_readers", "new_bingers")
        return sorted(days), sorted(books)

    before = snapshot()
    rollup.rollup_day(TODAY)
    rollup.catch_up(TODAY)
    assert snapshot() == before


def test_the_roll_up_catches_up_after_downtime(alice):
    story = write_book(alice, "Serial", ["One", "Two"])
    one, two = story.parts.order_by("position")
    days = [TODAY - datetime.timedelta(days=n) for n in (6, 4, 2)]
    Rollup.objects.create(through=TODAY - datetime.timedelta(days=8))
    for number, day in enumerate(days):
        read(f"g{number}", one, day)
        read(f"g{number}", two, day)
    rolled = rollup.catch_up(TODAY)
    assert rolled[0] == TODAY - datetime.timedelta(days=9) and rolled[-1] == TODAY
    by_day = dict(PartDay.objects.filter(part=one).values_list("day", "reads"))
    assert by_day == {day: 1 for day in days}
    assert Rollup.objects.get().through == TODAY


def test_reads_and_retention_come_out_as_csv(session, alice):
    story, _parts = session
    response = signed_in(alice).get(f"/desk/stories/{story.pk}/stats/?csv=parts")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["Part", "Title", "Reads"]
    assert rows[1][:3] == ["1", "Arrival", "5"] and rows[3][-2:] == ["2", "2"]
    over_time = signed_in(alice).get(f"/desk/stories/{story.pk}/stats/?csv=over-time&range=30d")
    lines = list(csv.reader(io.StringIO(over_time.content.decode())))
    assert len(lines) == 31 and lines[-1][1] == "12"
    assert signed_in(alice).get(f"/desk/stories/{story.pk}/stats/?csv=nothing").status_code == 404


def test_a_title_that_looks_like_a_formula_stays_text_in_csv(alice):
    write_book(alice, "=HYPERLINK(1)", 1)
    rollup.catch_up(TODAY)
    rows = signed_in(alice).get("/desk/stats/?csv=books").content.decode()
    assert "'=HYPERLINK(1)" in rows


def test_only_the_books_writers_and_admins_see_its_statistics(session, alice, bob):
    story, _parts = session
    url = f"/desk/stories/{story.pk}/stats/"
    assert signed_in(bob).get(url).status_code == 404
    assert signed_in(bob).get(url + "?csv=parts").status_code == 404
    assert Client().get(url)["Location"].startswith("/accounts/login/")
    mod = reader("mod")
    grant(mod, Role.MODERATOR)
    assert signed_in(mod).get(url).status_code == 404
    admin = reader("admin")
    grant(admin, Role.ADMIN)
    assert signed_in(admin).get(url).status_code == 200
    # Bob's own page counts his own books only.
    assert "The Lighthouse" not in signed_in(bob).get("/desk/stats/").content.decode()


def test_the_writers_page_sums_their_books_and_followers(session, alice, bob):
    engagement.follow(follower=bob, writer=alice)
    rollup.catch_up(TODAY)
    html = signed_in(alice).get("/desk/stats/").content.decode()
    assert 'data-total="reads"><strong>12</strong>' in html
    assert 'data-total="followers"><strong>1</strong>' in html
    followers = signed_in(alice).get("/desk/stats/?csv=followers").content.decode()
    assert followers.strip().splitlines()[-1].endswith(",1")
    for chosen in ("12m", "all"):
        assert signed_in(alice).get(f"/desk/stats/?range={chosen}").status_code == 200


def test_imported_counts_are_shown_apart(alice):
    story = write_book(alice, "Brought Over", 1)
    story.parts.update(imported_reads=900)
    from storyhouse.stories import services

    services.story_refresh(story)
    rollup.catch_up(TODAY)
    html = signed_in(alice).get(f"/desk/stories/{story.pk}/stats/").content.decode()
    assert "Brought from another site when the book was imported" in html
    assert "900 reads" in html


def test_the_same_numbers_come_through_the_api_for_the_writers_token(session, alice, bob):
    from storyhouse.accounts.tokens import token_create

    story, _parts = session
    mine = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(alice, 'stats')[1]}")
    found = mine.get(f"/api/stats/books/{story.pk}?range=12m").json()
    assert found["totals"]["reads"] == 12 and found["range"] == "12m"
    assert [(p["opened_from_start"], p["finished_from_start"]) for p in found["parts"]] == [
        (5, 4),
        (4, 2),
        (2, 2),
    ]
    assert len(found["over_time"]) == 12
    theirs = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(bob, 'stats')[1]}")
    assert theirs.get(f"/api/stats/books/{story.pk}").status_code == 404
    assert Client().get(f"/api/stats/books/{story.pk}").status_code == 404
    assert mine.get(f"/api/stats/books/{story.pk}?range=week").status_code == 422


def test_the_writers_own_numbers_come_through_the_api_for_their_token(session, alice, bob):
    from storyhouse.accounts.tokens import token_create

    story, _parts = session
    engagement.follow(follower=bob, writer=alice)
    rollup.catch_up(TODAY)
    mine = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(alice, 'stats')[1]}")
    found = mine.get("/api/stats/?range=30d").json()
    assert found["writer"] == "alice" and found["totals"]["reads"] == 12
    assert found["followers"] == 1
    assert found["books"] == [
        {"book": story.pk, "title": "The Lighthouse", "reads": 12, "votes": 0, "comments": 0}
    ]
    assert len(found["over_time"]) == 30 and found["over_time"][-1]["reads"] == 12
    assert found["followers_over_time"][-1]["new_followers"] == 1
    # Bob's token shows Bob's numbers, never Alice's.
    theirs = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(bob, 'stats')[1]}")
    assert theirs.get("/api/stats/").json()["books"] == []
    nobody = Client().get("/api/stats/")
    assert nobody.status_code == 401 and "personal token" in nobody.json()["message"]
    assert mine.get("/api/stats/?range=week").status_code == 422


@pytest.mark.parametrize(
    ("referrer", "kind"),
    [
        ("", "direct"),
        ("http://testserver/", "home"),
        ("http://testserver/search/?q=sea", "search"),
        ("http://testserver/tags/slow-burn/", "tag"),
        ("http://testserver/discover/", "discover"),
        ("http://testserver/library/", "library"),
        ("http://testserver/tags/slow-burn/feed.atom", "feed"),
        ("http://testserver/stories/1-a/parts/2-b/", "book"),
        ("http://testserver/authors/alice/", "site"),
        ("https://elsewhere.example/post", "other"),
        ("not a web address", "other"),
    ],
)
def test_where_a_read_came_from_is_kept_by_kind(referrer, kind):
    from storyhouse.stats.sources import kind_of

    assert kind_of(referrer, "testserver") == kind


def test_reads_say_where_readers_came_from_without_any_address(alice, settings):
    from storyhouse.engagement import read_buffer

    settings.READS_BUFFERED = True
    story = write_book(alice, "The Lighthouse", 1)
    part = story.parts.get()
    for referrer in [
        "http://testserver/search/?q=lamp",
        "http://testserver/search/",
        "https://blog.example/",
    ]:
        browser = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
        browser.get(part.get_absolute_url(), HTTP_REFERER=referrer)
    read_buffer.flush()
    assert sorted(Read.objects.values_list("source", flat=True)) == ["other", "search", "search"]
    rollup.catch_up(TODAY)
    html = signed_in(alice).get(f"/desk/stories/{story.pk}/stats/").content.decode()
    found = dict(
        re.findall(r'<tr data-source="(\w+)"><th scope="row">[^<]*</th><td>(\d+)</td>', html)
    )
    assert found == {"search": "2", "other": "1"}
    assert "blog.example" not in html


def test_a_reader_who_opens_part_1_late_counts_from_that_day(alice):
    story = write_book(alice, "Out of Order", ["One", "Two", "Three"])
    one, two, _three = story.parts.order_by("position")
    before = TODAY - datetime.timedelta(days=3)
    late = reader("lia")
    read(late, two, before, finish=False)
    read(late, one, TODAY)
    rollup.catch_up(TODAY)
    assert not PartDay.objects.filter(part=two, day=before, new_from_start__gt=0).exists()
    assert PartDay.objects.get(part=two, day=TODAY).new_from_start == 1
    assert PartDay.objects.get(part=one, day=TODAY).new_from_start == 1


def test_comments_on_a_paragraph_are_counted_apart(session, alice, bob):
    story, (one, two, _three) = session
    about = paragraphs.paragraphs(two.body)[1].id
    engagement.comment_post(author=bob, part=two, body="This line!", paragraph=about)
    engagement.comment_post(author=bob, part=two, body="The whole part.")
    rollup.catch_up(TODAY)
    html = signed_in(alice).get(f"/desk/stories/{story.pk}/stats/").content.decode()
    row = re.search(r'<tr data-part="2">(.*?)</tr>', html, re.S)[1]
    assert "<td>2</td><td data-inline>1</td>" in row
    assert "?paragraph=" + about in html  # the most-commented paragraph, linked
