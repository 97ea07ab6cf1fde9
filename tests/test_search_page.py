"""The search page: Ada looks for stories on a small archive, narrowing by tags and filters, and
finding books by the words of their titles, descriptions, tags and authors. What she cannot
see (members-only books as a guest, drafts, tags she hides) never shows up."""

import datetime
import io
import sqlite3
import threading

import html5lib
import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyhouse.accounts import services as accounts
from storyhouse.accounts.models import User
from storyhouse.discovery import fulltext, jobs
from storyhouse.discovery.models import TextCursor
from storyhouse.stories import services
from storyhouse.stories.models import Change, Part, Status, Story, Tag, TagType, Visibility
from tests.helpers import OWN_SQLITE_SITE, write_book


def book(
    author: User,
    title: str,
    parts: int = 1,
    *,
    tags: list[Tag] = (),
    rating: str = "general-audiences",
    complete: bool = False,
    language: str = "en",
    votes: int = 0,
    days_ago: int = 0,
    description: str = "",
    visibility: str = Visibility.PUBLIC,
) -> Story:
    story = write_book(
        author, title, parts, tags=tags, description=description, visibility=visibility
    )
    story.rating = Tag.objects.get(slug=rating)
    story.status = Status.COMPLETE if complete else Status.ONGOING
    story.language = language
    services.story_save(story)
    when = timezone.now() - datetime.timedelta(days=days_ago)
    # Counts and dates another site gave the book, as an import keeps them.
    Part.objects.filter(story=story).update(imported_votes=votes, published_at=when)
    return services.story_refresh(story)


@pytest.fixture
def archive(alice, bob):
    bob.display_name = "Bartholomew Quill"
    bob.save()
    villain = services.tag_save(Tag(name="Hero/Villain", type=TagType.TROPE, canonical=True))
    services.tag_save(Tag(name="Villain Romance", type=TagType.TROPE, synonym_of=villain))
    slow = services.tag_save(Tag(name="Slow Burn", type=TagType.TROPE, canonical=True))
    sea = services.tag_save(Tag(name="Seafaring", type=TagType.FANDOM, canonical=True))
    death = Tag.objects.get(name="Major Character Death")
    books = {
        "lighthouse": book(
            alice,
            "The Lighthouse Keeper",
            3,
            tags=[sea, villain],
            complete=True,
            votes=50,
            days_ago=40,
            description="<p>A keeper, a <em>lamp</em> and the ships that never come.</p>",
        ),
        "salt": book(
            bob,
            "Salt and Iron",
            tags=[sea, slow, death],
            rating="mature",
            language="fr",
            votes=5,
            days_ago=2,
        ),
        "orchard": book(alice, "The Orchard", 2, tags=[slow], votes=20, days_ago=10),
        "garden": book(alice, "The Members' Garden", tags=[slow], visibility=Visibility.MEMBERS),
        "drafty": book(alice, "Drafty Lighthouse Notes", tags=[slow], visibility="draft"),
    }
    fulltext.rebuild()
    return books


def titles(response) -> list[str]:
    """The titles of the story cards on a page, in order."""
    assert response.status_code == 200
    document = html5lib.parse(response.content, namespaceHTMLElements=False)
    return [
        "".join(heading.itertext()).strip()
        for heading in document.iter("h3")
        if "story-card__title" in heading.get("class", "")
    ]


def link(response, label: str) -> str:
    """The address of the link with this accessible name (aria-label)."""
    document = html5lib.parse(response.content, namespaceHTMLElements=False)
    (found,) = [a.get("href") for a in document.iter("a") if a.get("aria-label") == label]
    return found


def text(response) -> str:
    document = html5lib.parse(response.content, namespaceHTMLElements=False)
    return " ".join(" ".join(document.find(".//main").itertext()).split())


# Narrowing with tags and filters


