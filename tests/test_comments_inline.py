"""Inline comments: a comment about one paragraph of a part, checked against the part's body,
counted per paragraph, and reachable without JavaScript."""

import json
import re

import pytest
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.engagement import services
from storyhouse.engagement.models import Comment
from storyhouse.engagement.paragraphs import paragraphs
from storyhouse.stories import services as story_services
from storyhouse.stories.models import Part, PartState
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
BODY = (
    "<p>The lamp room was cold.</p>"
    "<p>Mara climbed the stairs, counting each of the hundred and twelve steps as her father "
    "had taught her, and at the top she found the door already open.</p>"
    "<p>Nobody was there.</p>"
)


def signed_in(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(user)
    return client


@pytest.fixture
def part(alice) -> Part:
    story = write_book(alice, "The Lighthouse", 0)
    return story_services.part_save(
        Part(story=story, title="The Lamp Room", body=BODY, state=PartState.PUBLISHED)
    )


@pytest.fixture
def ids(part) -> list[str]:
    return [paragraph.id for paragraph in paragraphs(part.body)]


def counts_on(html: str) -> dict[str, int]:
    data = re.search(
        r'<script id="paragraph-comment-counts" type="application/json">(.*?)</script>', html
    )
    return json.loads(data.group(1))


def test_a_reader_comments_on_a_paragraph_and_the_comment_quotes_it(part, ids, bob, reader):
    response = signed_in(bob).post(
        f"/parts/{part.pk}/comments/", {"body": "So many steps!", "paragraph": ids[1]}
    )

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert comment.paragraph == ids[1]
    html = reader.get(part.get_absolute_url()).content.decode()
    quote = re.search(r'<blockquote class="comment__quote"><a href="#([^"]+)"[^>]*>(.*?)</a>', html)
    assert quote.group(1) == ids[1]
    assert quote.group(2) == "“Mara climbed the stairs, counting each of the hundred and…”"


def test_each_paragraph_s_comments_are_counted_for_the_page(part, ids, bob, alice, reader):
    first = services.comment_post(author=bob, part=part, body="Brr", paragraph=ids[0])
    services.comment_post(author=alice, part=part, body="Yes!", parent=first)
    services.comment_post(author=bob, part=part, body="Eerie", paragraph=ids[2])
    services.comment_post(author=bob, part=part, body="About it all")
    gone = services.comment_post(author=bob, part=part, body="Oops", paragraph=ids[2])
    services.comment_delete(user=bob, comment=gone)

    html = reader.get(part.get_absolute_url()).content.decode()

    # Replies count with the paragraph of what they answer; deleted comments do not count.
    assert counts_on(html) == {ids[0]: 2, ids[2]: 1}
    assert Comment.objects.get(parent=first).paragraph == ids[0]


def test_the_stored_body_is_not_changed_by_the_counts(part, ids, bob, reader):
    body_before = part.body
    services.comment_post(author=bob, part=part, body="Brr", paragraph=ids[0])

    html = reader.get(part.get_absolute_url()).content.decode()

    part.refresh_from_db()
    assert part.body == body_before
    assert body_before in html


def test_a_paragraph_that_is_not_in_the_part_is_refused(part, ids, bob):
    other = write_book(bob, "Elsewhere", 1).parts.get()
    someone_elses = paragraphs(other.body)[0].id
    client = signed_in(bob)

    for bad in ["p-0000", "not-an-id", someone_elses, "<script>"]:
        response = client.post(f"/parts/{part.pk}/comments/", {"body": "Hm", "paragraph": bad})
        assert response.status_code == 200
        assert "Select a valid choice." in response.content.decode()
    assert not Comment.objects.exists()

    with pytest.raises(Exception, match="not in this part"):
        services.comment_post(author=bob, part=part, body="Hm", paragraph=someone_elses)


def test_without_javascript_a_paragraph_s_comments_have_an_address(part, ids, bob, reader):
    services.comment_post(author=bob, part=part, body="Cold indeed", paragraph=ids[0])
    services.comment_post(author=bob, part=part, body="Who left it open?", paragraph=ids[1])
    services.comment_post(author=bob, part=part, body="General thoughts")

    html = reader.get(f"{part.get_absolute_url()}?paragraph={ids[1]}").content.decode()

    assert '<h2 id="comments-heading">Comments on paragraph 2</h2>' in html
    assert re.findall(r'<div class="comment__body"><p>(.*?)</p>', html) == ["Who left it open?"]
    assert f'<a href="{part.get_absolute_url()}#comments">All comments on this part</a>' in html

    # The comments endpoint itself sends a browser without htmx to that address.
    response = reader.get(f"/parts/{part.pk}/comments/?paragraph={ids[1]}")
    assert response["Location"] == f"{part.get_absolute_url()}?paragraph={ids[1]}#comments"


def test_with_htmx_the_paragraph_s_comments_come_as_a_partial(part, ids, bob):
    services.comment_post(author=bob, part=part, body="Cold indeed", paragraph=ids[0])

    html = signed_in(bob).get(f"/parts/{part.pk}/comments/?paragraph={ids[0]}", **HTMX)

    text = html.content.decode()
    assert text.lstrip().startswith('<section id="comments"')
    assert "Comments on paragraph 1" in text and "Cold indeed" in text


def test_the_comment_form_offers_each_paragraph_to_choose_from(part, ids, bob):
    html = signed_in(bob).get(f"{part.get_absolute_url()}?paragraph={ids[2]}").content.decode()

    select = re.search(r'<select name="paragraph" id="id_paragraph">(.*?)</select>', html, re.S)
    options = re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select.group(1))
    assert [(value, text) for value, _selected, text in options] == [
        ("", "The whole part"),
        (ids[0], "Paragraph 1: The lamp room was cold."),
        (ids[1], "Paragraph 2: Mara climbed the stairs, counting each of the hundred and…"),
        (ids[2], "Paragraph 3: Nobody was there."),
    ]
    # Looking at one paragraph's comments, the form is about that paragraph.
    assert [value for value, selected, _text in options if selected] == [ids[2]]


def test_a_comment_about_a_paragraph_the_writer_removed_says_so(part, ids, bob, reader):
    services.comment_post(author=bob, part=part, body="Poor Mara", paragraph=ids[1])
    part.body = BODY.replace(
        "<p>Mara climbed the stairs, counting each of the hundred and twelve steps as her "
        "father had taught her, and at the top she found the door already open.</p>",
        "",
    )
    story_services.part_save(part)

    html = reader.get(part.get_absolute_url()).content.decode()

    assert "About a paragraph that is no longer in this part." in html
    assert counts_on(html) == {}


def test_the_part_page_carries_the_paragraph_form_only_for_those_who_may_comment(part, bob, reader):
    assert (
        'id="paragraph-comment-template"'
        in signed_in(bob).get(part.get_absolute_url()).content.decode()
    )
    guest_page = reader.get(part.get_absolute_url()).content.decode()
    assert 'id="paragraph-comment-template"' not in guest_page
    assert "/static/storyhouse/engagement.js" in guest_page  # the counts show for guests too
