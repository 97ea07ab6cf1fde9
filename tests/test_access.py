"""Who sees what: a book's visibility and a part's state against each kind of person.

What a person may not see answers 404, exactly like what does not exist.
"""

import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.engagement.models import ReadingList, ReadingListEntry
from storyhouse.moderation import roles
from storyhouse.stories import access, services
from storyhouse.stories.models import Part, PartState, Story, Tag, TagType, Visibility
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db

PEOPLE = ["guest", "reader", "author", "staff"]

# Which people may open a book (and its published parts), by the book's visibility.
MAY_SEE = {
    Visibility.DRAFT: {"author"},
    Visibility.PUBLIC: {"guest", "reader", "author", "staff"},
    Visibility.MEMBERS: {"reader", "author", "staff"},
    Visibility.HIDDEN: {"author", "staff"},
}


def signed_in(user: User) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(user)
    return client


@pytest.fixture
def carol(db) -> User:
    """A moderator."""
    carol = User.objects.create_user("carol", "carol@example.org", "carol-password-1")
    roles.grant(carol, roles.Role.MODERATOR)
    return carol


@pytest.fixture
def people(reader, alice, bob, carol) -> dict[str, Client]:
    return {
        "guest": reader,
        "reader": signed_in(bob),
        "author": signed_in(alice),
        "staff": signed_in(carol),
    }


def book_with_a_draft(alice: User, visibility: str) -> Story:
    tag = Tag.objects.get(name="Major Character Death")
    story = write_book(alice, f"A {visibility} book", ["Published"], tags=[tag])
    services.part_save(Part(story=story, title="Work in progress", body="<p>Later.</p>"))
    story.visibility = visibility
    story.hidden_reason = "Reported as spam." if visibility == Visibility.HIDDEN else ""
    return services.story_save(story)


@pytest.mark.parametrize("visibility", list(MAY_SEE))
@pytest.mark.parametrize("person", PEOPLE)
def test_who_may_open_a_book_and_its_parts(alice, people, visibility, person):
    story = book_with_a_draft(alice, visibility)
    published, draft = story.parts.order_by("position")
    client = people[person]
    expected = 200 if person in MAY_SEE[visibility] else 404

    assert client.get(story.get_absolute_url()).status_code == expected
    assert client.get(published.get_absolute_url()).status_code == expected
    # A draft part only for the book's authors, whoever else may see the book.
    draft_expected = 200 if person == "author" else 404
    assert client.get(draft.get_absolute_url()).status_code == draft_expected
    # A wrong slug tells no more than the right one.
    wrong = client.get(f"/stories/{story.pk}-guess/")
    assert wrong.status_code == (301 if expected == 200 else 404)


@pytest.mark.parametrize("visibility", list(MAY_SEE))
@pytest.mark.parametrize("person", PEOPLE)
def test_the_access_module_agrees_with_the_pages(alice, bob, carol, visibility, person):
    user = {"guest": AnonymousUser(), "reader": bob, "author": alice, "staff": carol}[person]
    story = book_with_a_draft(alice, visibility)
    published, draft = story.parts.order_by("position")
    assert access.can_view_story(user, story) == (person in MAY_SEE[visibility])
    assert access.can_view_part(user, published) == (person in MAY_SEE[visibility])
    assert access.can_view_part(user, draft) == (person == "author")
    assert access.can_edit_story(user, story) == (person == "author")


def test_an_author_sees_their_draft_part_marked_as_one_and_listed_on_the_book(alice, people):
    story = book_with_a_draft(alice, Visibility.PUBLIC)
    draft = story.parts.get(state=PartState.DRAFT)
    page = people["author"].get(draft.get_absolute_url()).content.decode()
    assert "This part is a draft: only its authors can see it." in page
    book = people["author"].get(story.get_absolute_url()).content.decode()
    assert re.search(r">Work in progress</a> <span class=\"badge\">draft</span>", book)
    assert "Work in progress" not in people["reader"].get(story.get_absolute_url()).content.decode()


def test_only_authors_see_the_way_from_a_part_to_its_editor(alice, people):
    part = book_with_a_draft(alice, Visibility.PUBLIC).parts.get(state=PartState.PUBLISHED)
    edit = f'href="/desk/parts/{part.pk}/edit/"'
    for person, client in people.items():
        page = client.get(part.get_absolute_url()).content.decode()
        assert (edit in page) == (person == "author"), person


def test_the_author_and_staff_see_why_a_book_is_hidden(alice, people):
    story = book_with_a_draft(alice, Visibility.HIDDEN)
    for person in ("author", "staff"):
        page = people[person].get(story.get_absolute_url()).content.decode()
        assert "This story is hidden by a moderator." in page
        assert "Reported as spam." in page


def listed(client: Client, url: str) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    return set(
        re.findall(
            r'class="story-card__title"><a href="[^"]+">([^<]+)</a>', response.content.decode()
        )
    )


@pytest.mark.parametrize("person", PEOPLE)
def test_lists_show_only_shared_books(alice, people, person):
    for visibility in MAY_SEE:
        book_with_a_draft(alice, visibility)
    # A public book whose only part is a draft has nothing to read yet.
    empty = services.story_save(
        Story(title="A public book without parts", visibility=Visibility.PUBLIC), authors=[alice]
    )
    services.part_save(Part(story=empty, title="Soon", body="<p>Soon.</p>"))

    # A reader's public reading list holds them all: the list shows each person only theirs.
    shelf = ReadingList.objects.create(owner=alice, title="Everything", public=True)
    for position, story in enumerate(Story.objects.all()):
        ReadingListEntry.objects.create(reading_list=shelf, story=story, position=position)

    expected = {"A public book"} | ({"A members book"} if person != "guest" else set())
    client = people[person]
    assert listed(client, "/") == expected
    assert listed(client, "/tags/major-character-death/") == expected
    assert listed(client, "/tags/not-rated/") == expected
    assert listed(client, "/authors/alice/") == expected
    assert listed(client, f"/lists/alice/{shelf.pk}/") == expected


def test_a_tag_on_a_draft_part_does_not_list_its_book(alice, people):
    story = write_book(alice, "Quiet Book", 1)
    draft = services.part_save(Part(story=story, title="Draft", body="<p>Hm.</p>"))
    fluff = services.tag_save(Tag(name="Fluff", type=TagType.TROPE))
    draft.tags.set([fluff])
    for client in people.values():
        assert listed(client, "/tags/fluff/") == set()
