"""Reading: what a guest sees on the home page, a book, a part, a tag and an author's page."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from storyhouse.stories import services
from storyhouse.stories.models import Part, PartState, Story, Tag, TagType
from tests.helpers import write_book

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, heading: str) -> str:
    """The HTML of the page section under a heading, up to the next section."""
    start = html.index(f">{heading}</h2>")
    end = html.find("<section", start)
    return html[start : end if end != -1 else len(html)]


def titles_in(html: str) -> list[str]:
    return re.findall(r'class="story-card__title"><a href="[^"]+">([^<]+)</a>', html)


def tag(name: str, type: str = TagType.TROPE, **fields) -> Tag:
    return services.tag_save(Tag(name=name, type=type, **fields))


def set_part(part: Part, **fields) -> Part:
    for field, value in fields.items():
        setattr(part, field, value)
    return services.part_save(part)


# Home


def test_home_lists_new_books_and_popular_books(alice, reader):
    lighthouse = write_book(alice, "The Lighthouse", 2)
    write_book(alice, "Salt and Stars", 1)
    set_part(lighthouse.parts.first(), imported_reads=500)

    html = text_of(reader.get("/"))

    assert titles_in(section(html, "New stories")) == ["Salt and Stars", "The Lighthouse"]
    assert titles_in(section(html, "Popular stories")) == ["The Lighthouse", "Salt and Stars"]
    assert "500 reads" in section(html, "Popular stories")


def test_home_without_books_says_so(reader):
    html = text_of(reader.get("/"))
    assert "No stories yet." in html


# A book


@pytest.fixture
def lighthouse(alice, bob) -> Story:
    story = write_book(
        alice,
        "The Lighthouse",
        ["Arrival", "The Storm", "Morning"],
        description="<p>A keeper, a storm, and <em>one</em> light.</p>",
        tags=[
            Tag.objects.get(name="Major Character Death"),
            Tag.objects.get(name="F/F"),
            tag("Original Work", TagType.FANDOM),
            tag("The Keeper", TagType.CHARACTER),
            tag("Slow Burn"),
        ],
    )
    services.story_save(story, authors=[alice, bob])
    return story


def test_a_book_page_shows_its_title_authors_description_and_parts(lighthouse, reader):
    html = text_of(reader.get(lighthouse.get_absolute_url()))
    assert '<h1 class="story__title">The Lighthouse</h1>' in html
    assert re.search(
        r'by <a href="/authors/alice/" rel="author">Alice Liddell</a> and '
        r'<a href="/authors/bob/" rel="author">bob</a>',
        html,
    )
    assert "A keeper, a storm, and <em>one</em> light." in html
    parts = re.findall(r'class="part-list__title" href="([^"]+)">([^<]+)</a>', html)
    assert [title for _url, title in parts] == ["Arrival", "The Storm", "Morning"]
    assert [url for url, _title in parts] == [p.get_absolute_url() for p in lighthouse.parts.all()]
    assert "Start reading" in html


def test_a_book_page_groups_its_tags_by_type_with_warnings_first(lighthouse, reader):
    html = text_of(reader.get(lighthouse.get_absolute_url()))
    headings = re.findall(r'<div class="tag-group tag-group--(\w+)">\s*<dt>([^<]+)</dt>', html)
    assert headings == [
        ("warning", "Warnings"),
        ("category", "Categories"),
        ("fandom", "Fandoms"),
        ("character", "Characters"),
        ("trope", "Tropes"),
    ]
    assert (
        '<a class="tag tag--warning" href="/tags/major-character-death/">Major Character Death</a>'
        in html
    )
    assert '<a class="tag tag--trope" href="/tags/slow-burn/">Slow Burn</a>' in html
    assert '<a class="rating" href="/tags/not-rated/">Not Rated</a>' in html


def test_a_book_page_shows_its_counts(lighthouse, reader):
    set_part(lighthouse.parts.first(), imported_reads=1200, imported_votes=7)
    html = text_of(reader.get(lighthouse.get_absolute_url()))
    assert '<li class="counts__item" data-count="reads"><strong>1,200</strong> reads' in html
    assert '<li class="counts__item" data-count="votes"><strong>7</strong> votes' in html
    assert '<li class="counts__item" data-count="comments"><strong>0</strong> comments' in html
    words = Story.objects.get(pk=lighthouse.pk).word_count
    assert words > 0
    assert f'data-count="words"><strong>{words}</strong> words' in html
    assert "3 parts" in html


# A part


def test_a_part_page_shows_the_book_the_part_and_the_way_on(lighthouse, reader):
    arrival, storm, morning = lighthouse.parts.all()
    set_part(
        storm,
        description="<p>The night everything changes.</p>",
        notes_before="<p>Written during a real storm.</p>",
        notes_after="<p>Thank you for reading.</p>",
        imported_reads=42,
        imported_votes=3,
        imported_comments=1,
    )
    storm.tags.set([Tag.objects.get(name="Major Character Death"), tag("Hurt/Comfort")])

    html = text_of(reader.get(storm.get_absolute_url()))

    assert f'<a href="{lighthouse.get_absolute_url()}" data-book-link>The Lighthouse</a>' in html
    assert '<h1 class="part__title">The Storm</h1>' in html
    assert "Part 2 of 3" in html
    assert "<strong>42</strong> reads" in html
    assert "<strong>3</strong> votes" in html
    assert "<strong>1</strong> comment" in html
    assert "The night everything changes." in html
    assert "Written during a real storm." in html
    assert "Thank you for reading." in html
    assert '<a class="tag tag--warning" href="/tags/major-character-death/">' in html
    assert '<a class="tag tag--trope" href="/tags/hurt-comfort/">Hurt/Comfort</a>' in html
    assert re.search(r'<p id="p-[0-9a-f]{4}">The first paragraph of The Storm\.</p>', html)
    assert re.search(r'<p id="p-[0-9a-f]{4}">Part 2 goes on\.</p>', html)
    assert f'href="{arrival.get_absolute_url()}" rel="prev">← Previous: Arrival</a>' in html
    assert f'href="{morning.get_absolute_url()}" rel="next">Next: Morning →</a>' in html


def test_the_first_part_has_no_previous_and_the_last_no_next(lighthouse, reader):
    arrival, _storm, morning = lighthouse.parts.all()
    first = text_of(reader.get(arrival.get_absolute_url()))
    last = text_of(reader.get(morning.get_absolute_url()))
    assert 'rel="prev"' not in first and 'rel="next"' in first
    assert 'rel="next"' not in last and 'rel="prev"' in last


def test_the_only_part_of_a_book_has_neither(alice, reader):
    part = write_book(alice, "A One-Shot", 1).parts.get()
    html = text_of(reader.get(part.get_absolute_url()))
    assert 'rel="prev"' not in html and 'rel="next"' not in html
    assert "Part 1 of" not in html


def test_a_draft_part_is_left_out_of_the_way_on_for_readers(lighthouse, reader):
    arrival, storm, morning = lighthouse.parts.all()
    set_part(storm, state=PartState.DRAFT)
    html = text_of(reader.get(arrival.get_absolute_url()))
    assert f'href="{morning.get_absolute_url()}" rel="next">Next: Morning →</a>' in html
    book = text_of(reader.get(lighthouse.get_absolute_url()))
    assert "The Storm" not in book


# Addresses


def test_a_wrong_slug_redirects_permanently_to_the_right_address(lighthouse, reader):
    part = lighthouse.parts.first()
    right_book, right_part = lighthouse.get_absolute_url(), part.get_absolute_url()
    wrong = [
        (f"/stories/{lighthouse.pk}-the-lamp/", right_book),
        (f"/stories/{lighthouse.pk}-the-lamp/parts/{part.pk}-{part.slug}/", right_part),
        (f"/stories/{lighthouse.pk}-{lighthouse.slug}/parts/{part.pk}-start/", right_part),
    ]
    for address, right in wrong:
        response = reader.get(address)
        assert (response.status_code, response["Location"]) == (301, right), address


def test_a_renamed_book_is_found_at_its_old_address(lighthouse, reader):
    old = lighthouse.get_absolute_url()
    lighthouse.title = "The Last Lighthouse"
    services.story_save(lighthouse)
    response = reader.get(old)
    assert response.status_code == 301
    assert response["Location"] == f"/stories/{lighthouse.pk}-the-last-lighthouse/"


def test_unknown_ids_are_not_found(lighthouse, alice, reader):
    part = lighthouse.parts.first()
    other = write_book(alice, "Another Book", 1)
    assert reader.get("/stories/99999-the-lighthouse/").status_code == 404
    assert reader.get(f"/stories/{lighthouse.pk}-x/parts/99999-arrival/").status_code == 404
    # A part is only found under its own book.
    assert reader.get(f"/stories/{other.pk}-x/parts/{part.pk}-{part.slug}/").status_code == 404
    assert reader.get("/tags/no-such-tag/").status_code == 404
    assert reader.get("/authors/nobody/").status_code == 404
    not_found = reader.get("/stories/99999-x/")
    assert "We couldn't find that page" in not_found.content.decode()


# Tags


def test_a_tag_page_lists_books_with_the_tag_or_a_synonym_on_the_book_or_a_published_part(
    alice, reader
):
    slow_burn = tag("Slow Burn", canonical=True)
    slowburn = tag("slowburn", synonym_of=slow_burn)
    write_book(alice, "On the Book", 1, tags=[slow_burn])
    on_part = write_book(alice, "On a Part", 2)
    on_part.parts.last().tags.set([slowburn])
    on_draft = write_book(alice, "Only on a Draft", 1)
    draft = services.part_save(
        Part(story=on_draft, title="Unfinished", body="<p>Soon.</p>", state=PartState.DRAFT)
    )
    draft.tags.set([slow_burn])
    write_book(alice, "Unrelated", 1, tags=[tag("Fluff")])

    canonical_page = text_of(reader.get("/tags/slow-burn/"))
    assert sorted(titles_in(canonical_page)) == ["On a Part", "On the Book"]
    assert "2 stories" in canonical_page
    assert '<a class="tag tag--trope" href="/tags/slowburn/">slowburn</a>' in canonical_page

    synonym_page = text_of(reader.get("/tags/slowburn/"))
    assert sorted(titles_in(synonym_page)) == ["On a Part", "On the Book"]
    assert (
        'This tag is a synonym of <a href="/tags/slow-burn/">Slow Burn</a>; '
        "stories with either are listed here." in synonym_page
    )
    assert "synonym of" not in canonical_page


def test_a_tag_page_without_books_says_so(reader):
    tag("Fluff")
    assert "No stories carry this tag yet." in text_of(reader.get("/tags/fluff/"))


# Authors


def test_an_author_page_shows_who_they_are_and_their_books(alice, bob, reader):
    alice.bio = "Writes about lighthouses.\n\nLives by the sea."
    alice.save()
    write_book(alice, "The Lighthouse", 1)
    write_book(alice, "Salt and Stars", 1)
    write_book(bob, "Bob's Book", 1)

    html = text_of(reader.get("/authors/alice/"))

    assert "<h1>Alice Liddell</h1>" in html
    assert "@alice" in html
    assert "<p>Writes about lighthouses.</p>" in html and "<p>Lives by the sea.</p>" in html
    assert sorted(titles_in(html)) == ["Salt and Stars", "The Lighthouse"]
    assert "2 stories" in html


def test_an_author_without_a_display_name_is_shown_by_username(bob, reader):
    html = text_of(reader.get("/authors/bob/"))
    assert "<h1>bob</h1>" in html
    assert "No published stories yet." in html


# Lists cost the same number of queries whatever their length.


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def write_books(author, start: int, count: int, tags: list[Tag]) -> None:
    for number in range(start, start + count):
        write_book(author, f"Book {number}", 1, tags=tags)


@pytest.mark.parametrize("url", ["/", "/tags/slow-burn/", "/authors/alice/"])
def test_list_pages_make_as_many_queries_for_fifteen_books_as_for_three(alice, bob, reader, url):
    slow_burn = tag("Slow Burn", canonical=True)
    tags = [slow_burn, tag("Fluff"), Tag.objects.get(name="F/F")]
    write_books(alice, 1, 3, tags)
    few = queries_for(reader, url)
    write_books(alice, 4, 12, tags)
    for story in Story.objects.all()[:5]:
        services.story_save(story, authors=[alice, bob])
    many = queries_for(reader, url)
    assert len(titles_in(reader.get(url).content.decode())) >= 12
    assert many == few


def test_a_rating_page_lists_the_books_with_that_rating(alice, reader):
    teen = Tag.objects.get(name="Teen And Up Audiences")
    rated = write_book(alice, "Rated Teen", 1)
    rated.rating = teen
    services.story_save(rated)
    write_book(alice, "Not Rated At All", 1)

    page = reader.get("/tags/teen-and-up-audiences/").content.decode()
    assert "Rated Teen" in page
    assert "Not Rated At All" not in page


def test_a_book_is_updated_when_a_new_part_comes_out_not_when_an_old_one_is_edited(alice):
    story = write_book(alice, "Serial", 1)
    first = story.parts.get()
    first_published = first.published_at
    assert story.updated_at == first_published

    first.body = "<p>A corrected first paragraph.</p>"
    services.part_save(first)
    story.refresh_from_db()
    assert story.updated_at == first_published

    second = services.part_save(
        Part(story=story, title="Chapter 2", body="<p>More.</p>", state=PartState.PUBLISHED)
    )
    story.refresh_from_db()
    assert story.updated_at == second.published_at > first_published
