"""Signed-in readers' part pages filled in at the WSGI entry (storyhouse/pagecache/personal.py):
the same page Django renders, for each reader their own name, votes, library, unread count,
comment links and CSRF token; no reader ever sees another's; a change to the reader (a vote,
a notification, signing out, a new password) shows on the next request, in every process;
authors, moderators and readers hiding a tag get Django's page.

Driven through the real WSGI application with environ dicts, as tests/test_page_cache.py does.
"""

import io
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from django.urls import reverse

from storyhouse.accounts import services as accounts
from storyhouse.accounts.models import User
from storyhouse.engagement import read_buffer
from storyhouse.engagement import services as engagement
from storyhouse.engagement.models import PartProgress, Read
from storyhouse.moderation import roles
from storyhouse.pagecache.app import PageCacheApp
from storyhouse.pagecache.store import LocalStore
from storyhouse.stories import services
from storyhouse.stories.models import Tag, TagType
from tests.helpers import write_book
from tests.test_page_cache import (  # noqa: F401 (fixtures)
    Answer,
    CountingApp,
    call,
    connections_kept,
    following,
    versions,
)

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r"[A-Za-z0-9]{64}")


@pytest.fixture
def site(settings, versions):  # noqa: F811
    settings.REDIS_URL = ""
    return PageCacheApp(WSGIHandler(), versions=versions, local=LocalStore(500))


class Session:
    """A signed-in browser: the session and CSRF cookies Django gave at sign-in."""

    def __init__(self, user: User) -> None:
        client = Client()
        client.force_login(user)
        self.user = user
        self.csrf = _get_new_csrf_string()
        self.cookie = f"sessionid={client.cookies['sessionid'].value}; csrftoken={self.csrf}"

    def get(self, app, url: str, **headers):
        # Inside a test's transaction nothing commits, so no change is bumped at commit:
        # a poll of the change log (as the next 100 ms would bring) stands in for it.
        app.versions.poll()
        return call(app, url, cookie=self.cookie, **headers)


def post(app, url: str, session: Session, token: str, **fields: str):
    """A form posted from the page, with the CSRF token the page held."""
    body = urlencode({"csrfmiddlewaretoken": token, **fields}).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": url,
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_COOKIE": session.cookie,
        "HTTP_REFERER": "http://127.0.0.1/",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
    }
    setup_testing_defaults(environ)
    started = []
    result = app(environ, lambda status, headers, exc_info=None: started.extend([status]))
    text = b"".join(result).decode()
    return Answer(int(started[0].split()[0]), [], text.encode())


@pytest.fixture
def book(alice, bob):
    tag = services.tag_save(Tag(name="Lighthouses", type=TagType.TROPE))
    story = write_book(alice, "The Lighthouse", ["Arrival", "Storm"], tags=[tag])
    part = story.parts.order_by("position").first()
    engagement.comment_post(author=alice, part=part, body="Welcome aboard, readers.")
    engagement.comment_post(author=bob, part=part, body="The storm scene got me.")
    return story, part, tag


@pytest.fixture
def carol(db) -> User:
    return User.objects.create_user(
        username="carol", email="carol@example.com", password="pw-carol-12345", email_verified=True
    )


def signed_in_as(html: str) -> str | None:
    """The name in the header's account link."""
    found = re.search(r'class="account-nav__name"[^>]*>([^<]*)</a>', html)
    return found[1] if found else None


def same_page(html: str) -> str:
    """The page with its CSRF tokens (masked afresh for every page) and its "a second ago"
    times (rendered a moment apart) made alike."""
    return re.sub(r"(<time [^>]*>)[^<]*(</time>)", r"\1\2", TOKEN.sub("TOKEN", html))


