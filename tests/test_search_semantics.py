"""What a search means, on a small archive, through the SQL oracle and through the filter
index, which must agree: includes, excludes, synonyms, meta tags, tags on parts."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict

from storyhouse.discovery import index
from storyhouse.discovery.query import parse
from storyhouse.discovery.search import search
from storyhouse.stories import services
from storyhouse.stories.models import Part, Tag, TagType, Visibility
from tests.helpers import write_book

pytestmark = pytest.mark.django_db


def titles(url_query: str, viewer=None, *, use_index: bool) -> list[str]:
    page = search(parse(QueryDict(url_query)), viewer or AnonymousUser(), use_index=use_index)
    return [story.title for story in page.stories]


@pytest.fixture
def archive(alice):
    tag = services.tag_get_or_create
    villain = services.tag_save(Tag(name="Hero/Villain", type=TagType.TROPE, canonical=True))
    services.tag_save(Tag(name="Villain Romance", type=TagType.TROPE, synonym_of=villain))
    death = Tag.objects.get(name="Major Character Death")
    marvel = services.tag_save(Tag(name="Marvel", type=TagType.FANDOM, canonical=True))
    mcu = services.tag_save(Tag(name="MCU", type=TagType.FANDOM, canonical=True))
    mcu.parents.add(marvel)
    steve = services.tag_save(Tag(name="Steve Rogers", type=TagType.CHARACTER, canonical=True))
    steve.parents.add(mcu)
    write_book(alice, "Alpha", 1, tags=[villain])
    write_book(alice, "Bravo", 1, tags=[Tag.objects.get(name="Villain Romance"), death])
    write_book(alice, "Charlie", 1, tags=[mcu])
    write_book(alice, "Delta", 1, tags=[steve])
    echo = write_book(alice, "Echo", 1)
    part = services.part_save(Part(story=echo, title="Two", body="<p>x</p>"))
    part.tags.set([villain])  # a draft part: it does not count
    write_book(alice, "Foxtrot", 1, tags=[villain], visibility=Visibility.MEMBERS)
    one_shot = write_book(alice, "Golf", 1)
    one_shot.parts.get().tags.set([tag("Fluff", type=TagType.TROPE)])
    services.story_refresh(one_shot)
    return locals()


@pytest.fixture(params=[False, True], ids=["oracle", "index"])
def use_index(request, archive):
    """Each search twice: through the SQL oracle, and through a filter index built now."""
    if request.param:
        index.install(index.FilterIndex.build())
    yield request.param
    index.install(None)


def test_include_matches_the_tag_and_its_synonyms(archive, use_index):
    assert sorted(titles("include=hero-villain", use_index=use_index)) == ["Alpha", "Bravo"]
    assert sorted(titles("include=villain-romance", use_index=use_index)) == ["Alpha", "Bravo"]


def test_exclude_leaves_out_the_tag_and_its_synonyms(archive, use_index):
    assert "Bravo" not in titles("exclude=major-character-death", use_index=use_index)
    assert sorted(
        titles("include=hero-villain&exclude=major-character-death", use_index=use_index)
    ) == ["Alpha"]


def test_a_meta_tag_finds_its_sub_tags_but_a_fandom_not_its_characters(archive, use_index):
    assert titles("include=marvel", use_index=use_index) == ["Charlie"]
    assert titles("include=steve-rogers", use_index=use_index) == ["Delta"]


def test_tags_of_published_parts_count_and_of_drafts_do_not(archive, use_index):
    assert titles("include=fluff", use_index=use_index) == ["Golf"]
    assert "Echo" not in titles("include=hero-villain", use_index=use_index)


def test_members_only_books_are_found_by_members_only(archive, bob, use_index):
    assert "Foxtrot" not in titles("include=hero-villain", use_index=use_index)
    assert "Foxtrot" in titles("include=hero-villain", viewer=bob, use_index=use_index)


def test_an_unknown_tag_finds_nothing_and_is_named(archive, use_index):
    page = search(parse(QueryDict("include=no-such-tag")), AnonymousUser(), use_index=use_index)
    assert page.stories == [] and page.unknown == ["no-such-tag"]


def test_facets_count_books_once_per_tag(archive, use_index):
    page = search(parse(QueryDict("")), AnonymousUser(), use_index=use_index)
    tropes = {
        tag.name: count
        for group in page.facets
        if group.type == "trope"
        for tag, count in group.tags
    }
    assert tropes["Hero/Villain"] == 2
    assert tropes["Fluff"] == 1
    assert page.result.total == 6
    # Latest updated first, by default.
    assert [story.title for story in page.stories] == [
        "Golf", "Echo", "Delta", "Charlie", "Bravo", "Alpha"
    ]  # fmt: skip
