"""Every kind of reading page passes axe-core in both themes, and is well-formed HTML5.

axe-core comes bundled in the axe-playwright-python package (from PyPI), so nothing is fetched
while the tests run. Every rule axe runs by default applies (WCAG 2.0, 2.1 and 2.2 at levels A and
AA, and axe's best practices: landmarks, heading order, link names...), with no exceptions, plus
the AAA contrast rule (7:1 for text), since reading is what people come for.
"""

import re
from collections import Counter

import html5lib
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.helpers import SAME_HTML

PAGES = ["home", "book", "part", "tag", "author", "discover", "about", "signup"]
THEMES = ["light", "dark"]  # the dark theme is one palette however it is reached: test_reading
AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "rules": {"color-contrast-enhanced": {"enabled": True}},
}
# The two forms of a valid <time datetime> this site uses: a date, or a global date and time.
TIME_VALUE = re.compile(r"\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:?\d\d))?")


def address(name: str, library: dict) -> str:
    return {
        "home": "/",
        "book": library["book"].get_absolute_url(),
        # The sample part is the richest page: warnings, a trope, a note, 25 paragraphs.
        "part": library["sample"].get_absolute_url(),
        "tag": "/tags/major-character-death/",  # lists the sample book through a synonym
        "author": library["book"].authors.get().get_absolute_url(),
        "discover": "/discover/",  # new books on the rise: the library's books are new
        "about": "/about/",  # a site page, as every footer links it
        "signup": "/accounts/signup/",  # with its field for robots, hidden from sight
    }[name]


def axe_report(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines += [f"    {node['target']}: {node['failureSummary']}" for node in violation["nodes"]]
    return "\n".join(lines)


def axe_failures(page, axe: Axe, name: str) -> list[str]:
    """What axe finds on the page as it is, in the light theme and then the dark one."""
    failures = []
    for theme in ("light", "dark"):
        if theme == "dark":
            page.evaluate("document.documentElement.dataset.theme = 'dark'")
        for violation in axe.run(page, options=AXE_OPTIONS).response["violations"]:
            targets = [node["target"] for node in violation["nodes"]]
            failures.append(f"{name} ({theme}): {violation['id']} {targets}")
    page.evaluate("delete document.documentElement.dataset.theme")
    return failures


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


@SAME_HTML
@pytest.mark.browser
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("name", PAGES)
def test_the_page_passes_axe(new_page, library, axe, name, theme):
    page = new_page()
    page.goto(address(name, library))
    if theme == "dark":
        dark_theme = page.get_by_role("button", name="Dark theme")
        dark_theme.click()
        expect(dark_theme).to_have_attribute("aria-pressed", "true")

    violations = axe.run(page, options=AXE_OPTIONS).response["violations"]

    assert not violations, axe_report(violations)


@SAME_HTML
@pytest.mark.browser
def test_the_part_passes_axe_on_a_phone_too(new_page, library, axe):
    """The phone layout differs (the theme button shows only its icon): check it in both themes."""
    page = new_page(**PHONE)
    page.goto(address("part", library))
    for theme in THEMES:
        if theme == "dark":
            page.get_by_role("button", name="Dark theme").click()
        violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
        assert not violations, f"in the {theme} theme:\n{axe_report(violations)}"


@pytest.mark.parametrize("name", PAGES)
def test_the_page_is_well_formed_html5(reader, library, name):
    """html5lib parses as browsers do and reports every parse error the HTML standard defines
    (stray, misnested or unclosed elements, duplicate attributes, a missing doctype...). On top
    of that: a language, one title, one main landmark, one h1, unique ids, valid <time> values."""
    response = reader.get(address(name, library))
    assert response.status_code == 200
    parser = html5lib.HTMLParser(namespaceHTMLElements=False)
    document = parser.parse(response.content, transport_encoding="utf-8")
    errors = [
        f"line {line}, column {column}: {code} {data or ''}"
        for (line, column), code, data in parser.errors
    ]
    assert not errors, "\n".join(errors)

    assert document.get("lang") == "en"
    assert len(document.findall("head/title")) == 1
    assert len(document.findall(".//main")) == 1
    assert len(document.findall(".//h1")) == 1
    ids = Counter(element.get("id") for element in document.iter() if element.get("id"))
    assert [id for id, count in ids.items() if count > 1] == []
    for time in document.iter("time"):
        assert TIME_VALUE.fullmatch(time.get("datetime", "")), time.get("datetime")
