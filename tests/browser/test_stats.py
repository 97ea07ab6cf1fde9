"""A writer's statistics in a real browser, after a scripted reading session: readers open
the parts in their own browsers (reads counted as the site counts them, progress sent as
they scroll to the end); two stop after part 2, two finish the book. The retention chart's
table says exactly that, and the charts are drawn."""

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from storyhouse.accounts.models import User
from storyhouse.engagement import paragraphs, read_buffer
from storyhouse.stats import rollup
from tests.browser.conftest import signed_in_page
from tests.helpers import write_book

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def no_login_throttle() -> None:
    cache.clear()


def test_retention_matches_what_the_readers_did(new_page, live_server, live_db, look):
    alice = User.objects.create_user(
        "alice", "alice@example.org", "alice-password-1", display_name="Alice Liddell"
    )
    story = write_book(alice, "The Lighthouse Keeper", ["Arrival", "Storm", "Morning"])
    parts = list(story.parts.order_by("position"))
    readers = [
        User.objects.create_user(name, f"{name}@example.org", f"{name}-password-1")
        for name in ("ann", "ben", "cat", "dan")
    ]
    plan = {"ann": 2, "ben": 2, "cat": 3, "dan": 3}  # how many parts each reads
    for person in readers:
        page = signed_in_page(new_page, live_server, person)
        for number, part in enumerate(parts[: plan[person.username]], start=1):
            page.goto(part.get_absolute_url())
            finishing = number < plan[person.username] or plan[person.username] == 3
            if finishing:  # read to the last paragraph: the page tells the site
                last = paragraphs.paragraphs(part.body)[-1].id
                answer = page.request.post(
                    f"/parts/{part.pk}/progress/",
                    form={"paragraph": last},
                    headers={
                        "X-CSRFToken": page.evaluate(
                            "document.cookie.match(/csrftoken=([^;]+)/)?.[1] || ''"
                        ),
                        "Referer": live_server.url + part.get_absolute_url(),
                    },
                    # Once in CI, on PostgreSQL beside the other worker's browser, this took
                    # over the pages' 5 s; a server that never answers still fails the test.
                    timeout=30_000,
                )
                assert answer.status == 204, answer.status
    read_buffer.flush()
    rollup.catch_up()

    writer = signed_in_page(new_page, live_server, alice)
    writer.goto("/desk/")
    writer.get_by_role("link", name="Statistics").click()
    expect(writer.get_by_role("heading", name="Your statistics")).to_be_visible()
    writer.get_by_role("link", name="The Lighthouse Keeper").click()
    table = writer.locator("table.stats-parts")
    expected = {"1": ("4", "4"), "2": ("4", "2"), "3": ("2", "2")}
    for number, (opened, finished) in expected.items():
        row = table.locator(f"tr[data-part='{number}']")
        expect(row.locator("td[data-opened]")).to_have_text(opened)
        expect(row.locator("td[data-finished]")).to_have_text(finished)
    expect(writer.locator("figure.stats-chart svg")).to_have_count(4)
    # Each reader opened the parts by their address: no referrer.
    expect(writer.locator("tr[data-source=direct] td")).to_have_text("10")
    expect(writer.locator("[data-total=reads] strong")).to_have_text("10")
    look(writer, "stats-book")
    writer.get_by_role("link", name="Last 12 months").click()
    expect(writer.locator("figure.stats-chart svg").first).to_be_visible()
