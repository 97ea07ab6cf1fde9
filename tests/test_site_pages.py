"""The site's own pages: about, rules and privacy, with a sensible text until an admin writes
them, linked from the footer of every page; what an admin writes is cleaned, and guests see
an edit on the very next request."""

import re

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.community import services
from storyhouse.community.models import SitePage
from storyhouse.moderation.roles import Role, grant
from storyhouse.pagecache import versions as versions_module
from storyhouse.pagecache.app import PageCacheApp
from storyhouse.pagecache.store import LocalStore
from tests.helpers import write_book
from tests.test_page_cache import call, following

pytestmark = pytest.mark.django_db

FOOTER_LINKS = (
    '<li><a href="/about/">About</a></li>',
    '<li><a href="/rules/">Rules</a></li>',
    '<li><a href="/privacy/">Privacy</a></li>',
)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser("root", "root@example.org", "root-password-1")


@pytest.fixture
def admin(root) -> Client:
    client = Client()
    client.force_login(root)
    return client


def test_each_page_has_a_default_text_until_written(reader):
    about = reader.get("/about/")
    assert about.status_code == 200
    assert "<h1>About</h1>" in text(about)
    assert "a place where stories live" in text(about)
    assert "<h1>Rules</h1>" in text(reader.get("/rules/"))
    assert "Tag your stories honestly" in text(reader.get("/rules/"))
    assert "<h1>Privacy</h1>" in text(reader.get("/privacy/"))
    assert "we store no addresses" in text(reader.get("/privacy/"))
    assert "Edit this page" not in text(about)


def test_every_page_links_them_in_its_footer(reader, alice, bob):
    book = write_book(alice, "The Lighthouse")
    signed_in = Client()
    signed_in.force_login(bob)
    pages = [
        reader.get("/"),
        reader.get(book.get_absolute_url()),
        reader.get(book.parts.first().get_absolute_url()),
        reader.get("/accounts/login/"),
        reader.get("/no-such-page/"),
        signed_in.get(book.parts.first().get_absolute_url()),
        signed_in.get("/accounts/settings/"),
    ]
    for page in pages:
        footer = text(page).split('<footer class="site-footer">', 1)[1]
        for link in FOOTER_LINKS:
            assert link in footer


def test_an_admin_writes_a_page_in_the_admin_and_it_is_cleaned(admin, reader):
    about = text(admin.get("/about/"))
    assert '<a href="/admin/community/sitepage/add/?slug=about">Edit this page</a>' in about
    form = text(admin.get("/admin/community/sitepage/add/?slug=about"))
    assert "a place where stories live" in form  # starts from the default text
    saved = admin.post(
        "/admin/community/sitepage/add/",
        {
            "slug": "about",
            "title": "About the Harbour Writers",
            "body": '<p onclick="steal()">We write by the sea.</p><script>alert(1)</script>',
        },
    )
    assert saved.status_code == 302
    page = SitePage.objects.get(slug="about")
    assert page.body == "<p>We write by the sea.</p>"
    assert page.updated_by.username == "root"
    shown = text(reader.get("/about/"))
    assert "<h1>About the Harbour Writers</h1>" in shown
    assert "<p>We write by the sea.</p>" in shown
    assert "script" not in shown.split("<main", 1)[1].split("</main>")[0]
    edit = text(admin.get("/about/"))
    assert f'<a href="/admin/community/sitepage/{page.pk}/change/">Edit this page</a>' in edit
    assert admin.get(f"/admin/community/sitepage/{page.pk}/change/").status_code == 200
    assert admin.get("/admin/community/signuprequest/").status_code == 200


def test_only_admins_edit_site_pages(bob, root):
    staff = User.objects.create_user("sam", "sam@example.org", "sam-password-1", is_staff=True)
    moderator = User.objects.create_user("mo", "mo@example.org", "mo-password-1")
    grant(moderator, Role.MODERATOR)
    for person in (bob, staff, moderator):
        client = Client()
        client.force_login(person)
        assert "Edit this page" not in text(client.get("/rules/"))
        refused = client.post(
            "/admin/community/sitepage/add/", {"slug": "rules", "title": "Mine", "body": "x"}
        )
        assert refused.status_code in {302, 403}
    assert not SitePage.objects.exists()
    # Someone given the admin role may.
    admin = User.objects.create_user("ada", "ada@example.org", "ada-password-1")
    grant(admin, Role.ADMIN)
    client = Client()
    client.force_login(admin)
    assert "Edit this page" in text(client.get("/rules/"))
    saved = client.post(
        "/admin/community/sitepage/add/", {"slug": "rules", "title": "Ours", "body": "<p>Hi</p>"}
    )
    assert saved.status_code == 302
    assert SitePage.objects.get().title == "Ours"


@pytest.fixture
def connections_kept():
    """As Django's test client does: the test's transaction outlives each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_guests_see_an_edit_on_the_next_request_through_the_page_cache(
    settings, monkeypatch, connections_kept, root
):
    versions = following()
    monkeypatch.setattr(versions_module, "current", versions)
    settings.REDIS_URL = ""
    site = PageCacheApp(WSGIHandler(), versions=versions, local=LocalStore(50))
    call(site, "/")
    assert call(site, "/").cache == "hit"  # the cache is at work here
    first = call(site, "/rules/")
    assert first.status == 200
    assert "Tag your stories honestly" in first.text
    assert call(site, "/rules/").cache != "hit"  # site pages are never kept

    services.site_page_save(slug="rules", title="House rules", body="<p>Be gentle.</p>", by=root)
    after = call(site, "/rules/")
    assert after.cache != "hit"
    assert "<h1>House rules</h1>" in after.text
    assert "<p>Be gentle.</p>" in after.text
