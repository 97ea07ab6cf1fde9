"""A search, as the one URL form that the search page, feeds, the API and the page cache share.

    /search/?include=hero-villain&include=bakugou-katsuki&exclude=major-character-death
            &rating=teen-and-up-audiences&complete=1&words_min=10000&sort=votes

Parameters (every one optional; tags and ratings by slug, repeated for more than one):

    q              words to find in titles, descriptions, tags and author names
    include        books must carry every one of these tags
    exclude        books must carry none of these tags
    rating         books must have one of these ratings
    complete       1: complete books only; 0: ongoing ones only
    words_min      at least this many words
    words_max      at most this many words
    language       a language code, such as en or pt-BR
    updated_since  a date, YYYY-MM-DD: a part published on that day or later
    sort           best (with q), updated, published, reads, votes, comments, words, title
    page           1, 2, ...

A book carries a tag when the book or one of its published parts has it, a synonym of it, or,
when the tag is a meta tag, one of its sub-tags (children of the same type, at any depth).
Words that cannot be read are reported in `errors` and left out, never answered with a 500.
"""

import datetime
from dataclasses import dataclass, field, replace

from django.http import QueryDict
from django.utils.http import urlencode
from django.utils.translation import gettext as _

SORTS = ["best", "updated", "published", "reads", "votes", "comments", "words", "title"]
PAGE_SIZE = 20
# More than this many tags in one search is not a person searching.
MAX_TAGS = 30
MAX_PAGE = 10_000


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    rating: tuple[str, ...] = ()
    complete: bool | None = None
    words_min: int | None = None
    words_max: int | None = None
    language: str = ""
    updated_since: datetime.date | None = None
    sort: str = ""
    page: int = 1
    errors: tuple[str, ...] = field(default=(), compare=False)

    @property
    def order(self) -> str:
        """The sort in effect: best match when there are words to match, else updated."""
        if self.sort and (self.sort != "best" or self.q):
            return self.sort
        return "best" if self.q else "updated"

    @property
    def is_empty(self) -> bool:
        """No filter at all: every listed book matches."""
        return self == SearchQuery(sort=self.sort, page=self.page)

    def params(self) -> list[tuple[str, str]]:
        """The query as URL parameters, in the documented order; defaults left out."""
        pairs: list[tuple[str, str]] = []
        if self.q:
            pairs.append(("q", self.q))
        pairs += [("include", slug) for slug in self.include]
        pairs += [("exclude", slug) for slug in self.exclude]
        pairs += [("rating", slug) for slug in self.rating]
        if self.complete is not None:
            pairs.append(("complete", "1" if self.complete else "0"))
        if self.words_min is not None:
            pairs.append(("words_min", str(self.words_min)))
        if self.words_max is not None:
            pairs.append(("words_max", str(self.words_max)))
        if self.language:
            pairs.append(("language", self.language))
        if self.updated_since:
            pairs.append(("updated_since", self.updated_since.isoformat()))
        if self.sort:
            pairs.append(("sort", self.sort))
        if self.page > 1:
            pairs.append(("page", str(self.page)))
        return pairs

    def urlencode(self, **changes) -> str:
        """The query string of this search, or of this search with some fields changed."""
        query = replace(self, **changes) if changes else self
        return urlencode(query.params())

    def with_tag(self, slug: str, *, exclude: bool = False) -> "SearchQuery":
        """This search with one more tag to include (or exclude), back on its first page."""
        include = tuple(s for s in self.include if s != slug)
        excluded = tuple(s for s in self.exclude if s != slug)
        if exclude:
            excluded += (slug,)
        else:
            include += (slug,)
        return replace(self, include=include, exclude=excluded, page=1)

    def without_tag(self, slug: str) -> "SearchQuery":
        return replace(
            self,
            include=tuple(s for s in self.include if s != slug),
            exclude=tuple(s for s in self.exclude if s != slug),
            rating=tuple(s for s in self.rating if s != slug),
            page=1,
        )


def _number(value: str, name: str, errors: list[str], *, low: int = 0) -> int | None:
    value = value.strip().replace(",", "").replace("_", "")
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        errors.append(_("“%(value)s” is not a number (%(name)s).") % {"value": value, "name": name})
        return None
    if number < low:
        errors.append(_("%(name)s cannot be below %(low)d.") % {"name": name, "low": low})
        return None
    return number


def _slugs(params: QueryDict, name: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in params.getlist(name):
        for slug in value.split(","):  # a comma-separated list is accepted too
            slug = slug.strip().lower()
            if slug:
                seen.setdefault(slug, None)
    return tuple(seen)


def parse(params: QueryDict) -> SearchQuery:
    """Read a search from URL parameters. Never fails: what cannot be read is named in
    `errors` and left out."""
    errors: list[str] = []
    include = _slugs(params, "include")
    exclude = tuple(slug for slug in _slugs(params, "exclude") if slug not in include)
    rating = _slugs(params, "rating")
    if len(include) + len(exclude) + len(rating) > MAX_TAGS:
        errors.append(_("A search can name at most %(max)d tags.") % {"max": MAX_TAGS})
        include, exclude, rating = include[:MAX_TAGS], (), ()

    complete = None
    value = params.get("complete", "").strip().lower()
    if value in {"1", "true", "yes", "on"}:
        complete = True
    elif value in {"0", "false", "no", "off"}:
        complete = False
    elif value:
        errors.append(_("complete is 1 (complete books) or 0 (ongoing ones)."))

    words_min = _number(params.get("words_min", ""), "words_min", errors)
    words_max = _number(params.get("words_max", ""), "words_max", errors)
    if words_min is not None and words_max is not None and words_min > words_max:
        errors.append(_("words_min is more than words_max: no book can match both."))

    updated_since = None
    value = params.get("updated_since", "").strip()
    if value:
        try:
            updated_since = datetime.date.fromisoformat(value)
        except ValueError:
            errors.append(_("updated_since is a date written YYYY-MM-DD."))

    sort = params.get("sort", "").strip().lower()
    if sort and sort not in SORTS:
        errors.append(_("There is no sort called “%(sort)s”.") % {"sort": sort})
        sort = ""

    page = _number(params.get("page", ""), "page", errors, low=1) or 1
    page = min(page, MAX_PAGE)

    return SearchQuery(
        q=" ".join(params.get("q", "").split())[:200],
        include=include,
        exclude=exclude,
        rating=rating,
        complete=complete,
        words_min=words_min,
        words_max=words_max,
        language=params.get("language", "").strip()[:35],
        updated_since=updated_since,
        sort=sort,
        page=page,
        errors=tuple(errors),
    )
