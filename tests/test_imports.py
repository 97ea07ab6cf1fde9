"""Writing an imported page: which book and part it becomes, its tags, and what a re-import does."""

import re

import pytest

from storyhouse.stories.importers import read_book, wattpad_text
from storyhouse.stories.imports import IMPORTED_ACCOUNT, book_import, import_account
from storyhouse.stories.models import Change, PartRevision, Story, Tag, TagType, Visibility

pytestmark = pytest.mark.django_db

BOOK = "One For All and Izuku Midoriya One-Shots"


def import_text(text: str, author=None):
    return book_import(wattpad_text.parse(text), author=author or import_account())


def test_the_sample_becomes_a_public_book_with_one_published_part(sample_path):
    (result,) = book_import(read_book(sample_path), author=import_account())
    assert result.outcome == "created"
    story = Story.objects.get()
    assert (story.title, story.visibility, story.parts_count) == (BOOK, Visibility.PUBLIC, 1)
    assert [user.username for user in story.authors.all()] == [IMPORTED_ACCOUNT]
    assert (story.imported_reads, story.imported_votes, story.imported_comments) == (583, 4, 2)
    assert result.part.word_count > 1000
    assert not import_account().has_usable_password()


def test_the_trope_and_warnings_become_tags_of_the_part(sample_path):
    (result,) = book_import(read_book(sample_path), author=import_account())
    tags = {tag.name: tag for tag in result.part.tags.all()}
    assert set(tags) == {
        "Hero/Villain",
        "Mentioned emotional manipulation and toxic relationship",
        "canonical character death",
        "no happy ending",
    }
    assert tags["Hero/Villain"].type == TagType.TROPE
    assert tags["no happy ending"].type == TagType.WARNING
    death = Tag.objects.get(name="Major Character Death")
    assert tags["canonical character death"].synonym_of == death
    assert tags["no happy ending"].synonym_of is None
    assert not Story.objects.get().tags.exists()  # a book of one-shots: tags belong to the part


def test_an_existing_tag_is_reused_whatever_its_letter_case(sample_text):
    import_text(sample_text.replace("Hero/Villain", "MAJOR CHARACTER DEATH"))
    assert Tag.objects.filter(name__iexact="major character death").count() == 1


def test_a_second_page_of_the_same_book_becomes_its_second_part(sample_text):
    import_text(sample_text)
    (result,) = import_text(sample_text.replace("Love Doesn't Always Mean", "Hate Never Means", 1))
    assert result.outcome == "created"
    story = Story.objects.get()
    assert [part.title for part in story.parts.all()] == [
        "Love Doesn't Always Mean A Happy Ending",
        "Hate Never Means A Happy Ending",
    ]
    assert story.parts_count == 2


def test_the_same_page_under_another_author_is_another_book(sample_text, alice):
    import_text(sample_text)
    import_text(sample_text, author=alice)
    assert Story.objects.count() == 2


def test_reimporting_the_same_page_changes_nothing(sample_text):
    (first,) = import_text(sample_text)
    changes = Change.objects.count()
    (again,) = import_text(sample_text)
    assert again.outcome == "unchanged"
    assert again.part.pk == first.part.pk
    assert Change.objects.count() == changes


def test_reimporting_an_edited_page_updates_the_part_and_keeps_paragraph_ids(sample_text):
    (first,) = import_text(sample_text)
    ids = dict(re.findall(r'<p id="(p-[0-9a-f]+)">([^<]{0,30})', first.part.body))

    edited = sample_text.replace("He knew it would end this way", "He always knew it would end")
    edited = edited.replace("583 4 2", "601 5 2")
    (again,) = import_text(edited)

    assert again.outcome == "updated"
    part = again.part
    part.refresh_from_db()
    assert part.imported_reads == 601
    kept = dict(re.findall(r'<p id="(p-[0-9a-f]+)">([^<]{0,30})', part.body))
    assert len(set(ids) & set(kept)) == 24  # every paragraph but the edited one
    assert "He always knew it would end" in part.body
    assert PartRevision.objects.filter(part=part).count() == 2
