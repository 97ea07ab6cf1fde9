"""Accounts in a real browser: a reader signs up, confirms her address from the email, logs
out and in; hides a warning and meets the page that asks first; every account page passes axe."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import Page, expect

from storyhouse.accounts import services as accounts
from storyhouse.accounts.models import User
from storyhouse.stories.models import Tag
from tests.browser.conftest import PHONE
from tests.browser.test_accessibility import AXE_OPTIONS, axe_report
from tests.browser.test_reading import looks_dark
from tests.helpers import SAME_HTML, write_book

pytestmark = pytest.mark.browser

PASSWORD = "a lighthouse in the fog"


@pytest.fixture(autouse=True)
def mail_kept_in_memory(settings) -> None:
    """The live server runs in this process: its mail lands in django.core.mail.outbox."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    cache.clear()


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def site_nav(page: Page):
    return page.get_by_role("navigation", name="Site")


def fits_the_screen_width(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def log_in(page: Page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username or email address").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()


def test_nina_signs_up_confirms_her_address_logs_out_and_in_again(page, look):
    page.goto("/")
    expect(site_nav(page).get_by_role("link", name="Log in")).to_be_visible()
    site_nav(page).get_by_role("link", name="Sign up").click()

    expect(heading(page)).to_have_text("Sign up")
    assert fits_the_screen_width(page)
    look(page, "signup")
    page.get_by_label("Username").fill("nina")
    page.get_by_label("Email address").fill("nina@example.org")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign up").click()

    expect(heading(page)).to_have_text("Check your email")
    expect(page.get_by_text("We sent a link to nina@example.org.")).to_be_visible()
    expect(site_nav(page).get_by_role("link", name="nina")).to_be_visible()
    assert fits_the_screen_width(page)
    look(page, "check-your-email")

    (message,) = mail.outbox
    assert message.to == ["nina@example.org"]
    link = re.search(r"https?://\S+", message.body).group(0)
    page.goto(link)
    expect(heading(page)).to_have_text("Confirm your email address")
    page.get_by_role("button", name="Confirm my address").click()

    expect(heading(page)).to_have_text("Your account")
    expect(page.get_by_role("status")).to_contain_text("nina@example.org is confirmed")
    expect(page.get_by_text("It is confirmed.")).to_be_visible()
    assert User.objects.get(username="nina").email_verified
    assert fits_the_screen_width(page)
    look(page, "settings")

    site_nav(page).get_by_role("button", name="Log out").click()
    expect(heading(page)).to_have_text("Storyhouse")
    expect(site_nav(page).get_by_role("link", name="nina")).to_have_count(0)

    site_nav(page).get_by_role("link", name="Log in").click()
    page.get_by_label("Username or email address").fill("NINA@example.org")
    page.get_by_label("Password").fill("not my password")
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(heading(page)).to_have_text("Storyhouse")
    expect(site_nav(page).get_by_role("link", name="nina")).to_be_visible()


def test_a_long_name_keeps_the_header_within_a_phone_screen(new_page, writer):
    writer.display_name = "Marabel Quillington-Featherstonehaugh of the Northern Lighthouse"
    writer.save()
    page = new_page(**PHONE)
    log_in(page, "mara", "mara-password-1")
    name = site_nav(page).get_by_role("link", name=re.compile("^Marabel"))
    expect(name).to_be_visible()
    expect(site_nav(page).get_by_role("button", name="Log out")).to_be_visible()
    assert fits_the_screen_width(page)


def test_bob_hides_a_warning_and_is_asked_before_a_part_carrying_it(page, writer, look):
    bob = User.objects.create_user("bob", "bob@example.org", "bob-password-1")
    death = Tag.objects.get(name="Major Character Death")
    write_book(writer, "The Last Keeper", ["Storm"], tags=[death])
    write_book(writer, "Morning Ferry", 1)
    assert bob.hidden_tags.count() == 0
    log_in(page, "bob", "bob-password-1")
    expect(page.get_by_role("link", name="The Last Keeper").first).to_be_visible()

    page.goto("/accounts/preferences/")
    # Typing is enough: the results come as bob types (htmx); the Search button is the way
    # without JavaScript.
    page.get_by_label("Find a tag").press_sequentially("character de", delay=30)
    page.get_by_role("button", name="Hide Major Character Death").click()
    expect(page.get_by_role("status")).to_contain_text("Major Character Death is hidden now.")
    expect(
        page.get_by_role("region", name="What you hide").get_by_role(
            "link", name="Major Character Death"
        )
    ).to_be_visible()
    look(page, "preferences")

    page.goto("/")
    expect(page.get_by_role("link", name="Morning Ferry").first).to_be_visible()
    expect(page.get_by_role("link", name="The Last Keeper")).to_have_count(0)

    storm = writer.stories.get(title="The Last Keeper").parts.get()
    page.goto(storm.get_absolute_url())
    expect(page.get_by_text("This part carries a warning you chose to hide")).to_be_visible()
    expect(page.locator("[data-part-body]")).to_have_count(0)
    look(page, "interstitial")
    page.get_by_role("link", name="Show it anyway").click()
    expect(
        page.locator("[data-part-body]").get_by_text("The first paragraph of Storm.")
    ).to_be_visible()


# Every account page passes axe, in both themes


def guest_pages(token: str) -> dict[str, str]:
    return {
        "signup": "/accounts/signup/",
        "login": "/accounts/login/",
        "password-reset": "/accounts/password-reset/",
        "verify-confirm": f"/accounts/verify/{token}/",
        "verify-failed": "/accounts/verify/not-a-link/",
    }


MEMBER_PAGES = {
    "settings": "/accounts/settings/",
    "verify-sent": "/accounts/verify/",
    "password-change": "/accounts/password/",
    "preferences": "/accounts/preferences/?q=death",
    "delete": "/accounts/delete/",
    "interstitial": None,  # a part carrying a warning the reader hides
}


@pytest.fixture(scope="module")
def axe() -> Axe:
    return Axe()


def check(page: Page, axe: Axe, name: str) -> None:
    violations = axe.run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"{name}:\n{axe_report(violations)}"
    assert fits_the_screen_width(page), name


@SAME_HTML
@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("screen_name", ["desktop", "phone"])
def test_the_account_pages_pass_axe(new_page, writer, axe, theme, screen_name):
    bob = User.objects.create_user("bob", "bob@example.org", "bob-password-1", email_verified=False)
    token = accounts.verification_token(bob, bob.email)
    death = Tag.objects.get(name="Major Character Death")
    accounts.preferences_hide_tag(bob, Tag.objects.get(name="Explicit"))
    accounts.preferences_hide_tag(bob, death)
    part = write_book(writer, "The Last Keeper", ["Storm"]).parts.get()
    part.tags.add(death)
    # A system in dark mode gets the dark theme: the same palette as the theme button's.
    options = {**(PHONE if screen_name == "phone" else {}), "color_scheme": theme}

    guest = new_page(**options)
    for name, address in guest_pages(token).items():
        guest.goto(address)
        check(guest, axe, name)
    assert looks_dark(guest) == (theme == "dark")
    # With errors showing, too.
    guest.goto("/accounts/signup/")
    guest.get_by_label("Username").fill("bob")
    guest.get_by_label("Email address").fill("bob@example.org")
    guest.get_by_label("Password:", exact=True).fill("short")
    guest.get_by_label("Password confirmation").fill("shorter")
    guest.get_by_role("main").get_by_role("button", name="Sign up").click()
    expect(guest.locator(".errorlist").first).to_be_visible()
    check(guest, axe, "signup with errors")

    member = new_page(**options)
    log_in(member, "bob", "bob-password-1")
    for name, address in MEMBER_PAGES.items():
        member.goto(address or part.get_absolute_url())
        check(member, axe, name)
    member.goto(part.get_absolute_url() + "?show=hidden")
    expect(member.locator(".tag--hidden")).to_have_count(1)
    check(member, axe, "part shown anyway, its hidden warning marked")
