"""Every accounts page is well-formed HTML5 with one h1, one main landmark and unique ids,
for guests and members alike, and forms that show their errors keep it so."""

from collections import Counter

import html5lib
import pytest
from django.core.cache import cache
from django.test import Client

from storyhouse.accounts import services as accounts
from storyhouse.stories.models import Tag
from tests.helpers import write_book

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def assert_well_formed(response) -> None:
    assert response.status_code in {200, 400, 429}, response.status_code
    parser = html5lib.HTMLParser(namespaceHTMLElements=False)
    document = parser.parse(response.content, transport_encoding="utf-8")
    errors = [
        f"line {line}, column {column}: {code} {data or ''}"
        for (line, column), code, data in parser.errors
    ]
    assert not errors, "\n".join(errors)
    assert len(document.findall(".//main")) == 1
    assert len(document.findall(".//h1")) == 1
    ids = Counter(element.get("id") for element in document.iter() if element.get("id"))
    assert [id for id, count in ids.items() if count > 1] == []
    # Every form that changes something carries its CSRF token.
    for form in document.iter("form"):
        if form.get("method") == "post":
            names = [field.get("name") for field in form.iter("input")]
            assert "csrfmiddlewaretoken" in names


GUEST_PAGES = [
    "/accounts/signup/",
    "/accounts/login/",
    "/accounts/password-reset/",
    "/accounts/password-reset/sent/",
    "/accounts/password-reset/done/",
    "/accounts/password-reset/MQ/not-a-token/",
    "/accounts/verify/not-a-link/",
]
MEMBER_PAGES = [
    "/accounts/settings/",
    "/accounts/verify/",
    "/accounts/password/",
    "/accounts/preferences/",
    "/accounts/preferences/?q=death",
    "/accounts/delete/",
]


@pytest.mark.parametrize("address", GUEST_PAGES)
def test_guest_pages_are_well_formed(client, address):
    assert_well_formed(client.get(address, follow=True))


@pytest.mark.parametrize("address", MEMBER_PAGES)
def test_member_pages_are_well_formed(bob, address):
    client = Client()
    client.force_login(bob)
    accounts.preferences_hide_tag(bob, Tag.objects.get(name="Explicit"))
    assert_well_formed(client.get(address))


def test_pages_with_errors_and_asking_pages_are_well_formed(alice, bob):
    client = Client()
    assert_well_formed(client.post("/accounts/signup/", {"username": "a b", "password1": "x"}))
    assert_well_formed(client.post("/accounts/login/", {"username": "bob", "password": "x"}))
    assert_well_formed(
        client.get(f"/accounts/verify/{accounts.verification_token(bob, bob.email)}/")
    )

    client.force_login(bob)
    assert_well_formed(client.post("/accounts/settings/", {"display_name": "B" * 200}))
    assert_well_formed(client.post("/accounts/settings/email/", {"email": "nope"}))
    assert_well_formed(client.post("/accounts/delete/", {"password": "x"}))

    death = Tag.objects.get(name="Major Character Death")
    book = write_book(alice, "The Last Keeper", ["Storm"], tags=[death])
    accounts.preferences_hide_tag(bob, death)
    part = book.parts.get()
    assert_well_formed(client.get(part.get_absolute_url()))
    assert_well_formed(client.get(part.get_absolute_url(), {"show": "hidden"}))
    assert_well_formed(client.get(book.get_absolute_url()))