def test_with_no_search_every_shared_book_is_listed_newest_first(reader, archive):
    response = reader.get("/search/")
    assert titles(response) == ["Salt and Iron", "The Orchard", "The Lighthouse Keeper"]
    assert "3 stories found" in text(response)


def test_include_and_exclude_narrow_the_results(reader, archive):
    assert titles(reader.get("/search/?include=seafaring&sort=title")) == [
        "Salt and Iron",
        "The Lighthouse Keeper",
    ]
    assert titles(reader.get("/search/?include=seafaring&exclude=major-character-death")) == [
        "The Lighthouse Keeper"
    ]
    # A synonym names its canonical tag.
    assert titles(reader.get("/search/?include=villain-romance")) == ["The Lighthouse Keeper"]


def test_rating_complete_words_and_language_each_narrow(reader, archive):
    assert titles(reader.get("/search/?rating=mature")) == ["Salt and Iron"]
    assert titles(reader.get("/search/?complete=1")) == ["The Lighthouse Keeper"]
    assert "The Lighthouse Keeper" not in titles(reader.get("/search/?complete=0"))
    assert titles(reader.get("/search/?words_min=25")) == ["The Lighthouse Keeper"]
    assert titles(reader.get("/search/?words_max=15")) == ["Salt and Iron"]
    assert titles(reader.get("/search/?language=fr")) == ["Salt and Iron"]


def test_updated_since_leaves_out_books_not_updated_since(reader, archive):
    since = (timezone.now() - datetime.timedelta(days=20)).date().isoformat()
    assert titles(reader.get(f"/search/?updated_since={since}&sort=title")) == [
        "Salt and Iron",
        "The Orchard",
    ]


def test_sorts_change_the_order(reader, archive):
    assert titles(reader.get("/search/?sort=votes")) == [
        "The Lighthouse Keeper",
        "The Orchard",
        "Salt and Iron",
    ]
    assert titles(reader.get("/search/?sort=words"))[0] == "The Lighthouse Keeper"
    assert titles(reader.get("/search/?sort=title")) == [
        "Salt and Iron",
        "The Lighthouse Keeper",
        "The Orchard",
    ]


def test_pages_keep_the_search(reader, archive, alice):
    for number in range(20):
        book(alice, f"Sea Shanty {number:02}", tags=[Tag.objects.get(slug="seafaring")])
    first = reader.get("/search/?include=seafaring&sort=title")
    assert len(titles(first)) == 20
    assert "22 stories found" in text(first)
    assert 'href="/search/?include=seafaring&amp;sort=title&amp;page=2"' in first.text
    second = reader.get("/search/?include=seafaring&sort=title&page=2")
    assert titles(second) == ["Sea Shanty 19", "The Lighthouse Keeper"]
    assert "Page 2 of 2" in text(second)


def test_a_page_past_the_end_says_so_kindly(reader, archive):
    response = reader.get("/search/?page=9")
    assert titles(response) == []
    assert "There is no page 9: this search has 1 page." in text(response)
    assert 'href="/search/"' in response.text


def test_the_sidebar_counts_tags_with_include_and_exclude_links(reader, archive):
    page = reader.get("/search/?include=seafaring").text
    assert 'aria-label="Include Slow Burn"' in page
    assert 'href="/search/?include=seafaring&amp;include=slow-burn"' in page
    assert 'aria-label="Exclude Slow Burn"' in page
    assert 'href="/search/?include=seafaring&amp;exclude=slow-burn"' in page
    # The included tag is shown as included, and as a chip to remove.
    assert 'aria-label="Remove Seafaring"' in page
    assert 'aria-label="Include Seafaring"' not in page


def test_other_filters_are_chips_too_each_removable(reader, archive):
    response = reader.get("/search/?complete=0&words_min=1000&language=fr")
    assert link(response, "Remove Ongoing only") == "/search/?words_min=1000&language=fr"
    assert link(response, "Remove At least 1,000 words") == "/search/?complete=0&language=fr"
    assert link(response, "Remove In français") == "/search/?complete=0&words_min=1000"


