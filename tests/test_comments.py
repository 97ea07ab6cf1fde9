"""Comments on parts: threads of replies, editing and deleting, who may do what, plain text
with clickable links and nothing else, and counts that stay exact."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.engagement import services
from storyhouse.engagement.models import Comment
from storyhouse.stories import services as story_services
from storyhouse.stories.models import Part, Story, Visibility
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def signed_in(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(user)
    return client


def comments_of(part: Part) -> tuple[int, int]:
    """(comments on the part, comments on its book) as the database counts them."""
    part.refresh_from_db()
    return part.comments_count, Story.objects.get(pk=part.story_id).comments_count


def page_of(client: Client, part: Part, query: str = "") -> str:
    response = client.get(part.get_absolute_url() + query)
    assert response.status_code == 200
    return response.content.decode()


def comment_bodies(html: str) -> list[str]:
    return re.findall(r'<div class="comment__body">(.*?)</div>', html, re.S)


@pytest.fixture
def carol(db) -> User:
    return User.objects.create_user("carol", "carol@example.org", "carol-password-1")


@pytest.fixture
def part(alice) -> Part:
    return write_book(alice, "The Lighthouse", 2).parts.first()


def post(client: Client, part: Part, **data) -> object:
    return client.post(f"/parts/{part.pk}/comments/", data)


# Posting and threads


def test_a_reader_comments_and_sees_the_comment_under_the_part(part, bob, reader):
    response = post(signed_in(bob), part, body="What a storm!")

    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{part.get_absolute_url()}#comment-{comment.pk}"
    html = page_of(reader, part)
    assert '<h2 id="comments-heading">1 comment</h2>' in html
    assert f'id="comment-{comment.pk}"' in html
    assert '<a href="/authors/bob/">bob</a>' in html
    assert comment_bodies(html) == ["<p>What a storm!</p>"]
    assert comments_of(part) == (1, 1)


def test_with_htmx_the_comments_section_comes_back_with_the_new_comment(part, bob):
    response = signed_in(bob).post(f"/parts/{part.pk}/comments/", {"body": "Hello"}, **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="comments"')
    assert "<html" not in html
    assert response["X-Comment-Id"] == str(Comment.objects.get().pk)
    assert "Your comment is posted." in html
    assert "<p>Hello</p>" in html


def test_replies_nest_under_what_they_answer(part, bob, carol, reader):
    first = services.comment_post(author=bob, part=part, body="First thought")
    reply = services.comment_post(author=carol, part=part, body="A reply", parent=first)
    services.comment_post(author=bob, part=part, body="A reply to the reply", parent=reply)
    services.comment_post(author=carol, part=part, body="Another thread")

    html = page_of(reader, part)

    # Threads newest first; replies inside their comment's <li>, in the order they came.
    assert [body for body in comment_bodies(html)] == [
        "<p>Another thread</p>",
        "<p>First thought</p>",
        "<p>A reply</p>",
        "<p>A reply to the reply</p>",
    ]
    first_thread = html[html.index(f'id="comment-{first.pk}"') :]
    nested = re.findall(r'<ol class="comment-list comment-list--replies">', first_thread)
    assert len(nested) == 2
    assert comments_of(part) == (4, 4)


def test_a_long_back_and_forth_stops_nesting_and_says_whom_each_reply_answers(
    part, bob, carol, reader
):
    comment = services.comment_post(author=bob, part=part, body="Level 0")
    for depth in range(1, 7):
        author = carol if depth % 2 else bob
        comment = services.comment_post(
            author=author, part=part, body=f"Level {depth}", parent=comment
        )

    html = page_of(reader, part)

    # Levels 1, 2 and 3 nest; 4, 5 and 6 line up together in the fourth level.
    assert html.count('<ol class="comment-list comment-list--replies">') == 4
    deepest = html[html.rindex('<ol class="comment-list comment-list--replies">') :]
    assert re.findall(r"<p>Level (\d)</p>", deepest) == ["4", "5", "6"]
    assert comment_bodies(html) == [f"<p>Level {n}</p>" for n in range(7)]
    assert html.count('<p class="comment__reply-to">In reply to bob</p>') == 1  # level 5
    assert html.count('<p class="comment__reply-to">In reply to carol</p>') == 2  # 4 and 6


def test_a_reply_must_be_on_the_same_part(part, bob):
    elsewhere = part.story.parts.last()
    comment = services.comment_post(author=bob, part=elsewhere, body="Over here")

    response = post(signed_in(bob), part, body="Reply", parent=comment.pk)

    assert response.status_code == 404
    with pytest.raises(ValidationError):
        services.comment_post(author=bob, part=part, body="Reply", parent=comment)


def test_the_reply_form_comes_inline_with_htmx_and_as_a_page_without(part, bob, carol):
    comment = services.comment_post(author=bob, part=part, body="Hello")
    client = signed_in(carol)

    inline = client.get(f"/comments/{comment.pk}/reply/", **HTMX).content.decode()
    assert inline.lstrip().startswith('<form class="comment-form comment-form--reply"')
    assert f'<input type="hidden" name="parent" value="{comment.pk}">' in inline
    assert 'hx-post="' in inline
    assert "Your reply to bob" in inline

    page = client.get(f"/comments/{comment.pk}/reply/").content.decode()
    assert "<h1>Reply</h1>" in page
    assert "hx-post" not in page.split("<main", 1)[1]

    response = client.post(f"/parts/{part.pk}/comments/", {"body": "Hi bob", "parent": comment.pk})
    reply = Comment.objects.get(parent=comment)
    assert response["Location"].endswith(f"#comment-{reply.pk}")
    assert (reply.author, reply.depth, reply.root_id) == (carol, 1, comment.pk)


# Plain text, links, limits


XSS = [
    "<script>alert('xss')</script>",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    "javascript:alert(1)",
    '<svg onload="alert(1)"><circle/></svg>',
    "<style>body{display:none}</style>",
    '"><iframe src="https://evil.example/"></iframe>',
    'http://example.org/"onmouseover="alert(1)',
]


def shown(part, author, body: str) -> None:
    """Post a comment and, when it waits for approval (a new account's link), approve it as
    the book's writer does."""
    comment = services.comment_post(author=author, part=part, body=body)
    if comment.is_held:
        writer = part.story.authorship_set.get().user
        services.comment_approve(user=writer, comment=comment)


@pytest.mark.parametrize("payload", XSS)
def test_whatever_a_commenter_types_shows_as_text(part, bob, reader, payload):
    shown(part, bob, f"Look: {payload}")

    (body,) = comment_bodies(page_of(reader, part))

    tags = re.findall(r"<(\w+)", body)
    assert set(tags) <= {"p", "a", "br"}
    for attributes in re.findall(r"<a ([^>]*)>", body):
        assert re.fullmatch(r'href="https?://[^"]*" rel="nofollow ugc noopener"', attributes)
    assert "javascript:alert" not in "".join(re.findall(r'href="([^"]*)"', body))
    assert "<script" not in body and "<svg" not in body and "<style" not in body


def test_web_links_become_clickable_and_nothing_else_does(part, bob, reader):
    shown(
        part,
        bob,
        (
            "Map: https://example.org/map?x=1&y=2 (see http://example.net/a_(b)).\n"
            "Not links: www.example.com, ftp://example.com, mail@example.org\n\n"
            "**not bold** <b>not bold</b>"
        ),
    )

    (body,) = comment_bodies(page_of(reader, part))

    assert body == (
        '<p>Map: <a href="https://example.org/map?x=1&amp;y=2" rel="nofollow ugc noopener">'
        "https://example.org/map?x=1&amp;y=2</a> (see "
        '<a href="http://example.net/a_(b)" rel="nofollow ugc noopener">'
        "http://example.net/a_(b)</a>).<br>"
        "Not links: www.example.com, ftp://example.com, mail@example.org</p>"
        "<p>**not bold** &lt;b&gt;not bold&lt;/b&gt;</p>"
    )


def test_an_empty_or_too_long_comment_is_refused_with_a_reason(part, bob):
    client = signed_in(bob)

    empty = post(client, part, body="   \n  ")
    assert empty.status_code == 200
    assert "This field is required." in empty.content.decode()

    too_long = post(client, part, body="a" * (Comment.MAX_LENGTH + 1))
    assert too_long.status_code == 200
    assert "Ensure this value has at most 5000 characters" in too_long.content.decode()

    with pytest.raises(ValidationError, match="at most 5000"):
        services.comment_post(author=bob, part=part, body="b" * (Comment.MAX_LENGTH + 1))
    assert not Comment.objects.exists()
    assert comments_of(part) == (0, 0)


# Editing and deleting


def test_a_reader_edits_their_own_comment(part, bob, reader):
    comment = services.comment_post(author=bob, part=part, body="Teh storm")
    client = signed_in(bob)

    form = client.get(f"/comments/{comment.pk}/edit/").content.decode()
    assert "Teh storm</textarea>" in form
    response = client.post(f"/comments/{comment.pk}/edit/", {"body": "The storm"})

    assert response["Location"] == f"{part.get_absolute_url()}#comment-{comment.pk}"
    html = page_of(reader, part)
    assert comment_bodies(html) == ["<p>The storm</p>"]
    assert '<span class="comment__edited">edited</span>' in html


def test_a_reader_deletes_their_own_comment_and_the_counts_follow(part, bob, reader):
    comment = services.comment_post(author=bob, part=part, body="Oops")
    client = signed_in(bob)

    assert "Delete this comment?" in client.get(f"/comments/{comment.pk}/delete/").content.decode()
    response = client.post(f"/comments/{comment.pk}/delete/")

    assert response["Location"] == f"{part.get_absolute_url()}#comments"
    assert not Comment.objects.exists()
    assert comments_of(part) == (0, 0)
    assert "No comments yet." in page_of(reader, part)


def test_a_deleted_comment_with_replies_stays_as_a_marker_with_its_replies(
    part, bob, carol, reader
):
    comment = services.comment_post(author=bob, part=part, body="Secret thoughts")
    services.comment_post(author=carol, part=part, body="I agree", parent=comment)

    services.comment_delete(user=bob, comment=comment)

    html = page_of(reader, part)
    assert "This comment was deleted." in html
    assert "Secret thoughts" not in html
    assert comment_bodies(html) == ["<p>I agree</p>"]
    assert comments_of(part) == (1, 1)
    assert Comment.objects.get(pk=comment.pk).body == ""

    # When its last reply goes too, the marker has nothing left to hold and goes with it.
    services.comment_delete(user=carol, comment=Comment.objects.get(parent=comment))
    assert not Comment.objects.exists()
    assert comments_of(part) == (0, 0)


def test_a_deleted_comment_cannot_be_answered_or_deleted_twice(part, bob, carol):
    comment = services.comment_post(author=bob, part=part, body="Hi")
    services.comment_post(author=carol, part=part, body="Hello", parent=comment)
    services.comment_delete(user=bob, comment=comment)
    comment.refresh_from_db()

    with pytest.raises(ValidationError):
        services.comment_post(author=carol, part=part, body="Hm?", parent=comment)
    assert signed_in(bob).post(f"/comments/{comment.pk}/delete/").status_code == 403
    assert comments_of(part) == (1, 1)


def test_the_stories_author_may_delete_any_comment_on_it(part, alice, bob):
    comment = services.comment_post(author=bob, part=part, body="Rude words")
    client = signed_in(alice)

    html = page_of(client, part)
    assert f'href="/comments/{comment.pk}/delete/"' in html
    assert f'href="/comments/{comment.pk}/edit/"' not in html  # but not put words in bob's mouth
    assert client.post(f"/comments/{comment.pk}/delete/").status_code == 302
    assert not Comment.objects.exists()


def test_other_readers_may_not_edit_or_delete_a_comment(part, bob, carol):
    comment = services.comment_post(author=bob, part=part, body="Mine")
    client = signed_in(carol)

    html = page_of(client, part)
    assert f"/comments/{comment.pk}/edit/" not in html
    assert f"/comments/{comment.pk}/delete/" not in html
    assert client.get(f"/comments/{comment.pk}/edit/").status_code == 403
    assert client.post(f"/comments/{comment.pk}/edit/", {"body": "Yours"}).status_code == 403
    assert client.post(f"/comments/{comment.pk}/delete/").status_code == 403
    with pytest.raises(PermissionDenied):
        services.comment_edit(user=carol, comment=comment, body="Yours")
    with pytest.raises(PermissionDenied):
        services.comment_delete(user=carol, comment=comment)
    comment.refresh_from_db()
    assert comment.body == "Mine" and not comment.is_deleted


def test_a_guest_sees_comments_and_a_way_to_log_in_not_a_form(part, bob, reader):
    comment = services.comment_post(author=bob, part=part, body="Hello")

    html = page_of(reader, part)

    assert "Hello" in html
    assert 'id="comment-form"' not in html
    assert "Log in to comment" in html
    assert f"/comments/{comment.pk}/reply/" not in html
    assert reader.get(f"/comments/{comment.pk}/edit/").status_code == 302  # to the login page


def test_comments_on_a_part_nobody_may_see_are_not_found(alice, bob):
    secret = write_book(alice, "Secret", 1)
    part = secret.parts.get()
    comment = services.comment_post(author=bob, part=part, body="Early")
    secret.visibility = Visibility.DRAFT
    story_services.story_save(secret)
    client = signed_in(bob)

    assert client.get(f"/comments/{comment.pk}/edit/").status_code == 404
    assert client.post(f"/comments/{comment.pk}/delete/").status_code == 404
    assert post(client, part, body="Again?").status_code == 404
    assert client.get(f"/parts/{part.pk}/comments/", **HTMX).status_code == 404


def test_a_deleted_account_leaves_its_comments_signed_by_a_former_reader(part, bob, reader):
    services.comment_post(author=bob, part=part, body="I was here")

    bob.delete()

    html = page_of(reader, part)
    assert '<span class="comment__author">A former reader</span>' in html
    assert comment_bodies(html) == ["<p>I was here</p>"]
    assert comments_of(part) == (1, 1)


def test_every_comment_form_needs_a_csrf_token(part, bob):
    comment = services.comment_post(author=bob, part=part, body="Hello")
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT, enforce_csrf_checks=True)
    client.force_login(bob)

    assert client.post(f"/parts/{part.pk}/comments/", {"body": "Hi"}).status_code == 403
    assert client.post(f"/comments/{comment.pk}/edit/", {"body": "Hi"}).status_code == 403
    assert client.post(f"/comments/{comment.pk}/delete/").status_code == 403
    assert Comment.objects.get().body == "Hello"


