"""Muting and blocking. Carol mutes Alice: Alice's books leave Carol's home page, tag pages,
search results (and the sidebar's counts, exactly, as the SQL oracle counts them), discover,
her feeds and her notifications, while everyone else still sees them. Alice blocks Bob: Bob
can read her books but not vote for them, comment on them, reply to her or follow her (by
form and by API), and Alice no longer sees Bob's comments. Nobody is told; a page lists it
all, with undo."""

import re

import html5lib
import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.accounts.tokens import token_create
from storyhouse.boundaries import services as boundaries
from storyhouse.boundaries.models import Block, Mute
from storyhouse.discovery import fulltext, index
from storyhouse.discovery.query import SearchQuery
from storyhouse.discovery.search import search
from storyhouse.engagement import services as engagement
from storyhouse.engagement.models import Comment, Follow, Notification, Vote
from storyhouse.stories import services
from storyhouse.stories.models import Part, Tag, TagType
from tests.helpers import write_book

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(db) -> User:
    return User.objects.create_user("carol", "carol@example.org", "carol-password-1")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def titles(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    document = html5lib.parse(response.content, namespaceHTMLElements=False)
    return sorted(
        "".join(heading.itertext()).strip()
        for heading in document.iter("h3")
        if "story-card__title" in heading.get("class", "")
    )


def sidebar(response) -> dict[str, int]:
    """The search sidebar's counts: tag name -> books."""
    document = html5lib.parse(response.content, namespaceHTMLElements=False)
    counts = {}
    for item in document.iter("li"):
        if "facet__item" not in item.get("class", ""):
            continue
        name = next(e for e in item.iter() if "facet__name" in e.get("class", ""))
        count = next(e for e in item.iter() if "facet__count" in e.get("class", ""))
        label = "".join(name.itertext()).replace("(included)", "").strip()
        counts[label] = int(count.text.replace(",", ""))
    return counts


@pytest.fixture
def shelf(alice, bob):
    """Alice writes two books, Bob one, all about the sea."""
    sea = services.tag_save(Tag(name="Seafaring", type=TagType.FANDOM, canonical=True))
    slow = services.tag_save(Tag(name="Slow Burn", type=TagType.TROPE, canonical=True))
    books = {
        "lighthouse": write_book(alice, "The Lighthouse Keeper", 2, tags=[sea, slow]),
        "orchard": write_book(alice, "The Orchard by the Sea", 1, tags=[sea]),
        "salt": write_book(bob, "Salt and Iron", 1, tags=[sea, slow]),
    }
    fulltext.rebuild()
    return books


ALICES = ["The Lighthouse Keeper", "The Orchard by the Sea"]
EVERYONE = sorted([*ALICES, "Salt and Iron"])


# Muting


@pytest.mark.parametrize(
    "url", ["/", "/tags/seafaring/", "/search/", "/search/?q=sea", "/discover/"]
)
def test_a_muted_writers_books_leave_the_readers_lists(shelf, alice, carol, url):
    before = signed_in(carol).get(url)
    assert set(ALICES) <= set(titles(before)) or url == "/discover/"
    boundaries.mute_writer(reader=carol, writer=alice)
    after = titles(signed_in(carol).get(url))
    assert not set(ALICES) & set(after)
    if url != "/discover/":
        assert "Salt and Iron" in after
    # Nobody else is touched.
    assert titles(Client().get(url)) == titles(before) or url == "/discover/"


def test_discover_leaves_out_a_muted_writer(shelf, alice, bob, carol):
    # Votes and reads put every book in discover's sections.
    for story in shelf.values():
        for part in story.parts.all():
            engagement.vote_toggle(user=carol, part=part, voted=True)
    seen = signed_in(carol).get("/discover/").content.decode()
    assert "The Lighthouse Keeper" in seen
    boundaries.mute_writer(reader=carol, writer=alice)
    muted = signed_in(carol).get("/discover/").content.decode()
    assert "The Lighthouse Keeper" not in muted and "The Orchard by the Sea" not in muted
    assert "The Lighthouse Keeper" in signed_in(bob).get("/discover/").content.decode()


@pytest.mark.parametrize("use_index", [False, True], ids=["oracle", "index"])
def test_the_sidebar_counts_drop_by_exactly_the_muted_books(shelf, alice, carol, use_index):
    if use_index:
        index.install(index.FilterIndex.build())
    try:
        before = signed_in(carol).get("/search/")
        boundaries.mute_writer(reader=carol, writer=alice)
        after = signed_in(carol).get("/search/")
    finally:
        index.install(None)
    assert sidebar(before)["Seafaring"] == 3 and sidebar(after)["Seafaring"] == 1
    assert sidebar(before)["Slow Burn"] == 2 and sidebar(after)["Slow Burn"] == 1
    assert "3 stories found" in before.content.decode()
    assert "1 story found" in after.content.decode()


def test_the_index_and_the_oracle_agree_on_a_muting_reader(shelf, alice, carol):
    boundaries.mute_story(reader=carol, story=shelf["salt"])
    boundaries.mute_writer(reader=carol, writer=alice)
    write_book(alice, "Written After The Mute", 1, tags=list(Tag.objects.filter(slug="seafaring")))
    oracle = search(SearchQuery(), carol, use_index=False)
    index.install(index.FilterIndex.build())
    try:
        built = search(SearchQuery(), carol)
    finally:
        index.install(None)
    assert built.result == oracle.result
    assert oracle.result.total == 0 and oracle.result.facets == {
        kind: [] for kind in oracle.result.facets
    }


def test_a_muted_book_alone_leaves_the_lists_and_still_opens(shelf, carol):
    orchard = shelf["orchard"]
    page = signed_in(carol).get(f"/stories/{orchard.pk}/mute/")
    assert "Mute this book" in page.content.decode()
    done = signed_in(carol).post(
        f"/stories/{orchard.pk}/mute/", {"action": "mute", "next": orchard.get_absolute_url()}
    )
    assert done.status_code == 302
    assert titles(signed_in(carol).get("/search/")) == ["Salt and Iron", "The Lighthouse Keeper"]
    opened = signed_in(carol).get(orchard.get_absolute_url())
    assert opened.status_code == 200 and "The Orchard by the Sea" in opened.content.decode()
    signed_in(carol).post(f"/stories/{orchard.pk}/mute/", {"action": "unmute"})
    assert titles(signed_in(carol).get("/search/")) == EVERYONE


def test_a_writer_cannot_mute_their_own_book(shelf, alice):
    response = signed_in(alice).post(f"/stories/{shelf['orchard'].pk}/mute/", {"action": "mute"})
    assert response.status_code == 403
    assert not Mute.objects.exists()


def test_a_muted_writer_leaves_the_readers_feeds(shelf, alice, carol):
    key = token_create(carol, "Feed reader")[1]
    feed = Client().get(f"/tags/seafaring/feed.atom?token={key}").content.decode()
    assert "The Lighthouse Keeper" in feed
    boundaries.mute_writer(reader=carol, writer=alice)
    feed = Client().get(f"/tags/seafaring/feed.atom?token={key}").content.decode()
    assert "The Lighthouse Keeper" not in feed and "Salt and Iron" in feed
    assert "The Lighthouse Keeper" in Client().get("/search/feed.atom").content.decode()


def test_a_muted_writers_new_parts_are_not_notified(
    shelf, alice, carol, django_capture_on_commit_callbacks
):
    engagement.follow(follower=carol, writer=alice)
    with django_capture_on_commit_callbacks(execute=True):
        services.part_save(
            Part(story=shelf["orchard"], title="Low Tide", body="<p>More.</p>", state="published")
        )
    assert "Low Tide" in signed_in(carol).get("/notifications/").content.decode()
    boundaries.mute_writer(reader=carol, writer=alice)
    assert "Low Tide" not in signed_in(carol).get("/notifications/").content.decode()


def test_the_muted_writers_page_says_so_with_undo(shelf, alice, carol):
    boundaries.mute_writer(reader=carol, writer=alice)
    page = signed_in(carol).get("/authors/alice/").content.decode()
    assert "You muted Alice Liddell" in page
    assert "The Lighthouse Keeper" not in page


# Blocking


@pytest.fixture
def blocked(shelf, alice, bob):
    """Bob comments on Alice's book and follows her; then she blocks him."""
    part = shelf["lighthouse"].parts.order_by("position").first()
    engagement.comment_post(author=alice, part=part, body="Thank you for reading, everyone.")
    engagement.comment_post(author=bob, part=part, body="Bob was here before the block.")
    engagement.follow(follower=bob, writer=alice)
    boundaries.block(blocker=alice, blocked=bob)
    return part


def test_a_blocked_reader_still_reads_but_cannot_vote_or_comment(blocked, bob):
    page = signed_in(bob).get(blocked.get_absolute_url())
    html = page.content.decode()
    assert page.status_code == 200 and "The Lighthouse Keeper" in html
    assert f"/parts/{blocked.pk}/vote/" not in html  # no vote button
    assert 'name="body"' not in html  # no comment form
    vote = signed_in(bob).post(f"/parts/{blocked.pk}/vote/", {"voted": "1"})
    comment = signed_in(bob).post(f"/parts/{blocked.pk}/comments/", {"body": "Let me in."})
    assert vote.status_code == 403 and comment.status_code == 403
    assert not Vote.objects.filter(user=bob).exists()
    assert not Comment.objects.filter(body="Let me in.").exists()


def test_a_blocked_reader_cannot_vote_or_comment_through_the_api(blocked, bob):
    key = token_create(bob, "Script")[1]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    vote = api.post(f"/api/parts/{blocked.pk}/vote", content_type="application/json")
    comment = api.post(
        f"/api/parts/{blocked.pk}/comments",
        {"body": "Through the side door."},
        content_type="application/json",
    )
    assert vote.status_code == 403 and comment.status_code == 403
    assert "cannot" in vote.json()["message"].lower()
    assert not Vote.objects.filter(user=bob).exists()


def test_a_blocked_reader_cannot_reply_to_the_blocker_anywhere(blocked, alice, bob, carol):
    alices = Comment.objects.get(author__username="alice")
    assert signed_in(bob).get(f"/comments/{alices.pk}/reply/").status_code == 403
    replied = signed_in(bob).post(
        f"/parts/{blocked.pk}/comments/", {"body": "A reply.", "parent": alices.pk}
    )
    assert replied.status_code == 403
    # On someone else's book, Bob may comment, but still not reply to Alice.
    other = write_book(carol, "Carol's Book", 1).parts.get()
    hers = engagement.comment_post(author=alice, part=other, body="Alice on Carol's book.")
    engagement.comment_post(author=bob, part=other, body="Bob on Carol's book.")
    with pytest.raises(PermissionDenied, match="cannot reply"):
        engagement.comment_post(author=bob, part=other, body="Hm.", parent=hers)
    page = signed_in(bob).get(other.get_absolute_url()).content.decode()
    assert f"/comments/{hers.pk}/reply/" not in page
    carols = engagement.comment_post(author=carol, part=other, body="Carol's own.")
    assert f"/comments/{carols.pk}/reply/" in signed_in(bob).get(other.get_absolute_url()).text


def test_a_blocked_reader_no_longer_follows_and_cannot_again(blocked, alice, bob):
    assert not Follow.objects.filter(follower=bob, writer=alice).exists()
    again = signed_in(bob).post("/following/alice/", {"action": "follow"})
    assert again.status_code == 403
    assert "Follow Alice" not in signed_in(bob).get("/authors/alice/").content.decode()


def test_the_blocker_sees_none_of_the_blocked_persons_comments(blocked, alice, carol):
    mine = signed_in(alice).get(blocked.get_absolute_url()).content.decode()
    assert "Bob was here before the block." not in mine
    assert "A comment from someone you blocked." in mine
    assert "Thank you for reading, everyone." in mine
    theirs = signed_in(carol).get(blocked.get_absolute_url()).content.decode()
    assert "Bob was here before the block." in theirs
    guest = Client().get(blocked.get_absolute_url()).content.decode()
    assert "Bob was here before the block." in guest


def test_the_blocker_hears_nothing_from_the_blocked(blocked, alice, bob):
    assert Notification.objects.filter(recipient=alice, actor=bob).exists()  # the old comment
    page = signed_in(alice).get("/notifications/").content.decode()
    assert "bob" not in page.lower()


def test_the_blocked_person_is_never_told(blocked, bob):
    for url in ["/notifications/", "/authors/alice/", blocked.get_absolute_url()]:
        html = signed_in(bob).get(url).content.decode().lower()
        assert "blocked" not in html, url
    assert not Notification.objects.filter(recipient=bob).exists()


def test_unblocking_lets_them_back(blocked, alice, bob):
    boundaries.unblock(blocker=alice, blocked=bob)
    assert engagement.vote_toggle(user=bob, part=blocked, voted=True)[0] is True
    assert (
        "Bob was here before the block."
        in signed_in(alice).get(blocked.get_absolute_url()).content.decode()
    )


# The page, the forms, and who may use them


def test_the_page_lists_mutes_and_blocks_with_undo(shelf, alice, bob, carol):
    client = signed_in(carol)
    assert client.get("/authors/alice/").content.decode().count("/authors/alice/mute-or-block/")
    client.post("/authors/alice/mute-or-block/", {"action": "mute"})
    client.post(f"/stories/{shelf['salt'].pk}/mute/", {"action": "mute"})
    client.post("/authors/bob/mute-or-block/", {"action": "block"})
    page = client.get("/accounts/muted-and-blocked/").content.decode()
    assert "Alice Liddell" in page and "Salt and Iron" in page and "bob" in page
    assert Mute.objects.filter(reader=carol).count() == 2
    assert Block.objects.filter(blocker=carol, blocked=bob).exists()
    for action, url in [
        ("unmute", "/authors/alice/mute-or-block/"),
        ("unmute", f"/stories/{shelf['salt'].pk}/mute/"),
        ("unblock", "/authors/bob/mute-or-block/"),
    ]:
        undone = client.post(url, {"action": action, "next": "/accounts/muted-and-blocked/"})
        assert undone["Location"] == "/accounts/muted-and-blocked/"
    page = client.get("/accounts/muted-and-blocked/").content.decode()
    assert "You have muted no writer." in page and "You have blocked no one." in page
    assert not Mute.objects.exists() and not Block.objects.exists()


def test_mute_or_block_is_offered_from_a_comment(blocked, carol):
    page = signed_in(carol).get(blocked.get_absolute_url()).content.decode()
    assert "/authors/bob/mute-or-block/" in page and "/authors/alice/mute-or-block/" in page


def test_muting_twice_is_one_mute_and_no_one_mutes_themselves(shelf, alice, carol):
    client = signed_in(carol)
    client.post("/authors/alice/mute-or-block/", {"action": "mute"})
    client.post("/authors/alice/mute-or-block/", {"action": "mute"})
    assert Mute.objects.count() == 1
    assert signed_in(carol).get("/authors/carol/mute-or-block/").status_code == 404
    assert (
        signed_in(carol).post("/authors/carol/mute-or-block/", {"action": "block"}).status_code
        == 404
    )
    assert not Block.objects.exists()


def test_guests_are_asked_to_sign_in_and_forms_need_their_csrf_token(shelf, carol):
    guest = Client().get("/authors/alice/mute-or-block/")
    assert guest.status_code == 302 and "/accounts/login/" in guest["Location"]
    assert Client().get("/accounts/muted-and-blocked/").status_code == 302
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(carol)
    assert strict.post("/authors/alice/mute-or-block/", {"action": "mute"}).status_code == 403
    assert not Mute.objects.exists()


def test_an_unknown_action_is_explained_not_an_error(shelf, carol):
    response = signed_in(carol).post(
        "/authors/alice/mute-or-block/", {"action": "vanish"}, follow=True
    )
    assert response.status_code == 200
    assert "That is not something this page can do." in response.content.decode()


def test_your_data_holds_your_mutes_and_blocks(shelf, alice, bob, carol):
    from storyhouse.accounts.your_data import your_data

    boundaries.mute_writer(reader=carol, writer=alice)
    boundaries.block(blocker=carol, blocked=bob)
    data = your_data(carol, site="http://testserver")
    assert [m["username"] for m in data["muted_writers"]] == ["alice"]
    assert [b["username"] for b in data["blocked"]] == ["bob"]


def test_a_suspended_account_may_still_mute_and_block(shelf, alice, carol):
    import datetime

    from django.utils import timezone

    carol.suspended_until = timezone.now() + datetime.timedelta(days=3)
    carol.save()
    signed_in(carol).post("/authors/alice/mute-or-block/", {"action": "block"})
    assert Block.objects.filter(blocker=carol).exists()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", html)