def test_a_tag_typed_by_name_in_the_form_becomes_its_address(reader, archive):
    response = reader.get("/search/?q=&include=Hero/Villain&exclude=&words_min=&language=")
    assert response.status_code == 302
    assert response["Location"] == "/search/?include=hero-villain"


def test_a_tag_typed_by_name_is_understood_beside_a_mistake(reader, archive):
    response = reader.get("/search/?include=Seafaring&words_min=lots")
    assert sorted(titles(response)) == ["Salt and Iron", "The Lighthouse Keeper"]
    assert "We know no tag" not in text(response)
    assert "“lots” is not a number (words_min)." in text(response)


def test_tag_suggestions_for_the_form_are_open_to_guests(reader, archive):
    response = reader.get("/search/tags/?q=sea")
    assert response.status_code == 200
    assert '<option value="Seafaring">' in response.text


# Mistakes in the address


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("include=no-such-tag", "We know no tag called “no-such-tag”."),
        ("exclude=nothing-here", "We know no tag called “nothing-here”."),
        ("words_min=lots", "“lots” is not a number (words_min)."),
        ("updated_since=yesterday", "updated_since is a date written YYYY-MM-DD."),
        ("sort=sideways", "There is no sort called “sideways”."),
        ("complete=maybe", "complete is 1 (complete books) or 0 (ongoing ones)."),
        ("page=-3", "page cannot be below 1."),
        ("words_min=9&words_max=2", "words_min is more than words_max"),
    ],
)
def test_a_mistake_in_the_address_is_explained_on_the_page(reader, archive, params, message):
    response = reader.get(f"/search/?{params}")
    assert response.status_code == 200
    assert message in text(response)


def test_an_unknown_tag_to_include_finds_nothing(reader, archive):
    response = reader.get("/search/?include=no-such-tag")
    assert titles(response) == []
    assert "No stories match this search." in text(response)


# Words


def test_words_find_books_by_title_description_tag_and_author(reader, archive):
    assert titles(reader.get("/search/?q=orchard")) == ["The Orchard"]
    assert titles(reader.get("/search/?q=ships+never")) == ["The Lighthouse Keeper"]
    assert titles(reader.get("/search/?q=villain")) == ["The Lighthouse Keeper"]
    assert titles(reader.get("/search/?q=bartholomew")) == ["Salt and Iron"]
    assert titles(reader.get("/search/?q=alice&sort=title")) == [
        "The Lighthouse Keeper",
        "The Orchard",
    ]


def test_a_book_tagged_with_a_synonym_is_found_by_the_canonical_name(reader, archive, alice):
    book(alice, "Moonlit Rivals", tags=[Tag.objects.get(name="Villain Romance")])
    fulltext.rebuild()
    assert titles(reader.get("/search/?q=hero&sort=title")) == [
        "Moonlit Rivals",
        "The Lighthouse Keeper",
    ]
    assert titles(reader.get("/search/?q=romance")) == ["Moonlit Rivals"]


def test_the_last_word_may_be_unfinished(reader, archive):
    assert titles(reader.get("/search/?q=the+lighth")) == ["The Lighthouse Keeper"]


def test_words_and_filters_combine(reader, archive):
    assert titles(reader.get("/search/?q=slow+burn&sort=title")) == ["Salt and Iron", "The Orchard"]
    assert titles(reader.get("/search/?q=slow+burn&language=fr")) == ["Salt and Iron"]
    assert "Best match" in reader.get("/search/?q=slow").text
    assert "Best match" not in reader.get("/search/").text


def test_a_members_only_book_is_found_by_members_only(reader, archive, bob):
    assert titles(reader.get("/search/?q=garden")) == []
    reader.force_login(bob)
    assert titles(reader.get("/search/?q=garden")) == ["The Members' Garden"]


