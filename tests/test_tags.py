"""Tags: readable slugs that are never reused, names unique across types, synonyms that filter as
their canonical tag, and the archive's own tags that no one can remove."""

from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.stories import services
from storyhouse.stories.archive_tags import ARCHIVE_WARNINGS, CATEGORIES, RATINGS
from storyhouse.stories.models import Tag, TagType
from storyhouse.stories.text import slugify
from tests.helpers import write_book

pytestmark = pytest.mark.django_db


def new_tag(name: str, type: str = TagType.TROPE, **fields) -> Tag:
    return services.tag_save(Tag(name=name, type=type, **fields))


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Hero/Villain", "hero-villain"),
        ("Enemies to Lovers", "enemies-to-lovers"),
        ("Don't Copy Another Fic", "dont-copy-another-fic"),
        ("Writer’s Block", "writers-block"),
        ("Café Crème", "cafe-creme"),
        ("  Slow   Burn  ", "slow-burn"),
        # Other scripts keep their letters, voicing marks and vowel signs included.
        ("僕のヒーローアカデミア", "僕のヒーローアカデミア"),
        ("Ёлка и йод", "ёлка-и-йод"),
        ("हिन्दी", "हिन्दी"),
        ("إشارة", "إشارة"),
        ("!!!", "tag"),
    ],
)
def test_a_tag_slug_is_made_from_its_name(name, slug):
    assert new_tag(name).slug == slug


def test_the_archive_warnings_have_the_slugs_their_pages_are_known_by(reader):
    tag = Tag.objects.get(name="Major Character Death")
    assert tag.slug == "major-character-death"
    assert reader.get("/tags/major-character-death/").status_code == 200


def test_a_title_in_another_script_keeps_its_letters():
    assert slugify("ぼくのヒーローアカデミア") == "ぼくのヒーローアカデミア"
    assert slugify("Việt Nam") == "viet-nam"


def test_two_names_with_one_slug_get_two_slugs():
    assert new_tag("Angst").slug == "angst"
    assert new_tag("Angst!!").slug == "angst-2"
    assert new_tag("ANGST?").slug == "angst-3"


def test_a_slug_is_never_reused_and_its_old_page_is_gone(reader):
    angst = new_tag("Angst")
    assert reader.get("/tags/angst/").status_code == 200

    services.tag_delete(angst)
    again = new_tag("angst")

    assert again.slug == "angst-2"
    assert reader.get("/tags/angst/").status_code == 404
    assert reader.get("/tags/angst-2/").status_code == 200


def test_a_tag_keeps_its_slug_when_renamed():
    tag = new_tag("Slow Burn")
    tag.name = "Very Slow Burn"
    services.tag_save(tag)
    tag.refresh_from_db()
    assert tag.slug == "slow-burn"


def test_tag_names_are_unique_across_types_ignoring_case():
    new_tag("Angst", TagType.TROPE)
    with pytest.raises(ValidationError) as refused:
        new_tag("angst", TagType.WARNING)
    assert refused.value.messages == ["A tag with this name already exists."]
    with pytest.raises(ValidationError, match="already exists"):
        new_tag("major character death", TagType.TROPE)
    assert Tag.objects.filter(name__iexact="angst").count() == 1


def test_finding_or_creating_a_tag_by_name_finds_it_in_any_type():
    warning = new_tag("Angst", TagType.WARNING)
    assert services.tag_get_or_create("ANGST", type=TagType.TROPE) == warning


def test_a_synonym_points_at_a_canonical_tag_of_its_own_type():
    canonical = new_tag("Enemies to Lovers", canonical=True)
    loose = new_tag("Rivals to Lovers")
    warning = Tag.objects.get(name="Major Character Death")

    synonym = new_tag("enemies 2 lovers", synonym_of=canonical)
    assert synonym.filter_tag == canonical

    with pytest.raises(ValidationError, match="Only a canonical tag can have synonyms"):
        new_tag("e2l", synonym_of=loose)
    with pytest.raises(ValidationError, match="same type"):
        new_tag("Character Dies", TagType.TROPE, synonym_of=warning)
    with pytest.raises(ValidationError, match="cannot be canonical itself"):
        new_tag("Enemies-to-Lovers", canonical=True, synonym_of=canonical)
    with pytest.raises(ValidationError, match="synonym of itself"):
        canonical.synonym_of = canonical
        services.tag_save(canonical)


