"""The admin, as a member of staff uses it: every page opens, and saves go through the services."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from storyhouse.accounts.models import User
from storyhouse.engagement.models import Read
from storyhouse.stories import services
from storyhouse.stories.models import Change, Part, PartRevision, Series, Story, Tag, TagType
from tests.helpers import write_book

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser("root", "root@example.org", "root-password-1")


@pytest.fixture
def admin(root) -> Client:
    client = Client()
    client.force_login(root)
    return client


@pytest.fixture
def book(alice) -> Story:
    fluff = services.tag_save(Tag(name="Fluff", type=TagType.TROPE, canonical=True))
    services.tag_save(Tag(name="fluffy", type=TagType.TROPE, synonym_of=fluff))
    story = write_book(alice, "The Lighthouse", ["Arrival", "The Storm"], tags=[fluff])
    series = services.series_save(Series(title="Coastal Tales", owner=alice))
    series.stories.add(story)
    return story


class FormReader(HTMLParser):
    """The values a browser would send for one form on a page, as it was rendered."""

    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self.select: str | None = None
        self.textarea: str | None = None

    def add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = {key: value or "" for key, value in attrs}
        if tag == "form" and attrs.get("id") == self.form_id:
            self.inside = True
        if not self.inside or ("name" not in attrs and tag != "option"):
            return
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self.add(attrs["name"], attrs.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select":
            self.select = attrs["name"]
        elif tag == "option" and self.select and "selected" in attrs:
            self.add(self.select, attrs.get("value", ""))
        elif tag == "textarea":
            self.textarea = attrs["name"]
            self.add(self.textarea, "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][-1] += data.removeprefix("\n")


def form_of(client: Client, url: str, form_id: str) -> dict[str, list[str]]:
    page = client.get(url)
    assert page.status_code == 200
    reader = FormReader(form_id)
    reader.feed(page.content.decode())
    assert reader.data, f"no form {form_id} on {url}"
    return reader.data


def test_every_admin_page_opens(admin, book, alice, settings):
    settings.READS_BUFFERED = False  # the read below is in the database when the page is made
    part = book.parts.first()
    tag = Tag.objects.get(name="Fluff")
    archive_tag = Tag.objects.get(name="Major Character Death")
    Client().get(part.get_absolute_url(), HTTP_USER_AGENT="Mozilla/5.0 Firefox/128.0")
    urls = [
        "/admin/",
        "/admin/stories/story/",
        "/admin/stories/story/add/",
        f"/admin/stories/story/{book.pk}/change/",
        "/admin/stories/part/",
        "/admin/stories/part/add/",
        f"/admin/stories/part/{part.pk}/change/",
        "/admin/stories/tag/",
        "/admin/stories/tag/add/",
        f"/admin/stories/tag/{tag.pk}/change/",
        f"/admin/stories/tag/{archive_tag.pk}/change/",
        "/admin/stories/series/",
        f"/admin/stories/series/{Series.objects.get().pk}/change/",
        "/admin/stories/change/",
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        f"/admin/accounts/user/{alice.pk}/change/",
        "/admin/engagement/read/",
        f"/admin/engagement/read/{Read.objects.get().pk}/change/",
        "/admin/stories/story/?q=light",
        "/admin/stories/tag/?type__exact=warning",
        "/admin/autocomplete/?app_label=stories&model_name=part&field_name=tags&term=flu",
    ]
    for url in urls:
        assert admin.get(url).status_code == 200, url
    listing = admin.get("/admin/stories/story/").content.decode()
    assert "The Lighthouse" in listing


def test_the_admin_is_for_staff_only(book, bob):
    guest = Client()
    assert guest.get("/admin/stories/story/").status_code == 302
    guest.force_login(bob)
    assert guest.get("/admin/stories/story/").status_code == 302


def test_saving_a_part_in_the_admin_goes_through_the_services(admin, book, root):
    part = book.parts.get(title="The Storm")
    url = f"/admin/stories/part/{part.pk}/change/"
    old_ids = re.findall(r'id="(p-[0-9a-f]+)"', part.body)
    revisions = PartRevision.objects.filter(part=part).count()
    changes = Change.objects.count()

    data = form_of(admin, url, "part_form")
    # Stored ids come back from the form; the writer adds a paragraph with a script.
    assert data["body"] == [part.body]
    data["body"] = [part.body + '<p onclick="steal()">New.</p><script>steal()</script>']
    data["title"] = ["The Great Storm"]
    saved = admin.post(url, data)

    assert saved.status_code == 302, saved.content.decode()[:2000]
    part.refresh_from_db()
    assert part.title == "The Great Storm"
    assert part.slug == "the-great-storm"
    assert "<script" not in part.body and "onclick" not in part.body and "steal" not in part.body
    assert "New." in part.body
    assert re.findall(r'id="(p-[0-9a-f]+)"', part.body)[: len(old_ids)] == old_ids
    assert len(re.findall(r'<p id="p-[0-9a-f]{4}">', part.body)) == len(old_ids) + 1
    revision = PartRevision.objects.filter(part=part).first()
    assert PartRevision.objects.filter(part=part).count() == revisions + 1
    assert (revision.body, revision.edited_by) == (part.body, root)
    assert Change.objects.filter(kind=Change.Kind.PART, object_id=part.pk, pk__gt=changes).exists()


def test_adding_a_part_in_the_admin_publishes_it_through_the_services(admin, book, root):
    data = form_of(admin, "/admin/stories/part/add/", "part_form")
    data.update(
        story=[str(book.pk)],
        title=["Morning"],
        body=["<p>The sea was calm.</p>"],
        state=["published"],
        tags=[str(Tag.objects.get(name="Fluff").pk)],
    )
    saved = admin.post("/admin/stories/part/add/", data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    part = Part.objects.get(title="Morning")
    assert re.fullmatch(r'<p id="p-[0-9a-f]{4}">The sea was calm\.</p>', part.body)
    assert part.position == 3 and part.published_at is not None
    assert [tag.name for tag in part.tags.all()] == ["Fluff"]
    book.refresh_from_db()
    assert book.parts_count == 3


def test_saving_a_book_in_the_admin_cleans_it_and_logs_the_change(admin, book):
    url = f"/admin/stories/story/{book.pk}/change/"
    changes = Change.objects.count()
    data = form_of(admin, url, "story_form")
    data["title"] = ["  The   Last Lighthouse "]
    data["description"] = ['<p>Keep the light.</p><img src=x onerror="steal()">']
    saved = admin.post(url, data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    book.refresh_from_db()
    assert (book.title, book.slug) == ("The Last Lighthouse", "the-last-lighthouse")
    assert book.description == "<p>Keep the light.</p>"
    assert book.parts_count == 2
    assert Change.objects.filter(kind=Change.Kind.STORY, object_id=book.pk, pk__gt=changes).exists()


def test_a_tag_added_in_the_admin_gets_its_slug_and_synonym_rules(admin):
    data = form_of(admin, "/admin/stories/tag/add/", "tag_form")
    data.update(name=["Hero/Villain"], type=["trope"])
    assert admin.post("/admin/stories/tag/add/", data).status_code == 302
    assert Tag.objects.get(name="Hero/Villain").slug == "hero-villain"

    death = Tag.objects.get(name="Major Character Death")
    data.update(name=["Someone Dies"], type=["trope"], synonym_of=[str(death.pk)])
    refused = admin.post("/admin/stories/tag/add/", data)
    assert refused.status_code == 200
    assert "A synonym must be of the same type as its canonical tag." in refused.content.decode()
    assert not Tag.objects.filter(name="Someone Dies").exists()
