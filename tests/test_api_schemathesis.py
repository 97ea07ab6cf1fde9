"""Schemathesis against /api/openapi.json: generated requests to every operation, as a guest
and with a writer's token, find no server error and no answer the description does not
promise (status code, content type, body schema)."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from storyhouse.accounts import tokens
from storyhouse.stories import services
from storyhouse.stories.models import Part, Tag, Visibility
from tests.helpers import write_book

# Django's own WSGI handler (storyhouse.wsgi would also start a search index in the background).
application = get_wsgi_application()
schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def same_connection():
    """Requests run in the test's own database transaction, as Django's test client runs them:
    the WSGI handler must not close the connection after each one."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def archive(db, same_connection, settings, tmp_path, alice, bob):
    """A few books (public, members-only, draft; one with a draft part), and Alice's token."""
    settings.MEDIA_ROOT = tmp_path / "media"
    # Generated requests come fast: the rate limits are tested elsewhere.
    settings.API_READS_PER_MINUTE = settings.API_WRITES_PER_MINUTE = 100_000
    warning = Tag.objects.get(name="No Archive Warnings Apply")
    trope = services.tag_get_or_create("Hero/Villain", type="trope")
    public = write_book(
        alice, "The Lighthouse", 2, tags=[warning, trope], description="<p>A keeper.</p>"
    )
    services.part_save(Part(story=public, title="Unwritten", body="<p>Soon.</p>"))
    members = write_book(alice, "Members Only", 1, visibility=Visibility.MEMBERS, tags=[warning])
    draft = write_book(alice, "Still A Draft", 1, visibility=Visibility.DRAFT, tags=[warning])
    bobs = write_book(bob, "Bob's Book", 1, tags=[warning])
    _token, raw = tokens.token_create(alice, "schemathesis")
    return {
        "story_id": [public.pk, members.pk, draft.pk, bobs.pk],
        "part_id": list(Part.objects.values_list("pk", flat=True)),
        "slug": ["hero-villain", "no-archive-warnings-apply", "not-rated"],
        "username": ["alice", "bob"],
        "token": raw,
    }


def aim_at_the_archive(case, archive: dict) -> None:
    """Generated ids mostly name nothing: point every other one at a real book, part, tag or
    author, so the answers about them are checked too."""
    for name, value in list((case.path_parameters or {}).items()):
        known = archive.get(name)
        if known and isinstance(value, int | str) and hash(value) % 2 == 0:
            case.path_parameters[name] = known[hash(value) % len(known)]


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_the_api_keeps_its_description(case, archive):
    aim_at_the_archive(case, archive)
    case.call_and_validate(headers={"Authorization": f"Bearer {archive['token']}"}, checks=CHECKS)
    if case.method.upper() == "GET":
        case.call_and_validate(checks=CHECKS)  # and as a guest
