"""Nobody but a book's authors reaches its desk pages. Bob guessing the addresses of Alice's
books, parts, revisions and invitations gets 404s, exactly as for things that do not exist;
guests are sent to log in; every change needs a CSRF token and an account allowed to write."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern

from storyhouse.accounts.models import User
from storyhouse.engagement import services as engagement
from storyhouse.engagement.models import Comment
from storyhouse.moderation import roles
from storyhouse.stories import desk_urls, services
from storyhouse.stories import series as series_rules
from storyhouse.stories.models import (
    Authorship,
    CommentMode,
    Part,
    PartState,
    Series,
    Story,
    Tag,
    Visibility,
)
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def signed_in(user: User, **options) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT, **options)
    client.force_login(user)
    return client


@pytest.fixture
def carol(db) -> User:
    return User.objects.create_user("carol", "carol@example.org", "carol-password-1")


@pytest.fixture
def secrets(alice, carol) -> dict:
    """Alice's draft book with a draft part, its history, and an invitation to Carol."""
    story = services.story_edit(
        Story(title="Alice's Secret Draft", visibility=Visibility.DRAFT),
        editor=alice,
        description_source="Nobody may see this.",
        tags={"warning": [Tag.objects.get(name="No Archive Warnings Apply")]},
    )
    part = services.part_write(
        Part(story=story),
        editor=alice,
        text=services.PartText(title="Chapter One", body="The secret words."),
    )
    services.part_write(
        part, editor=alice, text=services.PartText(title="Chapter One", body="Changed words.")
    )
    invitation = services.coauthor_invite(story, invitee=carol, invited_by=alice)
    series = series_rules.series_edit(
        Series(), owner=alice, title="Alice's Secret Series", description_source=""
    )
    series_rules.series_add(series, story)
    public = write_book(alice, "Alice's Open Book", 1)
    public.comment_mode = CommentMode.HELD
    public.save()
    held = engagement.comment_post(author=carol, part=public.parts.get(), body="For Alice only.")
    return {
        "held": held.pk,
        "series": series.pk,
        "story": story.pk,
        "part": part.pk,
        "revision": part.revisions.order_by("id").first().pk,
        "authorship": Authorship.objects.get(story=story, user=alice).pk,
        "invitation": invitation.pk,
    }


# Every address of the desk that names a book, part, revision or invitation, with the method
# that uses it and what it sends.
ADDRESSES = [
    ("get", "/desk/stories/{story}/", {}),
    ("get", "/desk/stories/{story}/edit/", {}),
    ("post", "/desk/stories/{story}/edit/", {"title": "Bob was here"}),
    ("get", "/desk/stories/{story}/delete/", {}),
    ("post", "/desk/stories/{story}/delete/", {}),
    ("post", "/desk/stories/{story}/parts/new/", {}),
    ("post", "/desk/stories/{story}/coauthors/", {"username": "bob"}),
    ("post", "/desk/stories/{story}/coauthors/{authorship}/remove/", {}),
    ("post", "/desk/invitations/{invitation}/accept/", {}),
    ("post", "/desk/invitations/{invitation}/decline/", {}),
    ("get", "/desk/parts/{part}/edit/", {}),
    ("post", "/desk/parts/{part}/edit/", {"title": "Bob was here", "body_format": "markdown"}),
    ("post", "/desk/parts/{part}/autosave/", {"title": "Bob", "body_format": "markdown"}),
    ("post", "/desk/parts/{part}/discard/", {}),
    ("get", "/desk/parts/{part}/preview/", {}),
    ("post", "/desk/parts/{part}/move/", {"direction": "up"}),
    ("get", "/desk/parts/{part}/delete/", {}),
    ("post", "/desk/parts/{part}/delete/", {}),
    ("get", "/desk/parts/{part}/revisions/", {}),
    ("get", "/desk/parts/{part}/revisions/compare/?from={revision}", {}),
    ("post", "/desk/parts/{part}/revisions/{revision}/restore/", {}),
    ("get", "/desk/series/{series}/", {}),
    ("get", "/desk/series/{series}/edit/", {}),
    ("post", "/desk/series/{series}/edit/", {"title": "Bob was here"}),
    ("get", "/desk/series/{series}/delete/", {}),
    ("post", "/desk/series/{series}/delete/", {}),
    ("post", "/desk/series/{series}/books/", {"story": "1"}),
    ("post", "/desk/series/{series}/books/{story}/move/", {"direction": "down"}),
    ("post", "/desk/series/{series}/books/{story}/remove/", {}),
    ("get", "/desk/stories/{story}/stats/", {}),
    ("get", "/desk/stories/{story}/stats/?csv=parts", {}),
    ("post", "/desk/comments/{held}/", {"action": "approve"}),
    ("post", "/desk/comments/{held}/", {"action": "spam"}),
]
# Addresses of the desk that name nothing of anyone's: a guest is sent to log in there too.
OPEN_ADDRESSES = [
    ("get", "/desk/", {}),
    ("get", "/desk/stories/new/", {}),
    ("post", "/desk/stories/new/", {}),
    ("get", "/desk/tags/?type=trope&q=a", {}),
    ("post", "/desk/render/", {"text": "*hi*"}),
    ("get", "/desk/import/", {}),
    ("post", "/desk/import/", {"visibility": "draft"}),
    ("get", "/desk/series/", {}),
    ("get", "/desk/series/new/", {}),
    ("post", "/desk/series/new/", {"title": "A series"}),
    ("get", "/desk/comments/", {}),
    ("get", "/desk/stats/", {}),
    ("post", "/desk/comments/", {"comment_mode": "closed"}),
]


