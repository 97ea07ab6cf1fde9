"""Comment controls: a writer opens a book to guests, keeps it to signed-in readers, holds
every comment for approval, or closes comments (those there stay), for one book or all at
once; writers and moderators freeze threads; guests sign with a name and pass the spam
defences; a new account's first comments with links wait for approval; "Spam" removes a
comment and everything held from the same sender."""

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.engagement import services
from storyhouse.engagement.models import Comment, Notification
from storyhouse.moderation.roles import Role, grant
from storyhouse.stories.models import CommentMode, Story
from tests.helpers import write_book

pytestmark = pytest.mark.django_db


@pytest.fixture
def carol(db) -> User:
    return User.objects.create_user("carol", "carol@example.org", "carol-password-1")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def with_mode(story: Story, mode: str) -> Story:
    story.comment_mode = mode
    story.save()
    return story


@pytest.fixture
def part(alice):
    return write_book(alice, "The Lighthouse", 2).parts.order_by("position").first()


def page(client: Client, part) -> str:
    response = client.get(part.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


# Who may comment


def test_by_default_signed_in_readers_comment_and_guests_are_asked_to_log_in(part, bob):
    assert 'name="body"' in page(signed_in(bob), part)
    guest = page(Client(), part)
    assert "Log in to comment" in guest and "comment as a guest" not in guest
    assert Client().get(f"/parts/{part.pk}/comments/guest/").status_code == 403


def test_closed_comments_keep_the_old_ones_and_take_no_new_ones(part, alice, bob):
    services.comment_post(author=bob, part=part, body="Said before it closed.")
    with_mode(part.story, CommentMode.CLOSED)
    html = page(signed_in(bob), part)
    assert "Said before it closed." in html
    assert "Comments are closed on this book." in html
    assert 'name="body"' not in html and "/reply/" not in html
    refused = signed_in(bob).post(f"/parts/{part.pk}/comments/", {"body": "Let me in."})
    assert refused.status_code == 403
    with pytest.raises(PermissionDenied):
        services.comment_post(author=alice, part=part, body="Not even the writer.")
    # Votes are not comments: they still count.
    assert services.vote_toggle(user=bob, part=part, voted=True)[0] is True


def test_the_writer_sets_who_may_comment_in_the_books_details(part, alice):
    from tests.test_desk_books import book_form

    story = part.story
    form = book_form(comment_mode="closed")
    response = signed_in(alice).post(f"/desk/stories/{story.pk}/edit/", form)
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.comment_mode == CommentMode.CLOSED
    # A form without the choice leaves it as it was.
    signed_in(alice).post(f"/desk/stories/{story.pk}/edit/", book_form())
    story.refresh_from_db()
    assert story.comment_mode == CommentMode.CLOSED


def test_the_writer_sets_it_for_all_their_books_at_once(part, alice, bob):
    other = write_book(alice, "The Orchard", 1)
    bobs = write_book(bob, "Bob's Book", 1)
    desk = signed_in(alice).get("/desk/comments/").content.decode()
    assert "Apply to all my books" in desk
    done = signed_in(alice).post("/desk/comments/", {"comment_mode": "open"}, follow=True)
    assert "Saved for all your books (2 changed)." in done.content.decode()
    assert set(Story.objects.filter(comment_mode="open")) == {part.story, other}
    bobs.refresh_from_db()
    assert bobs.comment_mode == CommentMode.MEMBERS
    wrong = signed_in(alice).post("/desk/comments/", {"comment_mode": "everyone"})
    assert wrong.status_code == 200 and "Select a valid choice" in wrong.content.decode()


# Guests


def guest_form(**fields) -> dict:
    return {"name": "Wren", "body": "A lovely chapter.", "website": "", **fields}


def test_a_guest_comments_with_a_name_where_the_book_is_open(part, alice):
    with_mode(part.story, CommentMode.OPEN)
    html = page(Client(), part)
    assert "comment as a guest" in html
    assert "csrfmiddlewaretoken" not in html  # the page guests share stays one page
    guest = Client()
    form = guest.get(f"/parts/{part.pk}/comments/guest/").content.decode()
    assert "Your name" in form and "Leave this empty" in form
    posted = guest.post(f"/parts/{part.pk}/comments/guest/", guest_form())
    assert posted.status_code == 302
    comment = Comment.objects.get()
    assert (comment.author, comment.guest_name, comment.is_held) == (None, "Wren", False)
    shown = page(Client(), part)
    assert "A lovely chapter." in shown and "Wren" in shown and "(guest)" in shown
    told = signed_in(alice).get("/notifications/").content.decode()
    assert "Wren (a guest) commented on Chapter 1" in told


def test_a_guest_must_give_a_name_and_a_robot_is_turned_away(part):
    with_mode(part.story, CommentMode.OPEN)
    nameless = Client().post(f"/parts/{part.pk}/comments/guest/", guest_form(name="  "))
    assert nameless.status_code == 200 and "This field is required." in nameless.content.decode()
    robot = Client().post(f"/parts/{part.pk}/comments/guest/", guest_form(website="spam.example"))
    assert robot.status_code == 302
    assert not Comment.objects.exists()


def test_guests_commenting_faster_than_allowed_get_a_429_and_keep_their_words(part, settings):
    settings.COMMENTS_PER_MINUTE = 1  # an address may send ten times an account's
    with_mode(part.story, CommentMode.OPEN)
    guest = Client()
    for number in range(10):
        guest.post(f"/parts/{part.pk}/comments/guest/", guest_form(body=f"Comment {number}"))
    refused = guest.post(f"/parts/{part.pk}/comments/guest/", guest_form(body="One too many"))
    assert refused.status_code == 429
    assert "One too many" in refused.content.decode()  # still in the box
    assert Comment.objects.count() == 10


def test_a_signed_in_reader_is_sent_back_to_the_part_page(part, bob):
    with_mode(part.story, CommentMode.OPEN)
    response = signed_in(bob).get(f"/parts/{part.pk}/comments/guest/")
    assert response.status_code == 302 and response["Location"].endswith("#comments")


# Held for approval


def test_a_held_comment_waits_on_the_writers_desk_until_approved(part, alice, bob, carol):
    with_mode(part.story, CommentMode.HELD)
    bobs = signed_in(bob)
    assert "The writer approves each comment before it shows." in page(bobs, part)
    sent = bobs.post(f"/parts/{part.pk}/comments/", {"body": "Waiting patiently."}, follow=True)
    assert "your comment waits for the writer&#x27;s approval" in sent.content.decode()
    comment = Comment.objects.get()
    assert comment.is_held
    assert "Waiting patiently." not in page(signed_in(carol), part)
    part.refresh_from_db()
    assert part.comments_count == 0
    assert not Notification.objects.filter(recipient=alice).exists()

    desk = signed_in(alice).get("/desk/").content.decode()
    assert "1 comment waits for your approval" in desk
    held = signed_in(alice).get("/desk/comments/").content.decode()
    assert "Waiting patiently." in held and "The Lighthouse" in held
    signed_in(alice).post(f"/desk/comments/{comment.pk}/", {"action": "approve"})
    assert "Waiting patiently." in page(signed_in(carol), part)
    part.refresh_from_db()
    assert part.comments_count == 1
    assert Notification.objects.filter(recipient=alice, kind="comment").exists()


def test_the_writers_own_comments_are_never_held(part, alice):
    with_mode(part.story, CommentMode.HELD)
    mine = services.comment_post(author=alice, part=part, body="See https://example.org/map")
    assert not mine.is_held


def test_a_held_comment_can_be_deleted_from_the_desk(part, alice, bob):
    with_mode(part.story, CommentMode.HELD)
    comment = services.comment_post(author=bob, part=part, body="Hmm.")
    signed_in(alice).post(f"/desk/comments/{comment.pk}/", {"action": "delete"})
    assert not Comment.objects.exists()
    part.refresh_from_db()
    assert part.comments_count == 0


def test_only_the_books_writers_and_moderators_approve(part, alice, bob, carol):
    with_mode(part.story, CommentMode.HELD)
    comment = services.comment_post(author=bob, part=part, body="Hmm.")
    assert (
        signed_in(carol).post(f"/desk/comments/{comment.pk}/", {"action": "approve"}).status_code
        == 404
    )
    assert "Hmm." not in signed_in(carol).get("/desk/comments/").content.decode()
    with pytest.raises(PermissionDenied):
        services.comment_approve(user=carol, comment=comment)
    grant(carol, Role.MODERATOR)
    carol = User.objects.get(pk=carol.pk)  # permissions are kept on the object once asked
    assert "Hmm." in signed_in(carol).get("/desk/comments/").content.decode()
    services.comment_approve(user=carol, comment=comment)
    assert not Comment.objects.get().is_held


def test_a_new_accounts_first_comments_with_links_are_held(part, bob):
    linked = services.comment_post(author=bob, part=part, body="Read mine: https://spam.example")
    plain = services.comment_post(author=bob, part=part, body="Lovely.")
    assert linked.is_held and not plain.is_held
    for number in range(2):
        services.comment_post(author=bob, part=part, body=f"Thoughts {number}.")
    later = services.comment_post(author=bob, part=part, body="My map: www.example.org")
    assert not later.is_held  # three standing comments: not new any more


def test_a_guests_comment_with_a_link_is_held(part):
    with_mode(part.story, CommentMode.OPEN)
    Client().post(
        f"/parts/{part.pk}/comments/guest/", guest_form(body="Cheap pills http://spam.example")
    )
    assert Comment.objects.get().is_held
    assert "Cheap pills" not in page(Client(), part)


def test_spam_removes_the_comment_and_everything_held_from_the_same_sender(part, alice, carol):
    with_mode(part.story, CommentMode.OPEN)
    spammer = Client(REMOTE_ADDR="203.0.113.9")
    for word in ("one", "two", "three"):
        spammer.post(
            f"/parts/{part.pk}/comments/guest/", guest_form(body=f"Buy {word} http://spam.example")
        )
    neighbour = Client(REMOTE_ADDR="203.0.113.10")
    neighbour.post(f"/parts/{part.pk}/comments/guest/", guest_form(body="See http://my.blog"))
    carols = services.comment_post(author=carol, part=part, body="Mine: http://carol.example")
    assert Comment.objects.filter(held_at__isnull=False).count() == 5
    first = Comment.objects.filter(body__startswith="Buy one").get()
    done = signed_in(alice).post(f"/desk/comments/{first.pk}/", {"action": "spam"}, follow=True)
    assert "(3 in all)" in done.content.decode()
    left = set(Comment.objects.values_list("body", flat=True))
    assert left == {"See http://my.blog", carols.body}


# Frozen threads


@pytest.fixture
def thread(part, alice, bob, carol):
    root = services.comment_post(author=bob, part=part, body="Who keeps the lamp?")
    reply = services.comment_post(author=carol, part=part, body="The keeper.", parent=root)
    return root, reply


def test_the_writer_freezes_a_thread(part, alice, bob, carol, thread):
    root, reply = thread
    html = page(signed_in(alice), part)
    assert f"/comments/{root.pk}/freeze/" in html
    assert f"/comments/{root.pk}/freeze/" not in page(signed_in(bob), part)
    assert f"/comments/{root.pk}/freeze/" not in page(Client(), part)
    confirm = signed_in(alice).get(f"/comments/{root.pk}/freeze/").content.decode()
    assert "Nobody will be able to reply in this thread" in confirm
    signed_in(alice).post(f"/comments/{root.pk}/freeze/", {"frozen": "true"})

    readers = page(signed_in(carol), part)
    assert "This thread is frozen: no more replies or edits." in readers
    assert f"/comments/{root.pk}/reply/" not in readers
    assert f"/comments/{reply.pk}/edit/" not in readers
    assert signed_in(carol).get(f"/comments/{reply.pk}/edit/").status_code == 403
    assert signed_in(bob).get(f"/comments/{reply.pk}/reply/").status_code == 403
    with pytest.raises(PermissionDenied):
        services.comment_post(author=bob, part=part, body="But!", parent=reply)
    # Other threads go on.
    other = services.comment_post(author=bob, part=part, body="Another thought.")
    assert f"/comments/{other.pk}/reply/" in page(signed_in(carol), part)

    signed_in(alice).post(f"/comments/{root.pk}/freeze/", {"frozen": "false"})
    assert services.comment_post(author=bob, part=part, body="Thawed.", parent=reply)


def test_only_writers_and_moderators_freeze(part, bob, carol, thread):
    root, reply = thread
    assert (
        signed_in(carol).post(f"/comments/{root.pk}/freeze/", {"frozen": "true"}).status_code == 403
    )
    root.refresh_from_db()
    assert root.frozen_at is None
    assert signed_in(bob).get(f"/comments/{reply.pk}/freeze/").status_code == 403  # not a root
    grant(carol, Role.MODERATOR)
    signed_in(carol).post(f"/comments/{root.pk}/freeze/", {"frozen": "true"})
    root.refresh_from_db()
    assert root.frozen_at is not None