def test_comments_come_in_pages_of_threads(part, bob, reader):
    for number in range(23):
        services.comment_post(author=bob, part=part, body=f"Comment {number}")

    first = page_of(reader, part)
    assert len(comment_bodies(first)) == 20
    assert "Comment 22" in first and "Comment 2<" not in first
    assert '?comments=2#comments" rel="next">Older comments</a>' in first

    second = page_of(reader, part, "?comments=2")
    assert comment_bodies(second) == [f"<p>Comment {n}</p>" for n in (2, 1, 0)]


def test_a_page_of_comments_costs_the_same_queries_however_many_threads(
    part, bob, carol, django_assert_max_num_queries
):
    client = signed_in(carol)
    page_of(client, part)  # warm up: sessions, content types

    def thread() -> None:
        comment = services.comment_post(author=bob, part=part, body="Hello")
        services.comment_post(author=carol, part=part, body="Hi", parent=comment)

    thread()
    with django_assert_max_num_queries(40) as few:
        page_of(client, part)
    for _ in range(8):
        thread()
    with django_assert_max_num_queries(len(few.captured_queries)):
        page_of(client, part)


def test_staff_delete_comments_in_the_admin_through_the_same_service(part, bob, carol):
    root = User.objects.create_superuser("root", "root@example.org", "root-password-1")
    admin = Client()
    admin.force_login(root)
    first = services.comment_post(author=bob, part=part, body="Spam")
    reply = services.comment_post(author=carol, part=part, body="Spam too", parent=first)
    services.comment_post(author=carol, part=part, body="Fine")

    assert admin.get("/admin/engagement/comment/").status_code == 200
    admin.post(
        "/admin/engagement/comment/",
        {"action": "delete_selected", "_selected_action": [first.pk, reply.pk], "post": "yes"},
    )

    assert list(Comment.objects.values_list("body", flat=True)) == ["Fine"]
    assert comments_of(part) == (1, 1)