def test_the_filled_page_is_the_page_django_renders(site, book, bob):
    story, part, _tag = book
    engagement.vote_toggle(user=bob, part=part, voted=True)
    engagement.library_add(user=bob, story=story)
    reader = Session(bob)
    first = reader.get(site, part.get_absolute_url())
    second = reader.get(site, part.get_absolute_url())
    assert (first.status, first.cache) == (200, "miss")
    assert (second.status, second.cache) == (200, "personal")
    django = call(WSGIHandler(), part.get_absolute_url(), cookie=reader.cookie)
    assert same_page(second.text) == same_page(django.text) == same_page(first.text)
    page = second.text
    assert "bob" in page and 'aria-pressed="true"' in page and "In your library" in page
    assert "\ue000" not in page and "\ue002" not in page
    # The token is this reader's: it unmasks to the secret of their CSRF cookie.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    from django.middleware.csrf import _unmask_cipher_token

    assert _unmask_cipher_token(token) == reader.csrf
    assert second.header("Content-Length") == str(len(second.body))
    assert second.header("X-Frame-Options") == "DENY"


def test_each_reader_gets_their_own_things_from_one_shell(site, book, bob, carol):
    _story, part, _tag = book
    engagement.vote_toggle(user=bob, part=part, voted=True)
    bob_page = Session(bob).get(site, part.get_absolute_url())
    assert bob_page.cache == "miss"
    carol_page = Session(carol).get(site, part.get_absolute_url())
    assert carol_page.cache == "personal"  # filled from the shell Bob's request left
    # Her first visit: her reading progress is written, as the part view writes it.
    assert PartProgress.objects.filter(user=carol, part=part).exists()
    text = carol_page.text
    assert signed_in_as(text) == "carol" and signed_in_as(bob_page.text) == "bob"
    assert 'aria-pressed="false"' in text and "Add to library" in text
    # Bob's comment: Bob may edit it, Carol may only reply.
    bob_edits = re.findall(r"/comments/(\d+)/edit/", bob_page.text)
    assert len(bob_edits) == 1
    assert re.findall(r"/comments/(\d+)/edit/", text) == []
    assert text.count("Reply") == bob_page.text.count("Reply")


def test_a_vote_shows_on_the_next_request_and_its_token_works(site, book, carol):
    _story, part, _tag = book
    reader = Session(carol)
    url = part.get_absolute_url()
    reader.get(site, url)
    page = reader.get(site, url)
    assert 'aria-pressed="false"' in page.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    posted = post(site, reverse("engagement:vote", args=[part.pk]), reader, token, voted="true")
    assert posted.status == 302, posted.text[:500]
    for _ in range(2):  # rendered again (the vote count changed), then filled
        again = reader.get(site, url)
        assert 'aria-pressed="true"' in again.text
        assert "1 vote" in again.text
    assert again.cache == "personal"


def test_a_new_notification_shows_its_count(site, book, alice, carol):
    story, part, _tag = book
    reader = Session(alice)  # the author: Django's page, with the edit link
    page = reader.get(site, part.get_absolute_url())
    assert page.cache is None or page.cache != "personal"
    assert "Edit this part at your desk" in page.text
    carol_session = Session(carol)
    carol_session.get(site, part.get_absolute_url())
    assert "data-unread" not in carol_session.get(site, part.get_absolute_url()).text
    comment = engagement.comment_post(author=carol, part=part, body="Lovely.")
    engagement.comment_post(author=alice, part=part, body="Thank you!", parent=comment)
    shown = carol_session.get(site, part.get_absolute_url())
    assert shown.cache in ("personal", "miss")
    assert re.search(r"data-unread>1<", shown.text)


def test_signing_out_or_a_new_password_ends_the_session_in_every_process(settings, book, carol):
    _story, part, _tag = book
    settings.REDIS_URL = ""
    here, there = following(), following()
    site_a = PageCacheApp(WSGIHandler(), versions=here, local=LocalStore(50))
    site_b = PageCacheApp(WSGIHandler(), versions=there, local=LocalStore(50))
    import storyhouse.pagecache.versions as versions_module

    versions_module.current = here
    url = part.get_absolute_url()
    old = Session(carol)
    for site in (site_a, site_b):
        old.get(site, url)
        assert old.get(site, url).cache == "personal"
    carol.set_password("a-new-pw-98765")  # as the password change page does, elsewhere
    carol.save()
    there.poll()
    for site in (site_a, site_b):
        page = old.get(site, url)
        assert signed_in_as(page.text) is None and "Log in" in page.text