def test_every_desk_address_is_in_these_tests():
    """A new desk page cannot be forgotten here."""
    tested = {re.sub(r"\{\w+\}", "<>", url.split("?")[0]) for _m, url, _d in ADDRESSES}
    tested |= {url.split("?")[0] for _m, url, _d in OPEN_ADDRESSES}
    patterns = {
        "/desk/" + re.sub(r"<int:\w+>", "<>", str(pattern.pattern))
        for pattern in desk_urls.urlpatterns
        if isinstance(pattern, URLPattern)
    }
    assert patterns == tested


def unchanged(secrets: dict) -> None:
    story = Story.objects.get(pk=secrets["story"])
    part = Part.objects.get(pk=secrets["part"])
    assert story.title == "Alice's Secret Draft"
    assert (part.title, part.state, part.position) == ("Chapter One", PartState.DRAFT, 1)
    assert part.body.endswith(">Changed words.</p>")
    assert story.parts.count() == 1
    assert Comment.objects.get(pk=secrets["held"]).is_held  # neither approved nor removed
    assert part.revisions.count() == 2
    assert Authorship.objects.filter(story=story).count() == 2
    assert not Authorship.objects.filter(story=story, user__username="bob").exists()
    assert Authorship.objects.get(pk=secrets["invitation"]).accepted is False
    series = Series.objects.get(pk=secrets["series"])
    assert series.title == "Alice's Secret Series"
    assert list(series.stories.values_list("pk", flat=True)) == [secrets["story"]]


@pytest.mark.parametrize(
    ("method", "url", "data"), ADDRESSES, ids=[f"{m} {u}" for m, u, _ in ADDRESSES]
)
def test_another_writer_finds_nothing_by_guessing_addresses(bob, secrets, method, url, data):
    response = getattr(signed_in(bob), method)(url.format(**secrets), data)
    assert response.status_code == 404
    assert "Alice&#x27;s Secret Draft" not in response.content.decode()
    unchanged(secrets)


@pytest.mark.parametrize(
    ("method", "url", "data"),
    ADDRESSES + OPEN_ADDRESSES,
    ids=[f"{m} {u}" for m, u, _ in ADDRESSES + OPEN_ADDRESSES],
)
def test_guests_are_sent_to_log_in(reader, secrets, method, url, data):
    address = url.format(**secrets)
    response = getattr(reader, method)(address, data)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")
    unchanged(secrets)


def test_an_autosave_after_signing_out_says_so_in_the_status_line(reader, secrets):
    response = reader.post(
        f"/desk/parts/{secrets['part']}/autosave/", {"title": "x"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Not saved: you are signed out." in response.content.decode()
    unchanged(secrets)


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [a for a in ADDRESSES if "invitations" not in a[1]],
    ids=[f"{m} {u}" for m, u, _ in ADDRESSES if "invitations" not in u],
)
def test_an_invited_co_author_sees_nothing_before_accepting(carol, secrets, method, url, data):
    response = getattr(signed_in(carol), method)(url.format(**secrets), data)
    assert response.status_code == 404
    unchanged(secrets)


def test_an_invitee_sees_no_draft_on_the_reading_pages_either(carol, secrets):
    client = signed_in(carol)
    story = Story.objects.get(pk=secrets["story"])
    part = Part.objects.get(pk=secrets["part"])
    assert client.get(story.get_absolute_url()).status_code == 404
    assert client.get(part.get_absolute_url()).status_code == 404
    desk = client.get("/desk/").content.decode()
    assert "invited you to write “Alice&#x27;s Secret Draft” with them." in desk
    assert "The secret words" not in desk and "Nobody may see this" not in desk


def test_bob_cannot_answer_carols_invitation(bob, carol, secrets):
    for action in ("accept", "decline"):
        response = signed_in(bob).post(f"/desk/invitations/{secrets['invitation']}/{action}/")
        assert response.status_code == 404
    unchanged(secrets)


@pytest.mark.parametrize(
    ("method", "url", "data"),
    [a for a in ADDRESSES + OPEN_ADDRESSES if a[0] == "post"],
    ids=[f"{m} {u}" for m, u, _ in ADDRESSES + OPEN_ADDRESSES if m == "post"],
)
def test_changes_without_a_csrf_token_are_refused(alice, carol, secrets, method, url, data):
    user = carol if "invitations" in url else alice
    client = signed_in(user, enforce_csrf_checks=True)
    response = client.post(url.format(**secrets), data)
    assert response.status_code == 403
    unchanged(secrets)


def test_the_desk_forms_carry_a_csrf_token(alice, secrets):
    client = signed_in(alice, enforce_csrf_checks=True)
    html = client.get(f"/desk/parts/{secrets['part']}/edit/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = client.post(
        f"/desk/parts/{secrets['part']}/edit/",
        {"title": "Renamed", "body_format": "markdown", "body": "x", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert Part.objects.get(pk=secrets["part"]).title == "Renamed"


def test_an_account_not_allowed_to_post_cannot_write(alice, secrets):
    alice.email_verified = False
    alice.save()
    client = signed_in(alice)
    assert client.get("/desk/stories/new/").status_code == 403
    response = client.post(f"/desk/parts/{secrets['part']}/edit/", {"title": "Unverified"})
    assert response.status_code == 403
    assert "Confirm your email address first" in response.content.decode()
    assert "Confirm your email address to start writing" in client.get("/desk/").content.decode()
    unchanged(secrets)


def test_a_moderator_does_not_edit_other_peoples_books(secrets):
    staff = User.objects.create_user("mod", "mod@example.org", "mod-password-1")
    roles.grant(staff, roles.Role.MODERATOR)
    assert signed_in(staff).get(f"/desk/stories/{secrets['story']}/edit/").status_code == 404