def test_a_draft_is_never_found(reader, archive, alice):
    assert titles(reader.get("/search/?q=drafty")) == []
    reader.force_login(alice)  # not even by its author: search lists what is shared
    assert titles(reader.get("/search/?q=drafty")) == []


@pytest.mark.parametrize(
    "q", ['"', "AND (", "*", "title:lamp", "NEAR(a b)", "'; DROP TABLE x; --", "^lamp", "a -b"]
)
def test_query_syntax_typed_by_a_person_is_taken_as_words(reader, archive, q):
    response = reader.get("/search/", {"q": q})
    assert response.status_code == 200


def test_words_with_query_syntax_still_find_what_they_can(reader, archive):
    assert titles(reader.get("/search/", {"q": 'lamp" AND ('})) == ["The Lighthouse Keeper"]
    assert titles(reader.get("/search/", {"q": "*lamp*"})) == ["The Lighthouse Keeper"]


def test_punctuation_alone_searches_for_no_words(reader, archive):
    response = reader.get("/search/", {"q": "*", "include": "seafaring"})
    assert sorted(titles(response)) == ["Salt and Iron", "The Lighthouse Keeper"]
    assert "“*” holds no words to look for." in text(response)
    assert "Best match" not in response.text


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(q=st.text(max_size=60))
def test_any_text_can_be_searched_for(db, q):
    found = fulltext.scores(q)
    assert isinstance(found, dict)