def test_readers_hiding_a_tag_and_moderators_get_djangos_page(site, book, bob, carol):
    _story, part, tag = book
    url = part.get_absolute_url()
    Session(bob).get(site, url)  # a shell is kept
    accounts.preferences_hide_tag(carol, tag)
    page = Session(carol).get(site, url)
    assert page.cache != "personal"
    assert "Lighthouses" in page.text and "?show=hidden" in page.text  # asked first
    accounts.preferences_show_tag(carol, tag)
    roles.grant(carol, roles.Role.MODERATOR)
    staff = Session(carol).get(site, url)
    assert staff.cache != "personal"
    assert staff.text.count("/delete/") >= 2  # a moderator may delete every comment


def test_reads_from_filled_pages_count_once_per_reader_and_day(site, book, carol):
    _story, part, _tag = book
    reader = Session(carol)
    for _ in range(3):
        reader.get(site, part.get_absolute_url())
    read_buffer.flush()
    assert Read.objects.filter(part=part, user=carol).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_readers_asking_at_once_get_their_pages_from_one_render(settings, book, bob, carol):
    settings.REDIS_URL = ""
    _story, part, _tag = book
    for person in (bob, carol):
        engagement.progress_record(user=person, part=part)  # opened it a moment ago
    app = CountingApp()
    site = PageCacheApp(app, versions=following(), local=LocalStore(50))
    readers = [Session(bob), Session(carol)] * 2
    with ThreadPoolExecutor(max_workers=4) as pool:
        pages = list(
            pool.map(
                lambda reader: call(site, part.get_absolute_url(), cookie=reader.cookie), readers
            )
        )
    assert [page.status for page in pages] == [200] * 4
    assert [signed_in_as(page.text) for page in pages] == ["bob", "carol"] * 2
    assert sorted(page.cache for page in pages) == ["miss", "personal", "personal", "personal"]
    assert app.calls == 1


def test_a_hidden_comment_shows_only_to_its_writer_from_the_shared_shell(site, book, bob, carol):
    from storyhouse.moderation import services as moderation

    _story, part, _tag = book
    said = engagement.comment_post(author=carol, part=part, body="Something unkind.")
    mod = User.objects.create_user("mod", "mod@example.org", "mod-password-1")
    roles.grant(mod, roles.Role.MODERATOR)
    moderation.comment_hide(moderator=mod, comment=said, reason="Unkind.")
    url = part.get_absolute_url()
    for person in (bob, carol):
        engagement.progress_record(user=person, part=part)
    bob_page = Session(bob).get(site, url)
    carol_page = Session(carol).get(site, url)
    assert carol_page.cache == "personal"  # from the shell Bob's request left
    assert "Something unkind." in carol_page.text and "Why: Unkind." in carol_page.text
    assert "Something unkind." not in bob_page.text and "This comment is hidden." in bob_page.text
    guest = call(site, url)
    assert "Something unkind." not in guest.text and "This comment is hidden." in guest.text


def test_readers_in_a_block_get_djangos_page_without_the_blocked_comments(
    site, book, alice, bob, carol
):
    from storyhouse.boundaries import services as boundaries

    _story, part, _tag = book
    url = part.get_absolute_url()
    for person in (bob, carol):
        engagement.progress_record(user=person, part=part)
    Session(bob).get(site, url)  # a shell is kept
    assert Session(carol).get(site, url).cache == "personal"
    boundaries.block(blocker=carol, blocked=bob)
    carols = Session(carol).get(site, url)
    assert carols.cache != "personal"
    assert "The storm scene got me." not in carols.text
    assert "A comment from someone you blocked." in carols.text
    assert Session(bob).get(site, url).cache != "personal"  # blocked: his own forms
    boundaries.block(blocker=alice, blocked=bob)
    bobs = Session(bob).get(site, url)
    assert "The first paragraph of Arrival." in bobs.text  # he still reads
    assert f"/parts/{part.pk}/vote/" not in bobs.text  # but may not vote
    boundaries.unblock(blocker=carol, blocked=bob)
    assert Session(carol).get(site, url).cache == "personal"
