"""Where a read came from, by kind, from the page's referrer: kept with the read as a short
code, never the address itself (nor the reader's)."""

import functools

from django.utils.translation import gettext_lazy as _

# code -> what the statistics page calls it, in the page's order.
KINDS = {
    "home": _("The home page"),
    "search": _("Search"),
    "tag": _("Tag pages"),
    "discover": _("Discover"),
    "library": _("Libraries and reading lists"),
    "feed": _("Feeds and e-readers"),
    "book": _("The book itself (its page, other parts)"),
    "site": _("Elsewhere on this site"),
    "other": _("Another site"),
    "direct": _("No referrer (a bookmark, an app, a typed address)"),
}
# Paths of this site, by kind (the first that matches).
PATHS = (
    ("/search/feed.atom", "feed"),
    ("/opds/", "feed"),
    ("/search/", "search"),
    ("/tags/", "tag"),
    ("/discover/", "discover"),
    ("/library/", "library"),
    ("/lists/", "library"),
    ("/stories/", "book"),
    ("/authors/", "site"),
)


@functools.lru_cache(maxsize=4096)
def kind_of(referrer: str, host: str) -> str:
    """The kind of page a reader came from. It runs on every counted read, and most come
    from a few pages: answers are remembered."""
    if not referrer:
        return "direct"
    scheme_end = referrer.find("://")
    if scheme_end < 0:
        return "other"
    rest = referrer[scheme_end + 3 :]
    slash = rest.find("/")
    where, path = (rest, "/") if slash < 0 else (rest[:slash], rest[slash:])
    if where.lower() != host.lower():
        return "other"
    if path.endswith("/feed.atom"):
        return "feed"
    if path == "/" or path.startswith("/?"):
        return "home"
    for prefix, kind in PATHS:
        if path.startswith(prefix):
            return kind
    return "site"