@settings(max_examples=300, deadline=None)
@given(q=st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_a_match_expression_is_only_quoted_words(q):
    expression = fulltext.match_expression(q)
    for term in filter(None, expression.split(" ")):
        assert term.startswith('"') and term.rstrip("*").endswith('"')


# Keeping the text current


def test_the_worker_keeps_the_words_current(reader, archive, alice):
    orchard = archive["orchard"]
    orchard.title = "The Cider Press"
    services.story_save(orchard)
    assert titles(reader.get("/search/?q=cider")) == []  # not yet: the worker has not run
    jobs.follow_changes_into_search_text()
    assert titles(reader.get("/search/?q=cider")) == ["The Cider Press"]
    assert titles(reader.get("/search/?q=orchard")) == []

    orchard.visibility = Visibility.DRAFT
    services.story_save(orchard)
    jobs.follow_changes_into_search_text()
    assert fulltext.scores("cider") == {}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_following_the_changes_at_once_agree(alice):
    from django.db import connection

    for title in ["Tide Tables", "Harbour Lights", "Kelp Forest"]:
        write_book(alice, title)
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = fulltext.follow_changes()
        except BaseException as error:  # noqa: BLE001 - reported below
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sorted(results)[0] == 0  # the second to get the cursor found nothing left
    assert len(fulltext.scores("harbour")) == 1
    assert len(fulltext.scores("tide")) == 1
    assert TextCursor.objects.get().last_change_id == Change.objects.order_by("id").last().id


def test_a_hole_in_the_change_log_holds_the_cursor_until_it_is_old(archive):
    """PostgreSQL numbers a change before its transaction commits: a hole may fill later."""
    seen = TextCursor.objects.get().last_change_id
    orchard = archive["orchard"]
    after_hole = Change.objects.create(
        id=seen + 3, kind=Change.Kind.STORY, object_id=orchard.pk, story_id=orchard.pk
    )
    assert fulltext.follow_changes() == 1
    assert TextCursor.objects.get().last_change_id == seen
    Change.objects.filter(pk=after_hole.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    fulltext.follow_changes()
    assert TextCursor.objects.get().last_change_id == seen + 3


def test_a_renamed_tag_is_found_by_its_new_name(reader, archive):
    slow = Tag.objects.get(slug="slow-burn")
    slow.name = "Slowest Burn"
    services.tag_save(slow)
    jobs.follow_changes_into_search_text()
    assert titles(reader.get("/search/?q=slowest&sort=title")) == [
        "Salt and Iron",
        "The Orchard",
    ]


def test_a_writer_is_found_by_a_new_name_at_once(
    reader, archive, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        accounts.profile_update(bob, display_name="Barnaby Rudge", bio="")
    assert titles(reader.get("/search/?q=barnaby")) == ["Salt and Iron"]
    assert titles(reader.get("/search/?q=bartholomew")) == []


def test_the_rebuild_command_lists_every_shared_book(archive):
    out = io.StringIO()
    call_command("searchtext", "--rebuild", stdout=out)
    # Three public books and one for members; the draft is left out.
    assert "4 books" in out.getvalue()


def test_an_imported_story_is_found_at_once(db, sample_path):
    call_command("import", str(sample_path), stdout=io.StringIO())
    assert len(fulltext.scores("midoriya one shots")) == 1


@OWN_SQLITE_SITE
def test_storyhouse_demo_leaves_every_listed_book_searchable(tmp_path):
    from tests.test_demo import storyhouse

    assert storyhouse(tmp_path, "demo", "--no-serve", "--stories", "8").returncode == 0
    database = sqlite3.connect(tmp_path / "db.sqlite3")
    try:
        (listed,) = database.execute(
            "SELECT count(*) FROM stories_story"
            " WHERE visibility IN ('public', 'members') AND parts_count > 0"
        ).fetchone()
        (searchable,) = database.execute("SELECT count(*) FROM discovery_storytext").fetchone()
    finally:
        database.close()
    assert searchable == listed > 0


# What the reader hides


def test_hidden_tags_leave_their_books_out_of_results_and_sidebar(reader, archive, bob):
    accounts.preferences_hide_tag(bob, Tag.objects.get(slug="slow-burn"))
    reader.force_login(bob)
    response = reader.get("/search/")
    assert titles(response) == ["The Lighthouse Keeper"]
    assert "Slow Burn" not in response.text
    assert "Stories with tags you chose to hide are left out" in text(response)
    assert 'href="/accounts/preferences/"' in response.text
    assert titles(reader.get("/search/?q=orchard")) == []
    asked = reader.get("/search/?include=slow-burn")
    assert titles(asked) == []
    assert "You hide this tag, so no story with it is shown: Slow Burn." in text(asked)


def test_the_hidden_tags_notice_is_only_for_readers_who_hide_tags(reader, archive):
    assert "tags you chose to hide" not in text(reader.get("/search/"))


# The page itself


@pytest.mark.parametrize(
    "params",
    ["", "q=lamp", "include=seafaring&exclude=slow-burn&rating=mature", "include=nope&page=0"],
)
def test_the_page_is_well_formed_html5(reader, archive, params):
    response = reader.get(f"/search/?{params}")
    assert response.status_code == 200
    parser = html5lib.HTMLParser(namespaceHTMLElements=False)
    document = parser.parse(response.content, transport_encoding="utf-8")
    errors = [
        f"line {line}, column {column}: {code} {data or ''}"
        for (line, column), code, data in parser.errors
    ]
    assert not errors, "\n".join(errors)
    assert len(document.findall(".//main")) == 1
    assert len(document.findall(".//h1")) == 1
    ids = [element.get("id") for element in document.iter() if element.get("id")]
    assert len(ids) == len(set(ids))


def test_a_longer_page_costs_no_more_queries(reader, archive, alice, bob):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    reader.force_login(bob)
    address = "/search/?include=seafaring&exclude=nothing-here&q=a"
    reader.get(address)  # what the page keeps for a while (the languages) is kept now
    with CaptureQueriesContext(connection) as few:
        assert len(titles(reader.get(address))) == 2
    for number in range(6):
        book(alice, f"A Sea Shanty {number}", tags=[Tag.objects.get(slug="seafaring")])
    fulltext.rebuild()
    with CaptureQueriesContext(connection) as more:
        assert len(titles(reader.get(address))) == 8
    assert len(more) == len(few)


def test_the_site_navigation_leads_to_search(reader, archive):
    assert 'href="/search/"' in reader.get("/").text
