"""What views tell the page cache: that a page may be kept for guests, until one of the
things it shows changes (its version keys), and that a hit on it counts a read."""

from django.http import HttpRequest

# Keys in the WSGI environ (Django's request.META is that same dict).
ENVIRON_WATERMARK = "storyhouse.pagecache.watermark"
ENVIRON_PAGE = "storyhouse.pagecache.page"


class Page:
    __slots__ = ("request", "keys", "read", "watermark")

    def __init__(self, request: HttpRequest, watermark: int | None) -> None:
        self.request = request
        self.keys: set[str] = set()
        self.read: tuple[int, int] | None = None
        self.watermark = watermark


def _page(request: HttpRequest) -> Page | None:
    meta = request.META
    if ENVIRON_WATERMARK not in meta or request.user.is_authenticated:
        return None  # not through the page cache, or a person's own page
    page = meta.get(ENVIRON_PAGE)
    if page is None:
        page = meta[ENVIRON_PAGE] = Page(request, meta[ENVIRON_WATERMARK])
    return page


def depends(request: HttpRequest, *keys: str, seen_up_to: int | None = None) -> None:
    """Let the page cache keep this page for guests until one of `keys` changes:
    `story:<id>`, `part:<id>`, `tag:<id>`, or `listing` for pages listing books.
    `seen_up_to`: the page was made from a copy (the search index) that has applied the
    change log up to this id only."""
    page = _page(request)
    if page is None:
        return
    page.keys.update(keys)
    if seen_up_to is not None and page.watermark is not None:
        page.watermark = min(page.watermark, seen_up_to)


def counts_read(request: HttpRequest, *, part_id: int, story_id: int) -> None:
    """A hit on this page counts a read of the part, as the view does."""
    page = _page(request)
    if page is not None:
        page.read = (part_id, story_id)


# Signed-in pages (personal.py): kept as shells, with each reader's values put in per request.

ENVIRON_SHELL_WANTED = "storyhouse.pagecache.shell_wanted"
# Set while a page renders as a shell: templates write slots (slots.py) instead of values.
ENVIRON_SHELL = "storyhouse.pagecache.shell"


class Shell:
    """What a signed-in page rendered as a shell depends on, and whom it may serve."""

    __slots__ = ("request", "keys", "watermark", "read", "tags", "authors", "paragraphs", "adult")

    def __init__(
        self,
        request: HttpRequest,
        watermark: int,
        keys: tuple[str, ...],
        read: tuple[int, int],
        tags: frozenset[int],
        authors: frozenset[int],
        paragraphs: int,
        adult: bool = False,
    ) -> None:
        self.request = request
        self.watermark = watermark
        self.keys = keys
        self.read = read  # (part id, story id): a request served from it counts this read
        self.tags = tags  # a reader hiding one of these gets the page from Django
        self.authors = authors  # so does an author of the book
        self.paragraphs = paragraphs  # the part's paragraphs, as reading progress counts them
        # A Mature or Explicit book: the shell is the passed page, for readers past the gate.
        self.adult = adult


def personal_shell(
    request: HttpRequest,
    *keys: str,
    read: tuple[int, int],
    tags: frozenset[int],
    authors: frozenset[int],
    paragraphs: int,
    adult: bool = False,
) -> None:
    """Render this signed-in reader's page as a shell (slots.py) that personal.py keeps for
    every reader it may serve, until one of `keys` changes. Call it only when nothing on the
    page depends on who reads but the slots, for any reader who hides none of `tags` and is
    none of `authors`: not for moderators, not for a book's authors, not for a draft. `adult`:
    the book is Mature or Explicit, so the shell may serve only readers past the gate (never
    call it for the gate itself)."""
    watermark = request.META.get(ENVIRON_SHELL_WANTED)
    if watermark is None or not request.user.is_authenticated:
        return
    request.META[ENVIRON_SHELL] = Shell(
        request, watermark, tuple(sorted(set(keys))), read, tags, authors, paragraphs, adult
    )
