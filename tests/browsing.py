"""Tests that talk to a real `storyhouse serve` over HTTP: the command, and a browser.

The browser keeps cookies (per host, as browsers do: every port of 127.0.0.1 shares them), shows
redirects instead of following them, and fills in and sends forms as a browser would: the
CSRF token that is in the form, the Origin and Referer of the page the form is on.
"""

import http.cookiejar
import re
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import TypeVar

import lxml.html

from tests.helpers import BROWSER_AGENT

T = TypeVar("T")


class ShowRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs) -> None:
        return None  # a redirect is the answer the test wants to see


@dataclass
class Page:
    url: str
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def location(self) -> str:
        return urllib.parse.urljoin(self.url, self.headers.get("Location", ""))

    def links(self, pattern: str) -> list[str]:
        """The addresses of the links on the page whose path matches `pattern`."""
        return [
            href
            for href in re.findall(r'href="([^"]+)"', self.text)
            if re.fullmatch(pattern, urllib.parse.urlsplit(href).path)
        ]

    def form(self, action: str | None = None) -> "Form":
        """The form that posts to the path `action` (the page itself when None)."""
        document = lxml.html.fromstring(self.text, base_url=self.url)
        wanted = urllib.parse.urlsplit(self.url if action is None else action).path
        for element in document.forms:
            target = urllib.parse.urljoin(self.url, element.get("action") or self.url)
            if urllib.parse.urlsplit(target).path == wanted:
                return Form(element, page=self, target=target)
        raise AssertionError(f"no form posting to {wanted} on {self.url}")


class Form:
    """What a form would send, changed field by field as a person fills it in."""

    def __init__(self, element: lxml.html.FormElement, *, page: Page, target: str) -> None:
        self.element = element
        self.page = page
        self.target = target
        self.values: list[tuple[str, str]] = list(element.form_values())

    def fill(self, **fields: str) -> "Form":
        for name, value in fields.items():
            self.values = [pair for pair in self.values if pair[0] != name]
            self.values.append((name, value))
        return self

    def check(self, label: str) -> "Form":
        """Tick the checkbox (or radio button) whose label reads `label`."""
        for element in self.element.iter("label"):
            if element.text_content().strip() == label:
                box = element.find(".//input")
                self.values.append((box.get("name"), box.get("value", "on")))
                return self
        raise AssertionError(f"no box labelled {label!r}")


class Browser:
    def __init__(self, *, cafile: str | None = None) -> None:
        self.cookies = http.cookiejar.CookieJar()
        handlers: list[urllib.request.BaseHandler] = [
            urllib.request.HTTPCookieProcessor(self.cookies),
            ShowRedirects(),
        ]
        if cafile:
            context = ssl.create_default_context(cafile=cafile)
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self._opener = urllib.request.build_opener(*handlers)

    def open(
        self, url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Page:
        request = urllib.request.Request(  # noqa: S310 - only the servers a test started
            url, data=data, headers={"User-Agent": BROWSER_AGENT, **(headers or {})}
        )
        try:
            with self._opener.open(request, timeout=30) as response:
                return Page(url, response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:  # 3xx shown, 4xx and 5xx are pages too
            with error:
                return Page(url, error.code, error.headers, error.read())

    def get(self, url: str, **headers: str) -> Page:
        return self.open(url, headers=headers)

    def submit(self, form: Form) -> Page:
        """Send the form from the page it is on, as a browser does (Origin, Referer)."""
        parts = urllib.parse.urlsplit(form.page.url)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"{parts.scheme}://{parts.netloc}",
            "Referer": form.page.url,
        }
        data = urllib.parse.urlencode(form.values).encode()
        return self.open(form.target, data=data, headers=headers)

    def cookie(self, name: str) -> http.cookiejar.Cookie | None:
        return next((cookie for cookie in self.cookies if cookie.name == name), None)

    def sign_in(self, site: str, username: str, password: str) -> Page:
        login = self.get(f"{site}/accounts/login/")
        assert login.status == 200, login.status
        done = self.submit(login.form().fill(username=username, password=password))
        assert done.status == 302, done.text[:2000]
        return done


def storyhouse_command() -> list[str]:
    """The `storyhouse` command of the environment the tests run in."""
    script = Path(sys.executable).with_name("storyhouse")
    return [str(script)] if script.exists() else [sys.executable, "-m", "storyhouse.cli"]


def eventually(probe: Callable[[], T], *, seconds: float = 10, every: float = 0.2) -> T:
    """What `probe` returns once it is true, asking again until `seconds` have passed: for
    what another process shows a moment later (its search index, its page cache)."""
    deadline = time.monotonic() + seconds
    while True:
        found = probe()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(every)


def page_showing(browser: Browser, url: str, text: str, *, seconds: float = 10) -> Page | None:
    """The page at `url` once it answers 200 with `text` on it, or None after `seconds`."""

    def probe() -> Page | None:
        page = browser.get(url)
        return page if page.status == 200 and text in page.text else None

    return eventually(probe, seconds=seconds)


def publish_book(
    browser: Browser, site: str, *, title: str, trope: str, part_title: str, body: str
) -> tuple[str, str]:
    """A signed-in writer starts a book at the desk and publishes its first part, with the
    forms a writer fills in. The addresses of the book page and the part page."""
    new = browser.get(f"{site}/desk/stories/new/")
    assert new.status == 200, new.status
    form = new.form().fill(title=title, tropes=trope, visibility="public")
    created = browser.submit(form.check("No Archive Warnings Apply"))
    assert created.status == 302, created.text[:3000]
    desk = browser.get(created.location)
    added = browser.submit(desk.form(urllib.parse.urljoin(desk.url, "parts/new/")))
    assert added.status == 302, added.status
    editor = browser.get(added.location)
    published = browser.submit(
        editor.form().fill(title=part_title, body=body, body_format="markdown", action="publish")
    )
    assert published.status == 302, published.text[:3000]
    desk = browser.get(desk.url)
    book = urllib.parse.urljoin(site, desk.links(r"/stories/\d+-[^/]+/")[0])
    part = urllib.parse.urljoin(site, browser.get(book).links(r"/stories/\d+-[^/]+/parts/.+/")[0])
    return book, part