def test_a_tag_with_synonyms_stays_a_canonical_tag_of_their_type():
    canonical = new_tag("Enemies to Lovers", canonical=True)
    other = new_tag("Rivals", canonical=True)
    new_tag("enemies 2 lovers", synonym_of=canonical)

    canonical.canonical = False
    with pytest.raises(ValidationError, match="has synonyms"):
        services.tag_save(canonical)

    canonical.refresh_from_db()
    canonical.type = TagType.RELATIONSHIP
    with pytest.raises(ValidationError, match="has synonyms"):
        services.tag_save(canonical)

    canonical.refresh_from_db()
    canonical.canonical, canonical.synonym_of = False, other
    with pytest.raises(ValidationError, match="has synonyms"):
        services.tag_save(canonical)


def test_removing_a_canonical_tag_frees_its_synonyms():
    canonical = new_tag("Enemies to Lovers", canonical=True)
    synonym = new_tag("enemies 2 lovers", synonym_of=canonical)
    services.tag_delete(canonical)
    synonym.refresh_from_db()
    assert synonym.synonym_of is None


def test_the_archive_tags_are_there_from_the_first_migration_named_as_on_ao3():
    archive = Tag.objects.filter(archive_defined=True)
    assert archive.count() == 17
    by_type = {
        tag_type: sorted(archive.filter(type=tag_type).values_list("name", flat=True))
        for tag_type in (TagType.RATING, TagType.WARNING, TagType.CATEGORY)
    }
    assert by_type == {
        TagType.RATING: sorted(
            ["Not Rated", "General Audiences", "Teen And Up Audiences", "Mature", "Explicit"]
        ),
        TagType.WARNING: sorted(
            [
                "Creator Chose Not To Use Archive Warnings",
                "No Archive Warnings Apply",
                "Graphic Depictions Of Violence",
                "Major Character Death",
                "Rape/Non-Con",
                "Underage Sex",
            ]
        ),
        TagType.CATEGORY: sorted(["F/F", "F/M", "Gen", "M/M", "Multi", "Other"]),
    }
    assert by_type[TagType.RATING] == sorted(RATINGS)
    assert by_type[TagType.WARNING] == sorted(ARCHIVE_WARNINGS)
    assert by_type[TagType.CATEGORY] == sorted(CATEGORIES)
    assert all(tag.canonical for tag in archive)


def test_an_archive_tag_cannot_be_removed_or_renamed_through_the_services():
    death = Tag.objects.get(name="Major Character Death")
    with pytest.raises(ValueError, match="defined by the archive"):
        services.tag_delete(death)
    death.name = "Someone Dies"
    with pytest.raises(ValidationError, match="defined by the archive"):
        services.tag_save(death)
    assert Tag.objects.filter(name="Major Character Death", archive_defined=True).exists()


@pytest.fixture
def admin_client(db) -> Client:
    User.objects.create_superuser("root", "root@example.org", "root-password-1")
    client = Client()
    client.login(username="root", password="root-password-1")
    return client


def test_an_archive_tag_cannot_be_removed_in_the_admin(admin_client):
    death = Tag.objects.get(name="Major Character Death")
    angst = new_tag("Angst")

    page = admin_client.get(f"/admin/stories/tag/{death.pk}/delete/")
    assert page.status_code == 403
    assert (
        admin_client.post(f"/admin/stories/tag/{death.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )

    bulk = admin_client.post(
        "/admin/stories/tag/",
        {"action": "delete_selected", "_selected_action": [death.pk, angst.pk], "post": "yes"},
    )
    assert bulk.status_code == 403
    assert Tag.objects.filter(pk=death.pk).exists()
    assert Tag.objects.filter(archive_defined=True).count() == 17


def test_an_ordinary_tag_can_be_removed_in_the_admin_and_its_slug_retires(admin_client, reader):
    angst = new_tag("Angst")
    done = admin_client.post(f"/admin/stories/tag/{angst.pk}/delete/", {"post": "yes"})
    assert done.status_code == 302
    assert not Tag.objects.filter(name="Angst").exists()
    assert new_tag("Angst").slug == "angst-2"
    assert reader.get("/tags/angst/").status_code == 404


def test_a_book_and_a_tag_in_another_script_are_read_at_readable_addresses(alice, reader):
    hero = new_tag("僕のヒーローアカデミア", TagType.FANDOM)
    book = write_book(alice, "放課後の物語", 1, tags=[hero])

    assert hero.get_absolute_url() == quote("/tags/僕のヒーローアカデミア/")
    assert book.get_absolute_url() == quote(f"/stories/{book.pk}-放課後の物語/")
    tag_page = reader.get(hero.get_absolute_url())
    assert tag_page.status_code == 200
    assert "放課後の物語" in tag_page.content.decode()
    assert reader.get(book.get_absolute_url()).status_code == 200
    assert reader.get(book.parts.get().get_absolute_url()).status_code == 200
