"""Tag wrangling: Wren, who is staff, decides which tags are canonical, which filter as which,
and which belong under which; readers then find the same books on tag pages and in search."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.discovery.filters import TagGraph
from storyhouse.discovery.query import parse
from storyhouse.discovery.search import search
from storyhouse.moderation import roles
from storyhouse.stories import queries, services
from storyhouse.stories.models import Change, Tag, TagType
from tests.helpers import BROWSER_AGENT, write_book

pytestmark = pytest.mark.django_db


def new_tag(name: str, type: str = TagType.TROPE, **fields) -> Tag:
    return services.tag_save(Tag(name=name, type=type, **fields))


def titles_found(slug: str, viewer=None) -> list[str]:
    """What a search including this tag finds, as the search page would ask."""
    found = search(parse(QueryDict(f"include={slug}")), viewer or AnonymousUser(), facets=False)
    return sorted(story.title for story in found.stories)


def titles_listed(client: Client, slug: str) -> list[str]:
    page = client.get(f"/tags/{slug}/")
    assert page.status_code == 200
    return sorted(story.title for story in page.context["page"])


def page_text(response) -> str:
    return response.content.decode()


@pytest.fixture
def wren(db) -> User:
    wren = User.objects.create_user(
        "wren", "wren@example.org", "wren-password-1", display_name="Wren"
    )
    roles.grant(wren, roles.Role.WRANGLER)
    return wren


@pytest.fixture
def wrangler(wren) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(wren)
    return client


@pytest.fixture
def bob_client(bob) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER_AGENT)
    client.force_login(bob)
    return client


@pytest.fixture
def hero_villain(db) -> Tag:
    return new_tag("Hero/Villain", canonical=True)


@pytest.fixture
def villain_romance(db) -> Tag:
    return new_tag("Villain Romance")


def wrangle(client: Client, tag: Tag, action: str, **fields):
    return client.post(f"/tags/{tag.slug}/wrangle/", {"action": action, **fields}, follow=True)


# Synonyms


def test_a_synonym_filters_as_its_canonical_tag_on_tag_pages_and_in_search(
    alice, wrangler, reader, hero_villain, villain_romance
):
    write_book(alice, "Sunlit Rivals", tags=[hero_villain])
    write_book(alice, "Midnight Duel", tags=[villain_romance])
    write_book(alice, "Cape and Cowl", tags=[villain_romance])
    assert titles_listed(reader, "hero-villain") == ["Sunlit Rivals"]
    assert titles_found("hero-villain") == ["Sunlit Rivals"]

    done = wrangle(wrangler, villain_romance, "synonym", of="hero/villain")

    assert "“Villain Romance” now filters as “Hero/Villain”: 2 stories." in page_text(done)
    everything = ["Cape and Cowl", "Midnight Duel", "Sunlit Rivals"]
    assert titles_listed(reader, "hero-villain") == everything
    assert titles_found("hero-villain") == everything
    synonym_page = page_text(reader.get("/tags/villain-romance/"))
    assert 'synonym of <a href="/tags/hero-villain/">Hero/Villain</a>' in synonym_page
    assert "It filters as Hero/Villain" in synonym_page
    assert titles_listed(reader, "villain-romance") == everything
    canonical_page = page_text(reader.get("/tags/hero-villain/"))
    assert '<a class="tag tag--trope" href="/tags/villain-romance/">Villain Romance</a>' in (
        canonical_page
    )


def test_a_tag_becoming_a_synonym_takes_its_own_synonyms_and_sub_tags_along(
    alice, hero_villain, reader
):
    villain_romance = new_tag("Villain Romance", canonical=True)
    loose = new_tag("villain x hero", synonym_of=villain_romance)
    sub = new_tag("Reformed Villain", canonical=True)
    services.tag_set_parents(sub, [villain_romance])
    write_book(alice, "Second Chances", tags=[sub])
    write_book(alice, "Loose Ends", tags=[loose])

    services.tag_make_synonym(villain_romance, of=hero_villain)

    loose.refresh_from_db()
    villain_romance.refresh_from_db()
    assert loose.synonym_of == hero_villain
    assert not villain_romance.canonical
    assert list(sub.parents.all()) == [hero_villain]
    assert titles_listed(reader, "hero-villain") == ["Loose Ends", "Second Chances"]
    assert titles_found("hero-villain") == ["Loose Ends", "Second Chances"]


def test_a_synonym_can_stand_on_its_own_again(alice, wrangler, reader, hero_villain):
    villain_romance = new_tag("Villain Romance", synonym_of=hero_villain)
    write_book(alice, "Midnight Duel", tags=[villain_romance])
    assert titles_found("hero-villain") == ["Midnight Duel"]

    done = wrangle(wrangler, villain_romance, "unsynonym")

    assert "no longer filters as “Hero/Villain”" in page_text(done)
    assert titles_found("hero-villain") == []
    assert titles_listed(reader, "villain-romance") == ["Midnight Duel"]
    assert titles_listed(reader, "hero-villain") == []


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("Rivals", "“Rivals” is not canonical: only a canonical tag can have synonyms."),
        ("Hero Academia", "a synonym must be of the same type as its canonical tag."),
        ("Villain Romance", "A tag cannot be a synonym of itself."),
        ("No Such Tag", "There is no tag named “No Such Tag”."),
    ],
)
def test_wren_is_told_why_a_synonym_is_refused(
    wrangler, hero_villain, villain_romance, target, message
):
    new_tag("Rivals")
    new_tag("Hero Academia", TagType.FANDOM, canonical=True)

    refused = wrangle(wrangler, villain_romance, "synonym", of=target)

    assert refused.status_code == 400
    assert message in page_text(refused)
    villain_romance.refresh_from_db()
    assert villain_romance.synonym_of is None


def test_the_archive_tags_stay_canonical(wrangler):
    death = Tag.objects.get(name="Major Character Death")
    violence = Tag.objects.get(name="Graphic Depictions Of Violence")
    with pytest.raises(ValidationError, match="defined by the archive"):
        services.tag_make_synonym(death, of=violence)
    with pytest.raises(ValidationError, match="defined by the archive"):
        services.tag_merge(death, into=violence)
    with pytest.raises(ValidationError, match="defined by the archive"):
        services.tag_rename(death, "Someone Dies")

    refused = wrangle(wrangler, death, "synonym", of=violence.name)
    assert refused.status_code == 400
    death.refresh_from_db()
    assert death.canonical and death.synonym_of is None and death.name == "Major Character Death"
    # The page does not even offer what cannot be done.
    page = page_text(wrangler.get("/tags/major-character-death/wrangle/"))
    assert 'value="merge"' not in page and 'value="rename"' not in page


def test_a_free_warning_can_become_a_synonym_of_an_archive_warning(alice, reader):
    death = Tag.objects.get(name="Major Character Death")
    dies = new_tag("Everyone Dies", TagType.WARNING)
    write_book(alice, "The Last Summer", tags=[dies])

    services.tag_make_synonym(dies, of=death)

    assert titles_found("major-character-death") == ["The Last Summer"]
    assert titles_listed(reader, "major-character-death") == ["The Last Summer"]


def test_making_a_tag_canonical_offers_it_to_writers(alice, wrangler, villain_romance):
    client = Client()
    client.force_login(alice)
    offered = "/desk/tags/?type=trope&q=villain"
    assert "Villain Romance" not in page_text(client.get(offered))

    done = wrangle(wrangler, villain_romance, "canonical")

    assert "“Villain Romance” is canonical" in page_text(done)
    villain_romance.refresh_from_db()
    assert villain_romance.canonical
    assert "Villain Romance" in page_text(client.get(offered))


# Merging


def test_merging_moves_books_parts_and_hidden_tags_and_the_old_address_leads_on(
    alice, bob, bob_client, wrangler, reader, hero_villain
):
    au = new_tag("Hero Villain AU")
    on_book = write_book(alice, "Midnight Duel", tags=[au])
    one_shots = write_book(alice, "Short Nights", ["Dawn", "Dusk"])
    dusk = one_shots.parts.get(title="Dusk")
    services.part_save(dusk, tags=[au], edited_by=alice)
    write_book(alice, "Quiet Harbour")
    bob.hidden_tags.add(au)
    assert "Midnight Duel" not in page_text(bob_client.get("/"))

    done = wrangle(wrangler, au, "merge", into="Hero/Villain")

    assert "“Hero Villain AU” is merged into “Hero/Villain”: 2 stories moved" in page_text(done)
    assert done.redirect_chain[-1][0] == "/tags/hero-villain/wrangle/"
    assert not Tag.objects.filter(name="Hero Villain AU").exists()
    assert list(on_book.tags.all()) == [hero_villain]
    assert list(dusk.tags.all()) == [hero_villain]
    assert list(bob.hidden_tags.all()) == [hero_villain]
    home = page_text(bob_client.get("/"))
    assert "Midnight Duel" not in home and "Quiet Harbour" in home
    assert titles_listed(reader, "hero-villain") == ["Midnight Duel", "Short Nights"]
    assert titles_found("hero-villain") == ["Midnight Duel", "Short Nights"]
    old = reader.get("/tags/hero-villain-au/")
    assert old.status_code == 302 and old["Location"] == "/tags/hero-villain/"
    assert wrangler.get("/tags/hero-villain-au/wrangle/")["Location"] == (
        "/tags/hero-villain/wrangle/"
    )
    # A tag with the old name later is a new tag with an address of its own.
    assert new_tag("Hero Villain AU").slug == "hero-villain-au-2"


def test_merging_a_canonical_tag_brings_its_synonyms_and_addresses(alice, reader, hero_villain):
    villains = new_tag("Villains in Love", canonical=True)
    loose = new_tag("villains in luv", synonym_of=villains)
    write_book(alice, "Loose Ends", tags=[loose])

    services.tag_merge(villains, into=hero_villain)

    loose.refresh_from_db()
    assert loose.synonym_of == hero_villain
    assert titles_found("hero-villain") == ["Loose Ends"]
    assert reader.get("/tags/villains-in-love/")["Location"] == "/tags/hero-villain/"


def test_a_merge_that_makes_no_sense_is_refused(wrangler, hero_villain, villain_romance):
    with pytest.raises(ValidationError, match="cannot be merged into itself"):
        services.tag_merge(villain_romance, into=villain_romance)
    with pytest.raises(ValidationError, match="merge it the other way round"):
        services.tag_merge(hero_villain, into=new_tag("hv", synonym_of=hero_villain))
    with pytest.raises(ValidationError, match="only be merged with another rating"):
        services.tag_merge(villain_romance, into=Tag.objects.get(name="Mature"))

    refused = wrangle(wrangler, villain_romance, "merge", into="Villain Romance")
    assert refused.status_code == 400
    assert "A tag cannot be merged into itself." in page_text(refused)
    assert Tag.objects.filter(pk=villain_romance.pk).exists()


# Parents and meta tags


def test_a_meta_tag_page_lists_the_books_of_its_sub_tags_at_any_depth(alice, wrangler, reader):
    enemies = new_tag("Enemies to Lovers", canonical=True)
    rivals = new_tag("Rivals to Lovers", canonical=True)
    sworn = new_tag("Sworn Enemies", canonical=True)
    sworn_loose = new_tag("sworn enemies!!", synonym_of=sworn)
    write_book(alice, "Top of the Class", tags=[rivals])
    write_book(alice, "Blood Oath", tags=[sworn_loose])
    write_book(alice, "First Meeting", tags=[enemies])
    assert titles_listed(reader, "enemies-to-lovers") == ["First Meeting"]

    done = wrangle(wrangler, rivals, "parent_add", parent="enemies to lovers")
    assert "“Rivals to Lovers” now belongs under “Enemies to Lovers”." in page_text(done)
    wrangle(wrangler, sworn, "parent_add", parent="Rivals to Lovers")

    everything = ["Blood Oath", "First Meeting", "Top of the Class"]
    assert titles_listed(reader, "enemies-to-lovers") == everything
    assert titles_found("enemies-to-lovers") == everything
    assert titles_listed(reader, "rivals-to-lovers") == ["Blood Oath", "Top of the Class"]
    meta_page = page_text(reader.get("/tags/enemies-to-lovers/"))
    assert "Includes" in meta_page and 'href="/tags/rivals-to-lovers/"' in meta_page
    sub_page = page_text(reader.get("/tags/rivals-to-lovers/"))
    assert "Belongs to" in sub_page and 'href="/tags/enemies-to-lovers/"' in sub_page

    wrangle(wrangler, rivals, "parent_remove", parent=enemies.pk)
    assert titles_listed(reader, "enemies-to-lovers") == ["First Meeting"]
    assert titles_found("enemies-to-lovers") == ["First Meeting"]


def test_a_fandom_page_names_its_characters_but_lists_only_its_own_books(alice, reader):
    fandom = new_tag("Boku no Hero Academia", TagType.FANDOM, canonical=True)
    deku = new_tag("Midoriya Izuku", TagType.CHARACTER, canonical=True)
    services.tag_set_parents(deku, [fandom])
    write_book(alice, "Quirkless", tags=[deku])

    page = page_text(reader.get("/tags/boku-no-hero-academia/"))
    assert "Characters" in page and 'href="/tags/midoriya-izuku/"' in page
    assert titles_listed(reader, "boku-no-hero-academia") == []
    assert titles_found("boku-no-hero-academia") == []
    assert 'href="/tags/boku-no-hero-academia/"' in page_text(reader.get("/tags/midoriya-izuku/"))


def test_a_tag_cannot_end_up_under_itself(wrangler):
    enemies = new_tag("Enemies to Lovers", canonical=True)
    rivals = new_tag("Rivals to Lovers", canonical=True)
    sworn = new_tag("Sworn Enemies", canonical=True)
    services.tag_set_parents(rivals, [enemies])
    services.tag_set_parents(sworn, [rivals])

    with pytest.raises(ValidationError, match="cannot belong under itself"):
        services.tag_set_parents(enemies, [enemies])
    with pytest.raises(ValidationError, match="already belongs under"):
        services.tag_set_parents(enemies, [sworn])
    # Through a synonym too: a synonym of a sub-tag counts as that sub-tag.
    with pytest.raises(ValidationError, match="already belongs under"):
        services.tag_set_parents(enemies, [new_tag("sworn", synonym_of=sworn)])
    # Nor by making a tag's ancestor-to-be its synonym.
    with pytest.raises(ValidationError, match="would end up under itself"):
        services.tag_make_synonym(sworn, of=enemies)

    refused = wrangle(wrangler, enemies, "parent_add", parent="Sworn Enemies")
    assert refused.status_code == 400
    assert "“Sworn Enemies” already belongs under “Enemies to Lovers”" in page_text(refused)
    assert not enemies.parents.exists()


def test_the_page_family_is_the_search_family(alice):
    """Tag pages (queries.tag_family_ids) and search (TagGraph.family) count the same tags,
    whatever mix of synonyms, types and links the archive holds."""
    meta = new_tag("Hurt/Comfort", canonical=True)
    sub = new_tag("Whump", canonical=True)
    sub_loose = new_tag("whumptober", synonym_of=sub)
    deeper = new_tag("Sick Fic", canonical=True)
    free = new_tag("Fever Dreams")
    meta_loose = new_tag("h/c", synonym_of=meta)
    fandom = new_tag("Original Work", TagType.FANDOM, canonical=True)
    # Links to and from synonyms count as their canonical tag's; other types do not count.
    sub.parents.add(meta_loose)
    deeper.parents.add(sub_loose)
    free.parents.add(deeper)
    fandom.parents.add(meta)
    meta.parents.add(fandom)

    graph = TagGraph.load()
    for tag in Tag.objects.all():
        heads = graph.family(tag.pk)
        expected = {pk for pk, head in graph.filter_of.items() if head in heads}
        assert set(queries.tag_family_ids(tag)) == expected, tag.name
    assert set(queries.tag_family_ids(meta)) == {
        meta.pk, meta_loose.pk, sub.pk, sub_loose.pk, deeper.pk, free.pk
    }  # fmt: skip


# Renaming


def test_a_renamed_tag_gets_a_new_address_and_the_old_one_leads_there(
    alice, wrangler, reader, villain_romance
):
    write_book(alice, "Midnight Duel", tags=[villain_romance])

    done = wrangle(wrangler, villain_romance, "rename", name="  Villainous   Romance ")

    assert "“Villain Romance” is now called “Villainous Romance”" in page_text(done)
    villain_romance.refresh_from_db()
    assert (villain_romance.name, villain_romance.slug) == (
        "Villainous Romance",
        "villainous-romance",
    )
    assert reader.get("/tags/villain-romance/")["Location"] == "/tags/villainous-romance/"
    assert titles_listed(reader, "villainous-romance") == ["Midnight Duel"]
    # Back to its first name, it takes its first address back.
    services.tag_rename(villain_romance, "Villain Romance")
    assert villain_romance.slug == "villain-romance"
    assert reader.get("/tags/villainous-romance/")["Location"] == "/tags/villain-romance/"


def test_a_tag_cannot_take_the_name_of_another(wrangler, hero_villain, villain_romance):
    refused = wrangle(wrangler, villain_romance, "rename", name="hero/villain")
    assert refused.status_code == 400
    assert "There is already a tag named “Hero/Villain”: merge this one into it instead." in (
        page_text(refused)
    )
    villain_romance.refresh_from_db()
    assert villain_romance.name == "Villain Romance"


# Who may wrangle


def test_only_staff_see_the_way_to_wrangle(wrangler, bob_client, reader, villain_romance):
    link = 'href="/tags/villain-romance/wrangle/"'
    assert link in page_text(wrangler.get("/tags/villain-romance/"))
    assert link not in page_text(bob_client.get("/tags/villain-romance/"))
    assert link not in page_text(reader.get("/tags/villain-romance/"))
    assert wrangler.get("/tags/villain-romance/wrangle/").status_code == 200


@pytest.mark.parametrize(
    ("action", "fields"),
    [
        ("canonical", {}),
        ("synonym", {"of": "Hero/Villain"}),
        ("merge", {"into": "Hero/Villain"}),
        ("parent_add", {"parent": "Hero/Villain"}),
        ("rename", {"name": "Something Else"}),
    ],
)
def test_readers_find_no_wrangling_page_and_change_nothing(
    bob_client, reader, hero_villain, villain_romance, action, fields
):
    changes = Change.objects.count()
    for client in (bob_client, reader):
        assert client.get("/tags/villain-romance/wrangle/").status_code == 404
        assert client.get("/tags/no-such-tag/wrangle/").status_code == 404
        posted = client.post("/tags/villain-romance/wrangle/", {"action": action, **fields})
        assert posted.status_code == 404
    villain_romance.refresh_from_db()
    assert (villain_romance.name, villain_romance.canonical, villain_romance.synonym_of) == (
        "Villain Romance",
        False,
        None,
    )
    assert not villain_romance.parents.exists()
    assert Change.objects.count() == changes


def test_a_wrangling_form_without_its_csrf_token_is_refused(wren, villain_romance):
    careful = Client(enforce_csrf_checks=True, HTTP_USER_AGENT=BROWSER_AGENT)
    careful.force_login(wren)
    page = careful.get("/tags/villain-romance/wrangle/")
    assert 'name="csrfmiddlewaretoken"' in page_text(page)

    refused = careful.post("/tags/villain-romance/wrangle/", {"action": "canonical"})

    assert refused.status_code == 403
    villain_romance.refresh_from_db()
    assert not villain_romance.canonical


def test_an_unknown_action_is_a_clear_error(wrangler, villain_romance):
    refused = wrangler.post("/tags/villain-romance/wrangle/", {"action": "explode"})
    assert refused.status_code == 400
    assert "That is not something this page can do." in page_text(refused)
    assert wrangler.post("/tags/villain-romance/wrangle/", {}).status_code == 400


# The change log


def changes_since(last: int) -> set[tuple[str, int]]:
    return set(Change.objects.filter(id__gt=last).values_list("kind", "object_id"))


@pytest.mark.parametrize(
    "operation", ["canonical", "synonym", "unsynonym", "merge", "parents", "rename"]
)
def test_each_wrangling_writes_the_change_log(alice, hero_villain, operation):
    villain_romance = new_tag("Villain Romance")
    book = write_book(alice, "Midnight Duel", tags=[villain_romance])
    if operation == "unsynonym":
        services.tag_make_synonym(villain_romance, of=hero_villain)
    last, tag_id = Change.objects.latest("id").id, villain_romance.pk

    {
        "canonical": lambda: services.tag_make_canonical(villain_romance),
        "synonym": lambda: services.tag_make_synonym(villain_romance, of=hero_villain),
        "unsynonym": lambda: services.tag_unsynonym(villain_romance),
        "merge": lambda: services.tag_merge(villain_romance, into=hero_villain),
        "parents": lambda: services.tag_set_parents(villain_romance, [hero_villain]),
        "rename": lambda: services.tag_rename(villain_romance, "Villainous Romance"),
    }[operation]()

    logged = changes_since(last)
    assert (Change.Kind.TAG, tag_id) in logged
    if operation != "canonical":  # its books filter as they did: nothing for them to follow
        assert (Change.Kind.STORY, book.pk) in logged


def test_a_refused_wrangling_writes_nothing(hero_villain, villain_romance):
    last = Change.objects.latest("id").id
    with pytest.raises(ValidationError):
        services.tag_make_synonym(hero_villain, of=villain_romance)
    assert changes_since(last) == set()


# The list of tags


def test_everyone_sees_the_canonical_tags_and_only_wranglers_the_unwrangled(
    alice, wrangler, reader, hero_villain, villain_romance
):
    write_book(alice, "Midnight Duel", tags=[hero_villain])
    public = reader.get("/tags/?show=unwrangled&type=trope")
    assert public.status_code == 200
    listed = [tag.name for tag in public.context["page"]]
    assert listed == ["Hero/Villain"]
    assert "Unwrangled" not in page_text(public)
    assert public.context["page"][0].books == 1

    staff = wrangler.get("/tags/?show=unwrangled&type=trope")
    assert [tag.name for tag in staff.context["page"]] == ["Villain Romance"]
    assert 'href="/tags/villain-romance/wrangle/"' in page_text(staff)


@pytest.mark.parametrize("query", ["type=nonsense", "page=999", "page=x", "show=%00"])
def test_odd_tag_list_addresses_are_answered_plainly(reader, hero_villain, query):
    answer = reader.get(f"/tags/?{query}")
    assert answer.status_code == 200
    if query == "type=nonsense":
        assert "There is no tag type “nonsense”" in page_text(answer)


def test_the_tag_list_costs_the_same_queries_however_many_tags_it_shows(
    wrangler, django_assert_max_num_queries
):
    for number in range(3):
        new_tag(f"Trope {number}")
    with django_assert_max_num_queries(8) as few:
        wrangler.get("/tags/?show=all&type=trope")
    for number in range(3, 40):
        new_tag(f"Trope {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = wrangler.get("/tags/?show=all&type=trope")
    assert len(page.context["page"]) == 40


def test_a_tag_page_stands_even_when_old_links_go_round_in_a_circle(alice, reader):
    """Links made before the wrangling rules (in the admin, say) can go round; pages and search
    still answer."""
    left = new_tag("Left", canonical=True)
    right = new_tag("Right", canonical=True)
    left.parents.add(right)
    right.parents.add(left)
    write_book(alice, "Round and Round", tags=[left])

    assert titles_listed(reader, "right") == ["Round and Round"]
    assert titles_found("right") == ["Round and Round"]
    assert titles_listed(reader, "left") == ["Round and Round"]
