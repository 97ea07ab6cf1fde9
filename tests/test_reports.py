"""Reports: any signed-in reader reports a story, a part, a comment or a profile; they follow
it at /reports/; moderators work the queue at /moderation/ and dismiss with an answer the
reporter reads; the audit log keeps every action. Nobody else sees the moderation pages."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.engagement import services as engagement
from storyhouse.moderation.models import AuditEntry, Report
from storyhouse.moderation.roles import Role, grant
from tests.helpers import write_book

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def carol(db) -> User:
    return User.objects.create_user("carol", "carol@example.org", "carol-password-1")


@pytest.fixture
def mod(db) -> User:
    person = User.objects.create_user("mod", "mod@example.org", "mod-password-1")
    grant(person, Role.MODERATOR)
    return person


@pytest.fixture
def comment(alice, bob):
    story = write_book(alice, "The Lighthouse", ["Arrival"])
    part = story.parts.get()
    return engagement.comment_post(author=alice, part=part, body="You will all regret reading.")


def test_a_reader_reports_a_comment_and_follows_it(bob, comment):
    page = signed_in(bob).get(comment.part.get_absolute_url())
    assert f"/report/comment/{comment.pk}/" in page.content.decode()
    form = signed_in(bob).get(f"/report/comment/{comment.pk}/")
    assert "You will all regret reading." in form.content.decode()
    sent = signed_in(bob).post(
        f"/report/comment/{comment.pk}/", {"reason": "harassment", "note": "Aimed at me."}
    )
    assert sent.status_code == 302 and sent["Location"] == "/reports/"
    mine = signed_in(bob).get("/reports/").content.decode()
    assert "Harassment" in mine and "Waiting for a moderator" in mine and "Aimed at me." in mine
    report = Report.objects.get()
    assert (report.reporter, report.kind, report.object_id) == (bob, "comment", comment.pk)


def test_one_open_report_per_reporter_and_thing(bob, comment):
    url = f"/report/comment/{comment.pk}/"
    signed_in(bob).post(url, {"reason": "spam"})
    again = signed_in(bob).post(url, {"reason": "harassment"})
    assert again.status_code == 200
    assert "You have reported this already" in again.content.decode()
    assert Report.objects.count() == 1


@pytest.mark.parametrize("kind", ["story", "part", "profile"])
def test_stories_parts_and_profiles_can_be_reported(bob, alice, comment, kind):
    target = {
        "story": comment.part.story.pk,
        "part": comment.part.pk,
        "profile": alice.pk,
    }[kind]
    shown = {"story": "Report this story", "part": "Report this part", "profile": ""}[kind]
    if shown:
        where = comment.part.story if kind == "story" else comment.part
        assert shown in Client().get(where.get_absolute_url()).content.decode()
    sent = signed_in(bob).post(f"/report/{kind}/{target}/", {"reason": "plagiarism"})
    assert sent.status_code == 302
    assert Report.objects.get().kind == kind


def test_guests_are_asked_to_sign_in_and_bad_reports_are_refused(bob, comment):
    guest = Client().get(f"/report/comment/{comment.pk}/")
    assert guest.status_code == 302 and "/accounts/login/" in guest["Location"]
    assert signed_in(bob).get("/report/comment/999999/").status_code == 404
    assert signed_in(bob).get(f"/report/poem/{comment.pk}/").status_code == 404
    missing = signed_in(bob).post(f"/report/comment/{comment.pk}/", {"reason": "boredom"})
    assert missing.status_code == 200 and Report.objects.count() == 0
    self_report = signed_in(bob).post(f"/report/profile/{bob.pk}/", {"reason": "spam"})
    assert "You cannot report yourself." in self_report.content.decode()


def test_a_moderator_dismisses_with_an_answer_and_the_log_keeps_it(bob, carol, mod, comment):
    signed_in(bob).post(f"/report/comment/{comment.pk}/", {"reason": "harassment"})
    signed_in(carol).post(f"/report/comment/{comment.pk}/", {"reason": "spam"})
    queue = signed_in(mod).get("/moderation/").content.decode()
    assert queue.count("data-report=") == 2 and "A comment by Alice Liddell" in queue
    only_spam = signed_in(mod).get("/moderation/?reason=spam&state=open").content.decode()
    assert only_spam.count("data-report=") == 1
    report = Report.objects.get(reporter=bob)
    detail = signed_in(mod).get(f"/moderation/reports/{report.pk}/").content.decode()
    assert "You will all regret reading." in detail and "Other reports of it" in detail
    done = signed_in(mod).post(
        f"/moderation/reports/{report.pk}/",
        {"do": "dismiss", "answer": "A warning, not harassment."},
    )
    assert done.status_code == 302
    mine = signed_in(bob).get("/reports/").content.decode()
    assert "Looked at: no action taken" in mine and "A warning, not harassment." in mine
    told = signed_in(bob).get("/notifications/").content.decode()
    assert "took no action: A warning, not harassment." in told
    entry = AuditEntry.objects.get()
    assert (entry.actor_name, entry.action) == ("mod", "dismissed a report")
    assert "A warning, not harassment." in signed_in(mod).get("/moderation/log/").content.decode()
    twice = signed_in(mod).post(
        f"/moderation/reports/{report.pk}/", {"do": "dismiss", "answer": "Again."}
    )
    assert twice.status_code == 200 and AuditEntry.objects.count() == 1


@pytest.mark.parametrize(
    "url", ["/moderation/", "/moderation/log/", "/moderation/reports/{report}/"]
)
def test_moderation_pages_do_not_exist_for_readers_and_wranglers(bob, carol, comment, url):
    signed_in(bob).post(f"/report/comment/{comment.pk}/", {"reason": "spam"})
    url = url.format(report=Report.objects.get().pk)
    grant(carol, Role.WRANGLER)
    for client in (Client(), signed_in(bob), signed_in(carol)):
        assert client.get(url).status_code == 404
    assert client.post(url, {"do": "dismiss", "answer": "x"}).status_code == 404
    assert Report.objects.get().state == "open"


def test_a_moderator_hides_a_reported_comment(alice, bob, carol, mod, comment):
    """Bob reports Alice's comment as harassment; the moderator hides it: Bob, Carol and
    guests no longer see it (nor count it), Alice sees it marked hidden with the reason,
    the report says action was taken, and the audit log shows it."""
    part_url = comment.part.get_absolute_url()
    signed_in(bob).post(f"/report/comment/{comment.pk}/", {"reason": "harassment"})
    report = Report.objects.get()
    detail = signed_in(mod).get(f"/moderation/reports/{report.pk}/").content.decode()
    assert "Hide the comment" in detail
    done = signed_in(mod).post(
        f"/moderation/reports/{report.pk}/",
        {"do": "hide", "reason": "Threatening readers breaks the rules."},
    )
    assert done.status_code == 302
    text = "You will all regret reading."
    for viewer in (Client(), signed_in(bob), signed_in(carol)):
        page = viewer.get(part_url).content.decode()
        assert text not in page and "This comment is hidden." in page
        assert "0 comments" in page
    mine = signed_in(alice).get(part_url).content.decode()
    assert text in mine and "Hidden by the moderators" in mine
    assert "Threatening readers breaks the rules." in mine
    assert text in signed_in(mod).get(part_url).content.decode()
    reports = signed_in(bob).get("/reports/").content.decode()
    assert "Looked at: action taken" in reports
    assert AuditEntry.objects.get().action == "hid a comment"
    # Both are told, with the reason: the writer, and the reader who reported it.
    told = signed_in(alice).get("/notifications/").content.decode()
    assert "The moderators hid your comment on Arrival. Why: Threatening readers" in told
    told = signed_in(bob).get("/notifications/").content.decode()
    assert "The moderators hid a comment you reported on Arrival." in told
    reply = signed_in(bob).post(
        f"/parts/{comment.part.pk}/comments/", {"body": "Still here?", "parent": comment.pk}
    )
    assert "That comment is hidden." in reply.content.decode()
    assert comment.part.comments.count() == 1


def test_a_moderator_hides_a_reported_story(alice, bob, mod, comment):
    story = comment.part.story
    signed_in(bob).post(f"/report/story/{story.pk}/", {"reason": "rules"})
    report = Report.objects.get()
    assert "The Lighthouse" in Client().get("/search/").content.decode()
    done = signed_in(mod).post(
        f"/moderation/reports/{report.pk}/", {"do": "hide", "reason": "Copied from elsewhere."}
    )
    assert done.status_code == 302
    for viewer in (Client(), signed_in(bob)):
        assert viewer.get(story.get_absolute_url()).status_code == 404
        assert "The Lighthouse" not in viewer.get("/search/").content.decode()
    own = signed_in(alice).get(story.get_absolute_url()).content.decode()
    assert "This story is hidden by a moderator." in own and "Copied from elsewhere." in own
    assert signed_in(mod).get(story.get_absolute_url()).status_code == 200
    # Its writer cannot show it again from the desk.
    desk = signed_in(alice).get(f"/desk/stories/{story.pk}/edit/").content.decode()
    assert "Hidden by a moderator" in desk
    told = signed_in(alice).get("/notifications/").content.decode()
    assert "The moderators hid your story The Lighthouse." in told
    assert "Looked at: action taken" in signed_in(bob).get("/reports/").content.decode()
    assert AuditEntry.objects.get().action == "hid a story"


def test_a_moderator_hides_one_part_and_the_rest_of_the_book_stays(alice, bob, mod):
    from storyhouse.stories import services as stories

    story = write_book(alice, "The Lighthouse", ["Arrival", "Storm", "Morning"])
    storm = story.parts.get(title="Storm")
    signed_in(bob).post(f"/report/part/{storm.pk}/", {"reason": "rules"})
    report = Report.objects.get()
    done = signed_in(mod).post(
        f"/moderation/reports/{report.pk}/", {"do": "hide", "reason": "Copied from elsewhere."}
    )
    assert done.status_code == 302
    for viewer in (Client(), signed_in(bob)):
        assert viewer.get(storm.get_absolute_url()).status_code == 404
        book = viewer.get(story.get_absolute_url()).content.decode()
        assert "Arrival" in book and "Morning" in book and "Storm" not in book
    story.refresh_from_db()
    assert story.parts_count == 2
    own = signed_in(alice).get(storm.get_absolute_url()).content.decode()
    assert "The moderators hid this part" in own and "Copied from elsewhere." in own
    assert signed_in(mod).get(storm.get_absolute_url()).status_code == 200
    # Its writer cannot publish it again, from the desk or anywhere.
    desk = signed_in(alice).get(f"/desk/parts/{storm.pk}/edit/").content.decode()
    assert "The moderators hid this part: it stays a draft" in desk
    storm.refresh_from_db()
    with pytest.raises(ValidationError, match="The moderators hid this part"):
        stories.part_write(storm, editor=alice, text=stories.part_text(storm), state="published")
    assert (
        "The moderators hid your part Storm."
        in signed_in(alice).get("/notifications/").content.decode()
    )
    told = signed_in(bob).get("/notifications/").content.decode()
    assert "The moderators hid a part you reported, Storm." in told
    assert AuditEntry.objects.get().action == "hid a part"


def test_a_story_missing_a_warning_leaves_lists_until_its_writer_adds_one(alice, bob, mod, comment):
    from storyhouse.stories.models import Tag
    from tests.test_desk_books import book_form

    story = comment.part.story
    listed = ("/", "/search/")
    assert all("The Lighthouse" in Client().get(url).content.decode() for url in listed)
    signed_in(bob).post(f"/report/story/{story.pk}/", {"reason": "warning"})
    report = Report.objects.get()
    done = signed_in(mod).post(
        f"/moderation/reports/{report.pk}/",
        {"do": "warning", "reason": "It needs the violence warning."},
    )
    assert done.status_code == 302
    guest = Client()
    assert guest.get(story.get_absolute_url()).status_code == 200  # still read by its link
    assert not any("The Lighthouse" in guest.get(url).content.decode() for url in listed)
    own = signed_in(alice).get(story.get_absolute_url()).content.decode()
    assert "The moderators ask you to add a warning or rating" in own
    assert "It needs the violence warning." in own
    assert AuditEntry.objects.get().action == "required a warning"

    # Saving the book unchanged keeps it out; adding the warning brings it back.
    edit = f"/desk/stories/{story.pk}/edit/"
    same = [t.pk for t in story.tags.filter(type="warning")]
    signed_in(alice).post(edit, book_form(visibility=None, archive_warnings=same))
    story.refresh_from_db()
    assert story.visibility == "held"
    violence = Tag.objects.get(name="Graphic Depictions Of Violence").pk
    saved = signed_in(alice).post(edit, book_form(visibility=None, archive_warnings=[violence]))
    assert saved.status_code == 302, saved.content.decode()[:300]
    story.refresh_from_db()
    assert story.visibility == "public" and story.hidden_reason == ""
    assert all("The Lighthouse" in Client().get(url).content.decode() for url in listed)
