"""The filter index: roaring bitmaps and numpy arrays answering searches in memory.

Every process keeps one `FilterIndex` (`current()`), built from the database in a background
thread (`start()`) and then kept current by following the change log (`Change`, whose id
only grows). Until it is ready, searches go to the SQL oracle, which the index must agree
with exactly: same matches, same totals, same order (id tie-breaks included), same facets.

What it holds, for listed books (public or members-only, with a published part):

- one bitmap per filter tag (a synonym counts as its canonical tag): the books that carry it
  on the book, on a published part, or as their rating; bitmaps per rating, status and
  language, and the members-only books;
- numpy arrays indexed by story id: words, dates, counts (earned + imported) and, per sort,
  the rank of each book in that sort, with the presorted order itself;
- per-book filter tag columns (CSR: `_start`/`_end` into `_cols`) for facet counts.

Sorts stay exact between re-rankings: books changed since the last ranking are "dirty" and
are merged in by their real keys (in memory; for titles the database orders the few
candidates, since only it knows its collation). Reads, votes and comments are counted
without a change row, so those counts are re-read every REFRESH_SECONDS (60 s): until then a
sort by reads or votes may lag by up to a minute. That refresh also re-ranks every sort.
"""

import array
import bisect
import datetime
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from itertools import islice

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.db.models.functions import Lower
from pyroaring import BitMap

from storyhouse.stories.changes import ChangeCursor
from storyhouse.stories.models import Change, Part, PartState, Status, Story, Visibility

from . import filters
from .filters import FACET_TYPES, Filter, SearchResult, TagGraph, top_facets

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5
REFRESH_SECONDS = 60.0
RETRY_SECONDS = 5.0
CHUNK = 20_000
# Facets by bincount over the books' tag columns (about 0.2 us a book on this machine) for
# small match sets; for bigger ones by bitmap intersection counts (about 25 us a tag at 1M
# books), biggest tags first, stopping once no other tag can enter the top: fast when the
# match set is a big share of the archive. The two cost the same at about 30,000 books
# (`make bench-search`). When intersecting takes more tags than INTERSECTIONS_PER_BOOK per
# matching book, it gives up and counts instead, so a search never pays much more than the
# cheaper way.
CSR_FACETS_UP_TO = 30_000
INTERSECTIONS_PER_BOOK = 1 / 20
# Walk a presorted order (rather than rank the whole match set) when about this many
# entries of it are enough to fill the page.
WALK_UP_TO = 20_000
# Books whose title changed are ordered among the page's candidates by the database; past
# this many candidates the title order is ranked again instead.
TITLE_MERGE_UP_TO = 5_000

NUMERIC_SORTS = ["updated", "published", "reads", "votes", "comments", "words"]
SORTS = [*NUMERIC_SORTS, "title"]
UNRANKED = np.iinfo(np.int32).max
NULL_TIME = np.iinfo(np.int64).min  # sorts after every date, as NULLS LAST does
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
ONE_MICROSECOND = datetime.timedelta(microseconds=1)
LISTED = [Visibility.PUBLIC, Visibility.MEMBERS]
STATUS_CODES = {Status.ONGOING.value: 1, Status.COMPLETE.value: 2}
STORY_FIELDS = [
    "id", "visibility", "parts_count", "rating_id", "word_count", "status", "language",
    "updated_at", "published_at", "reads_count", "imported_reads", "votes_count",
    "imported_votes", "comments_count", "imported_comments", "title",
]  # fmt: skip


def micros(value: datetime.datetime | None) -> int:
    """A moment as whole microseconds since 1970 (exact, unlike float timestamps)."""
    if value is None:
        return NULL_TIME
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return (value - EPOCH) // ONE_MICROSECOND


def moments(values: list) -> np.ndarray:
    """Microseconds since 1970 of database datetimes: datetime objects, or the UTC text SQLite
    keeps when read without Django's converters (parsed by numpy, far faster); None is NULL."""
    if any(isinstance(value, str) for value in values):
        texts = ["NaT" if value is None else value for value in values]
        return np.array(texts, dtype="datetime64[us]").astype(np.int64)  # NaT is NULL_TIME
    return np.fromiter((micros(value) for value in values), np.int64, len(values))


def raw_rows(queryset) -> Iterator[tuple]:
    """A values_list query's rows straight from the database cursor, streamed (a server-side
    cursor on PostgreSQL), without Django's per-value converters: building reads millions."""
    sql, params = queryset.query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(CHUNK):
            yield from batch


def bitmap(ids: np.ndarray) -> BitMap:
    """A bitmap of these ids, through the buffer protocol (far faster than iterating)."""
    return BitMap(array.array("I", np.ascontiguousarray(ids, dtype=np.uint32).tobytes()))


def ids_of(bits: BitMap) -> np.ndarray:
    return np.frombuffer(bits.to_array(), dtype=np.uint32).astype(np.int64)


def chunks(rows: Iterable, size: int = CHUNK) -> Iterator[list]:
    rows = iter(rows)
    while batch := list(islice(rows, size)):
        yield batch


def in_chunks(ids: Iterable[int], size: int = 900) -> Iterator[list[int]]:
    """Ids in lists short enough for an IN (...) on every database."""
    return chunks(sorted(ids), size)


class FilterIndex:
    """Searches in memory; see the module docstring. Build with `FilterIndex.build()`."""

    def __init__(self) -> None:
        self._lock = threading.RLock()  # readers and the moments writers change things
        self._write_lock = threading.RLock()  # one writer at a time
        self.graph = TagGraph(filter_of={}, type_of={}, children={}, slugs={})
        self.changes = ChangeCursor()
        # Every change up to this id is applied (page caches compare their entries with it).
        self.watermark = 0
        self._capacity = 0
        self.version = 0
        self.built_at = 0.0
        self.refreshed_at = 0.0
        # Books.
        self.listed = BitMap()
        self.members_only = BitMap()
        self.public = BitMap()
        self._rating_bits: dict[int, BitMap] = {}
        self._status_bits: dict[int, BitMap] = {}
        self._language_bits: dict[str, BitMap] = {}
        self._languages: list[str] = []
        self._language_code: dict[str, int] = {}
        # Filter tags: column numbers, their tag ids and books.
        self._col_of: dict[int, int] = {}
        self._col_tag: list[int] = []
        self._tag_bits: list[BitMap] = []
        self._cols = np.zeros(0, dtype=np.int32)
        self._cols_used = 0
        self._cols_live = 0
        # Sorts.
        self._order: dict[str, np.ndarray] = {}
        self._rank: dict[str, np.ndarray] = {}
        self.dirty = BitMap()  # numeric sorts: books changed since they were ranked
        self.title_dirty = BitMap()  # the title sort: books new or renamed since then
        # Facets.
        self._facet_order: dict[str, list[int]] = {}  # columns, biggest tag first
        self._facet_size: dict[int, int] = {}  # each column's size when that order was made
        self._changed_cols: set[int] = set()
        self._type_cache: tuple | None = None
        self._plain_facets: dict[bool, tuple[int, dict]] = {}
        self._arrays: list[str] = []
        # int32 keeps facet counting's gathers small (columns stay far below 2**31).
        self._per_book("_start", np.int32)
        self._per_book("_end", np.int32)
        self._per_book("_rating", np.int64, -1)
        self._per_book("_status", np.int8)
        self._per_book("_language", np.int32, -1)
        self._per_book("_title_hash", np.int64)
        self._per_book("_words", np.int64)
        self._per_book("_updated", np.int64, NULL_TIME)
        self._per_book("_published", np.int64, NULL_TIME)
        self._per_book("_reads", np.int64)
        self._per_book("_votes", np.int64)
        self._per_book("_comments", np.int64)
        for sort in SORTS:
            self._order[sort] = np.zeros(0, dtype=np.uint32)
            self._per_book(f"_rank_{sort}", np.int32, UNRANKED)
            self._rank[sort] = getattr(self, f"_rank_{sort}")

    # Storage

    def _per_book(self, name: str, dtype, fill=0) -> None:
        self._arrays.append(name)
        setattr(self, name, np.full(self._capacity, fill, dtype=dtype))
        setattr(self, f"{name}_fill", fill)

    def _grow(self, max_id: int) -> None:
        """Room in every per-book array for ids up to max_id."""
        if max_id < self._capacity:
            return
        if max_id >= 2**32 - 1:
            raise ValueError("story ids beyond 32 bits do not fit the index's bitmaps")
        capacity = max(max_id + 1, int(self._capacity * 1.25) + 1024)
        for name in self._arrays:
            old = getattr(self, name)
            new = np.full(capacity, getattr(self, f"{name}_fill"), dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)
        for sort in SORTS:
            self._rank[sort] = getattr(self, f"_rank_{sort}")
        self._capacity = capacity

    def _keys(self, sort: str) -> np.ndarray:
        return {
            "updated": self._updated,
            "published": self._published,
            "reads": self._reads,
            "votes": self._votes,
            "comments": self._comments,
            "words": self._words,
        }[sort]

    def _col(self, filter_id: int) -> int:
        col = self._col_of.get(filter_id)
        if col is None:
            col = self._col_of[filter_id] = len(self._col_tag)
            self._col_tag.append(filter_id)
            self._tag_bits.append(BitMap())
        return col

    def _language_index(self, language: str) -> int:
        code = self._language_code.get(language)
        if code is None:
            code = self._language_code[language] = len(self._languages)
            self._languages.append(language)
        return code

    # Building

    @classmethod
    def build(cls) -> "FilterIndex":
        """Read every listed book from the database: a few big chunked queries."""
        started = time.perf_counter()
        index = cls()
        with index._write_lock:
            # Changes after this id are applied afterwards; applying one twice is harmless.
            index.watermark = index.changes.start_at_newest()
            index.graph = TagGraph.load()
            max_id = Story.objects.aggregate(last=Max("id"))["last"] or 0
            index._fill(
                max_id,
                raw_rows(index._listed_stories().order_by().values_list(*STORY_FIELDS)),
                index._tag_pairs,
                index._title_order,
            )
        logger.info(
            "Search index built: %d books, %d filter tags in %.1f s",
            len(index.listed),
            len(index._col_tag),
            time.perf_counter() - started,
        )
        return index

    @classmethod
    def from_rows(
        cls,
        graph: TagGraph,
        rows: Iterable[tuple],
        pairs: np.ndarray,
        titles: np.ndarray,
    ) -> "FilterIndex":
        """An index of made-up books, without a database (benchmarks): `rows` as
        STORY_FIELDS of listed books, `pairs` (story id, tag id) of their tags (own, published
        parts', rating), `titles` the ids in title order."""
        rows = list(rows)
        index = cls()
        index.graph = graph
        index._fill(
            max((row[0] for row in rows), default=0),
            rows,
            lambda: pairs[index._listed_mask(pairs[:, 0], index._listed_array())],
            lambda: titles,
        )
        return index

    def _fill(self, max_id: int, rows: Iterable[tuple], pairs, titles) -> None:
        self._grow(max_id)
        self._load_books(rows)
        self._load_tags(pairs())
        self._install_numeric(self._numeric_orders())
        self._install_titles(titles())
        self._install_facet_candidates(self._facet_candidates())
        self.built_at = self.refreshed_at = time.monotonic()

    def _listed_stories(self):
        return Story.objects.filter(visibility__in=LISTED, parts_count__gt=0)

    def _load_books(self, rows: Iterable[tuple]) -> None:
        listed_ids = []
        members = []
        for batch in chunks(rows):
            self._set_rows(batch)
            listed_ids.append(np.fromiter((row[0] for row in batch), np.int64, len(batch)))
            members += [row[0] for row in batch if row[1] == Visibility.MEMBERS]
        ids = np.concatenate(listed_ids) if listed_ids else np.zeros(0, np.int64)
        ids.sort()
        self.listed = bitmap(ids)
        self.members_only = bitmap(np.array(sorted(members), dtype=np.int64))
        self.public = self.listed - self.members_only
        for code in STATUS_CODES.values():
            self._status_bits[code] = bitmap(ids[self._status[ids] == code])
        for code, language in enumerate(self._languages):
            self._language_bits[language] = bitmap(ids[self._language[ids] == code])
        ratings = self._rating[ids]
        for rating in np.unique(ratings):
            if rating >= 0:
                self._rating_bits[int(rating)] = bitmap(ids[ratings == rating])

    def _set_rows(self, batch: list[tuple]) -> None:
        """Copy story rows into the per-book arrays (vectorised per column)."""
        ids = np.fromiter((row[0] for row in batch), np.int64, len(batch))
        filter_of = self.graph.filter_of
        self._rating[ids] = [
            -1 if row[3] is None else filter_of.get(row[3], row[3]) for row in batch
        ]
        self._words[ids] = [row[4] for row in batch]
        self._status[ids] = [STATUS_CODES.get(row[5], 0) for row in batch]
        self._language[ids] = [self._language_index(row[6].lower()) for row in batch]
        self._updated[ids] = moments([row[7] for row in batch])
        self._published[ids] = moments([row[8] for row in batch])
        self._reads[ids] = [row[9] + row[10] for row in batch]
        self._votes[ids] = [row[11] + row[12] for row in batch]
        self._comments[ids] = [row[13] + row[14] for row in batch]
        self._title_hash[ids] = [hash(row[15]) for row in batch]

    def _tag_pairs(self, story_ids: list[int] | None = None) -> np.ndarray:
        """(story id, tag id) for the books' own tags, their published parts' tags and their
        ratings; for every listed book, or for these books."""
        story_tags = Story.tags.through.objects.order_by().values_list("story_id", "tag_id")
        part_tags = (
            Part.tags.through.objects.filter(part__state=PartState.PUBLISHED)
            .order_by()
            .values_list("part__story_id", "tag_id")
        )
        ratings = (
            Story.objects.filter(rating__isnull=False).order_by().values_list("id", "rating_id")
        )
        if story_ids is not None:
            story_tags = story_tags.filter(story_id__in=story_ids)
            part_tags = part_tags.filter(part__story_id__in=story_ids)
            ratings = ratings.filter(id__in=story_ids)
        else:
            ratings = ratings.filter(visibility__in=LISTED, parts_count__gt=0)
        found = []
        listed = self._listed_array() if story_ids is None else None
        for rows in (story_tags, part_tags, ratings):
            iterator = raw_rows(rows) if story_ids is None else rows
            for batch in chunks(iterator, 100_000):
                pairs = np.array(batch, dtype=np.int32).reshape(-1, 2)
                if story_ids is None:
                    pairs = pairs[self._listed_mask(pairs[:, 0], listed)]
                found.append(pairs)
        return np.concatenate(found) if found else np.zeros((0, 2), dtype=np.int32)

    def _listed_array(self) -> np.ndarray:
        """A boolean per story id: listed here."""
        listed = np.zeros(self._capacity, dtype=bool)
        listed[ids_of(self.listed)] = True
        return listed

    def _listed_mask(self, story_ids: np.ndarray, listed: np.ndarray) -> np.ndarray:
        inside = story_ids < len(listed)
        mask = np.zeros(len(story_ids), dtype=bool)
        mask[inside] = listed[story_ids[inside]]
        return mask

    def _filter_cols(self, tag_ids: np.ndarray) -> np.ndarray:
        """Each tag's filter tag, as a column number."""
        tag_ids = np.asarray(tag_ids, dtype=np.int64)
        if not len(tag_ids):
            return np.zeros(0, dtype=np.int64)
        present = np.flatnonzero(np.bincount(tag_ids))  # the tag ids, once each, in order
        filter_of = self.graph.filter_of
        lookup = np.full(int(present[-1]) + 1, -1, dtype=np.int64)
        lookup[present] = [self._col(filter_of.get(tag, tag)) for tag in present.tolist()]
        return lookup[tag_ids]

    def _load_tags(self, pairs: np.ndarray) -> None:
        stories, cols = pairs[:, 0].astype(np.int64), self._filter_cols(pairs[:, 1])
        del pairs
        width = max(1, len(self._col_tag))
        keys = stories * width + cols
        del stories, cols
        keys.sort()
        if len(keys):
            keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]  # once per book and tag
        stories, cols = keys // width, (keys % width).astype(np.int32)
        del keys
        counts = np.bincount(stories, minlength=self._capacity)[: self._capacity]
        self._end[:] = np.cumsum(counts)
        self._start[:] = self._end - counts
        self._cols = cols
        self._cols_used = self._cols_live = len(cols)
        by_col = np.argsort(cols, kind="stable")  # books stay in id order within a column
        bounds = np.searchsorted(cols[by_col], np.arange(len(self._col_tag) + 1))
        for col in range(len(self._col_tag)):
            self._tag_bits[col] = bitmap(stories[by_col[bounds[col] : bounds[col + 1]]])

    # Sorts

    def _numeric_orders(self, keys: dict[str, np.ndarray] | None = None) -> dict:
        """Each numeric sort's order of the listed books: key descending, then id descending
        (a stable sort of ids in ascending order, reversed)."""
        ids = ids_of(self.listed)
        orders = {}
        for sort in NUMERIC_SORTS:
            values = (keys or {}).get(sort, self._keys(sort))[ids]
            orders[sort] = ids[np.argsort(values, kind="stable")[::-1]]
        return orders

    def _install_numeric(self, orders: dict[str, np.ndarray]) -> None:
        for sort, order in orders.items():
            self._install_order(sort, order)
        self.dirty = BitMap()

    def _install_order(self, sort: str, order: np.ndarray) -> None:
        rank = self._rank[sort]
        rank[:] = UNRANKED
        rank[order] = np.arange(len(order), dtype=np.int32)
        self._order[sort] = order.astype(np.uint32)

    def _title_order(self) -> np.ndarray:
        """Listed books in the database's `ORDER BY lower(title), id`: its collation decides."""
        rows = self._listed_stories().order_by(Lower("title"), "id").values_list("id")
        parts = [
            np.array(batch, dtype=np.int64).reshape(-1) for batch in chunks(raw_rows(rows), 100_000)
        ]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def _install_titles(self, order: np.ndarray) -> None:
        order = order[self._listed_mask(order, self._listed_array())]
        self._install_order("title", order)
        # Listed here but not in that order (the database changed meanwhile): not ranked.
        self.title_dirty = self.listed - bitmap(np.sort(order))

    def rank_titles(self) -> None:
        """Ask the database for the title order again (renamed and new books get a rank)."""
        with self._write_lock:
            order = self._title_order()
            with self._lock:
                self._install_titles(order)

    def _top(self, matched: BitMap, sort: str, need: int) -> tuple[list[int], list | None]:
        """The first `need` books of the match set in this sort's order; or, for titles with
        renamed books among the matches, no page yet but the candidates for the database to
        order (the first `need` are among the best `need` ranked ones and the renamed ones)."""
        if need <= 0 or not matched:
            return [], None
        dirty = self.title_dirty if sort == "title" else self.dirty
        fresh = matched - dirty if dirty else matched
        top = self._top_ranked(fresh, sort, need)
        changed = matched & dirty if dirty else BitMap()
        if not changed:
            return top.tolist(), None
        candidates = np.concatenate([top, ids_of(changed)])
        if sort == "title":
            return [], candidates.tolist()
        keys = self._keys(sort)[candidates]
        return candidates[np.lexsort((candidates, keys))[::-1][:need]].tolist(), None

    def _top_ranked(self, fresh: BitMap, sort: str, need: int) -> np.ndarray:
        if not fresh:
            return np.zeros(0, dtype=np.int64)
        order = self._order[sort]
        walk = need * len(order) / len(fresh)
        if walk <= WALK_UP_TO:
            found: list[int] = []
            position, step = 0, max(256, int(walk * 1.5))
            while len(found) < need and position < len(order):
                for pk in order[position : position + step].tolist():
                    if pk in fresh:
                        found.append(pk)
                        if len(found) == need:
                            break
                position += step
                step *= 2
            return np.array(found, dtype=np.int64)
        ids = ids_of(fresh)
        ranks = self._rank[sort][ids]
        if len(ids) > need:
            first = np.argpartition(ranks, need - 1)[:need]
            ids, ranks = ids[first], ranks[first]
        return ids[np.argsort(ranks)]

    # Searching

    def run(
        self,
        f: Filter,
        graph: TagGraph,
        *,
        order: str,
        offset: int = 0,
        limit: int = 20,
        facets: bool = True,
    ) -> SearchResult:
        """The same answer as `oracle.run` for the same arguments, from memory."""
        if f.impossible:
            return SearchResult(ids=[], total=0, facets=top_facets({}) if facets else {})
        need = max(0, offset) + max(0, limit)
        for attempt in range(2):
            top, candidates = None, None
            with self._lock:
                matched, plain = self._matching(f)
                total = len(matched)
                if order == "best" and f.text is not None:
                    ids = ids_of(matched)
                    scores = np.array([f.text[pk] for pk in ids.tolist()], dtype=np.float64)
                    top = ids[np.lexsort((-ids, -scores))][:need].tolist()
                else:
                    top, candidates = self._top(
                        matched, order if order in SORTS else "updated", need
                    )
                found = self._facets(matched, plain, f.members, graph) if facets else {}
            if candidates is not None:
                if len(candidates) > TITLE_MERGE_UP_TO and attempt == 0:
                    self.rank_titles()  # many renamed books: rank titles again, then retry
                    continue
                top = self._order_titles(candidates, need)
            break
        return SearchResult(ids=top[offset : offset + limit], total=total, facets=found)

    def _order_titles(self, candidates: list[int], need: int) -> list[int]:
        """The database's title order of a few books (renamed ones among them)."""
        return list(
            Story.objects.filter(id__in=candidates)
            .order_by(Lower("title"), "id")
            .values_list("id", flat=True)[:need]
        )

    def languages(self, *, members: bool) -> list[str]:
        """The language codes (lower case) of the books this reader may find."""
        base = self.listed if members else self.public
        with self._lock:
            return [code for code, bits in self._language_bits.items() if bits.intersect(base)]

    def _matching(self, f: Filter) -> tuple[BitMap, bool]:
        """The books matching the filter, and whether the filter was the empty one."""
        base = self.listed if f.members else self.public
        plain = not (
            f.include
            or f.exclude
            or f.ratings is not None
            or f.complete is not None
            or f.words_min is not None
            or f.words_max is not None
            or f.language
            or f.updated_since is not None
            or f.text is not None
            or f.leave_out
        )
        if plain:
            return base, True
        empty = BitMap()
        # Each include is an OR of its filter tags; the smallest first keeps the AND cheap.
        unions = []
        for filter_ids in f.include:
            bits = [self._tag_bits[self._col_of[t]] for t in filter_ids if t in self._col_of]
            unions.append(BitMap.union(*bits) if len(bits) > 1 else (bits[0] if bits else empty))
        matched = base
        for bits in sorted(unions, key=len):
            matched = matched & bits
            if not matched:
                break
        if matched is base:
            matched = base.copy()
        if f.exclude and matched:
            for tag in f.exclude:
                col = self._col_of.get(tag)
                if col is not None:
                    matched -= self._tag_bits[col]
        if f.ratings is not None and matched:
            bits = [self._rating_bits[r] for r in f.ratings if r in self._rating_bits]
            matched &= BitMap.union(*bits) if bits else empty
        if f.complete is not None and matched:
            code = STATUS_CODES[Status.COMPLETE if f.complete else Status.ONGOING]
            matched &= self._status_bits.get(code, empty)
        if f.language and matched:
            matched &= self._language_bits.get(f.language.lower(), empty)
        if f.text is not None and matched:
            matched &= BitMap(sorted(f.text))
        if f.leave_out and matched:
            matched -= BitMap(sorted(f.leave_out))
        ranged = f.words_min is not None or f.words_max is not None
        if (ranged or f.updated_since is not None) and matched:
            ids = ids_of(matched)
            keep = np.ones(len(ids), dtype=bool)
            if f.words_min is not None:
                keep &= self._words[ids] >= f.words_min
            if f.words_max is not None:
                keep &= self._words[ids] <= f.words_max
            if f.updated_since is not None:
                keep &= self._updated[ids] >= micros(f.updated_since)
            matched = bitmap(ids[keep])
        return matched, False

    # Facets

    def _types(self, graph: TagGraph) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per facet type: its columns and their tag ids (as of this graph and columns)."""
        key = (id(graph), len(self._col_tag))
        if self._type_cache is None or self._type_cache[0] != key:
            by_type: dict[str, list[int]] = {tag_type: [] for tag_type in FACET_TYPES}
            for col, tag in enumerate(self._col_tag):
                cols = by_type.get(graph.type_of.get(tag))
                if cols is not None:
                    cols.append(col)
            tags = np.array(self._col_tag, dtype=np.int64)
            types = {}
            for tag_type, cols in by_type.items():
                cols = np.array(cols, dtype=np.int64)
                types[tag_type] = (cols, tags[cols] if len(cols) else cols)
            self._type_cache = (key, types)
        return self._type_cache[1]

    def _facets(
        self, matched: BitMap, plain: bool, members: bool, graph: TagGraph
    ) -> dict[str, list[tuple[int, int]]]:
        if not matched:
            return top_facets({})
        if plain and graph is self.graph:
            cached = self._plain_facets.get(members)
            if cached is not None and cached[0] == self.version:
                return cached[1]
        found = None
        if len(matched) > CSR_FACETS_UP_TO and graph is self.graph:
            found = self._facets_by_intersecting(
                matched, int(len(matched) * INTERSECTIONS_PER_BOOK)
            )
        if found is None:
            found = self._facets_by_counting(matched, graph)
        if plain and graph is self.graph:
            self._plain_facets[members] = (self.version, found)
        return found

    def _facets_by_counting(self, matched: BitMap, graph: TagGraph) -> dict:
        ids = np.frombuffer(matched.to_array(), dtype=np.uint32)
        starts = self._start[ids]
        lengths = self._end[ids] - starts
        ends = np.cumsum(lengths, dtype=np.int32)
        total = int(ends[-1]) if len(ends) else 0
        counts = np.zeros(len(self._col_tag), dtype=np.int64)
        if total:
            # Each book's run of columns, laid end to end: its start, then one by one.
            positions = np.repeat(starts - (ends - lengths), lengths)
            positions += np.arange(total, dtype=np.int32)
            counts = np.bincount(self._cols[positions], minlength=len(self._col_tag))
        found = {}
        for tag_type, (cols, tags) in self._types(graph).items():
            type_counts = counts[cols] if len(cols) else cols
            present = type_counts > 0
            type_counts, type_tags = type_counts[present], tags[present]
            if len(type_counts) > filters.FACET_SIZE:
                # Every tag as good as the tenth, then the exact order among those.
                floor = np.partition(type_counts, len(type_counts) - filters.FACET_SIZE)[
                    -filters.FACET_SIZE
                ]
                keep = type_counts >= floor
                type_counts, type_tags = type_counts[keep], type_tags[keep]
            best = np.lexsort((type_tags, -type_counts))[: filters.FACET_SIZE]
            found[tag_type] = [
                (int(tag), int(count))
                for tag, count in zip(type_tags[best], type_counts[best], strict=True)
            ]
        return found

    def _facets_by_intersecting(self, matched: BitMap, budget: int) -> dict | None:
        """Exact top tags per type from intersection counts, biggest tags first: stop once
        the tenth best count beats what the next tag could reach (its size, then its id).
        None when that takes more than `budget` intersections."""
        found = {}
        spent = 0
        for tag_type in FACET_TYPES:
            best: list[tuple[int, int]] = []  # (-count, tag id), best first

            def consider(col: int, best=best) -> None:
                count = matched.intersection_cardinality(self._tag_bits[col])
                if count:
                    bisect.insort(best, (-count, self._col_tag[col]))
                    del best[filters.FACET_SIZE :]

            changed = [c for c in self._changed_cols if self._col_type(c) == tag_type]
            for col in changed:
                consider(col)
            skip = set(changed)
            for col in self._facet_order.get(tag_type, []):
                if col in skip:
                    continue
                size = self._facet_size[col]
                if len(best) == filters.FACET_SIZE:
                    count, tag = -best[-1][0], best[-1][1]
                    if count > size or (count == size and tag < self._col_tag[col]):
                        break
                if size == 0:
                    break
                spent += 1
                if spent > budget:
                    return None
                consider(col)
            found[tag_type] = [(tag, -count) for count, tag in best]
        return found

    def _col_type(self, col: int) -> str | None:
        return self.graph.type_of.get(self._col_tag[col])

    def _facet_candidates(self) -> tuple[dict[str, list[int]], dict[int, int]]:
        """Per tag type, the columns biggest first (then lower tag id), and their sizes."""
        sizes = {col: len(bits) for col, bits in enumerate(self._tag_bits)}
        by_type: dict[str, list[int]] = {}
        for col, size in sizes.items():
            if size:
                by_type.setdefault(self._col_type(col), []).append(col)
        for cols in by_type.values():
            cols.sort(key=lambda col: (-sizes[col], self._col_tag[col]))
        return by_type, sizes

    def _install_facet_candidates(self, candidates: tuple) -> None:
        self._facet_order, self._facet_size = candidates
        self._changed_cols = set()

    # Following the change log

    def apply_changes(self) -> int:
        """Apply the change log's rows after the last one seen; returns how many."""
        with self._write_lock:
            rows = self.changes.read(limit=10_000)
            if not rows:
                self.watermark = self.changes.watermark
                return 0
            books: set[int] = set()
            tags_changed = False
            for _pk, kind, object_id, story_id in rows:
                if kind == Change.Kind.TAG:
                    tags_changed = True
                elif kind == Change.Kind.ACCOUNT:
                    continue  # a person's own pages: nothing the index holds
                else:  # a book, a part, or votes and comments (their counts sort searches)
                    books.add(story_id if story_id is not None else object_id)
            if tags_changed:
                books |= self._reload_graph()
            self._reload_books(books)
            if len(self._changed_cols) > 256:  # keep facet counting of big match sets short
                candidates = self._facet_candidates()
                with self._lock:
                    self._install_facet_candidates(candidates)
            self.watermark = self.changes.watermark
            return len(rows)

    def _reload_graph(self) -> set[int]:
        """Load the tags again; returns the books whose filter tags may have changed."""
        old, new = self.graph, TagGraph.load()
        moved = [
            tag
            for tag in old.filter_of.keys() | new.filter_of.keys()
            if old.filter_of.get(tag) != new.filter_of.get(tag)
        ]
        books: set[int] = set()
        for batch in in_chunks(moved):
            books.update(
                Story.tags.through.objects.filter(tag_id__in=batch).values_list(
                    "story_id", flat=True
                )
            )
            books.update(
                Part.tags.through.objects.filter(tag_id__in=batch).values_list(
                    "part__story_id", flat=True
                )
            )
            books.update(Story.objects.filter(rating_id__in=batch).values_list("id", flat=True))
        # Tags gone from the database: the books the index still files under them.
        for tag in old.filter_of.keys() - new.filter_of.keys():
            col = self._col_of.get(tag)
            if col is not None:
                books.update(self._tag_bits[col])
        with self._lock:
            self.graph = new
            self._type_cache = None
            self.version += 1
            self._install_facet_candidates(self._facet_candidates())
        return books

    def _reload_books(self, story_ids: set[int]) -> None:
        """Read these books again and file them afresh (or drop them, gone or unlisted)."""
        for batch in in_chunks(story_ids):
            rows = {
                row[0]: row
                for row in self._listed_stories()
                .filter(id__in=batch)
                .order_by()
                .values_list(*STORY_FIELDS)
            }
            pairs = self._tag_pairs(list(rows))
            with self._lock:
                if rows:
                    self._grow(max(rows))
                cols = self._filter_cols(pairs[:, 1])
                tags_of: dict[int, set[int]] = {}
                for story, col in zip(pairs[:, 0].tolist(), cols.tolist(), strict=True):
                    tags_of.setdefault(story, set()).add(col)
                for pk in batch:
                    self._file(pk, rows.get(pk), sorted(tags_of.get(pk, ())))
                self.version += 1
                self._compact_if_wasteful()

    def _file(self, pk: int, row: tuple | None, cols: list[int]) -> None:
        """Take one book out of every bitmap, then (if listed) put it back as it is now."""
        was_listed = pk in self.listed
        old_keys = None
        if was_listed:
            old_keys = [self._keys(sort)[pk] for sort in NUMERIC_SORTS]
            old_title = self._title_hash[pk]
            for col in self._cols[self._start[pk] : self._end[pk]].tolist():
                self._tag_bits[col].discard(pk)
                self._changed_cols.add(col)
            self._cols_live -= int(self._end[pk] - self._start[pk])
            self._start[pk] = self._end[pk] = 0
            for bits in (self.listed, self.members_only, self.public):
                bits.discard(pk)
            self._rating_bits.get(int(self._rating[pk]), BitMap()).discard(pk)
            self._status_bits.get(int(self._status[pk]), BitMap()).discard(pk)
            language = int(self._language[pk])
            if language >= 0:
                self._language_bits[self._languages[language]].discard(pk)
        if row is None:
            return
        self._set_rows([row])
        self.listed.add(pk)
        (self.members_only if row[1] == Visibility.MEMBERS else self.public).add(pk)
        rating = int(self._rating[pk])
        if rating >= 0:
            self._rating_bits.setdefault(rating, BitMap()).add(pk)
        self._status_bits.setdefault(int(self._status[pk]), BitMap()).add(pk)
        self._language_bits.setdefault(self._languages[self._language[pk]], BitMap()).add(pk)
        self._append_cols(pk, cols)
        for col in cols:
            self._tag_bits[col].add(pk)
            self._changed_cols.add(col)
        # Sorts: a book keeps its rank while its keys stay as they were ranked.
        keys = [self._keys(sort)[pk] for sort in NUMERIC_SORTS]
        if old_keys != keys or self._rank["updated"][pk] == UNRANKED:
            self.dirty.add(pk)
        if (
            not was_listed
            or old_title != self._title_hash[pk]
            or self._rank["title"][pk] == UNRANKED
        ):
            self.title_dirty.add(pk)

    def _append_cols(self, pk: int, cols: list[int]) -> None:
        if self._cols_used + len(cols) > len(self._cols):
            grown = np.zeros(max(1024, len(self._cols) * 2, self._cols_used + len(cols)), np.int32)
            grown[: self._cols_used] = self._cols[: self._cols_used]
            self._cols = grown
        self._start[pk] = self._cols_used
        self._cols[self._cols_used : self._cols_used + len(cols)] = cols
        self._cols_used += len(cols)
        self._end[pk] = self._cols_used
        self._cols_live += len(cols)

    def _compact_if_wasteful(self) -> None:
        """Re-filed books leave their old columns behind: copy the live ones once half is waste."""
        if self._cols_used < 1_000_000 or self._cols_live * 2 > self._cols_used:
            return
        ids = ids_of(self.listed)
        lengths = self._end[ids] - self._start[ids]
        total = int(lengths.sum())
        ends = np.cumsum(lengths)
        positions = np.repeat(self._start[ids] - (ends - lengths), lengths) + np.arange(total)
        self._cols = self._cols[positions].copy()
        self._start[ids], self._end[ids] = ends - lengths, ends
        self._cols_used = self._cols_live = total

    def refresh(self) -> None:
        """Re-read reads, votes and comments (counted without change rows) and rank every
        sort again; the follower thread does this every REFRESH_SECONDS."""
        with self._write_lock:
            rows = (
                self._listed_stories()
                .order_by()
                .values_list(
                    "id",
                    "reads_count",
                    "imported_reads",
                    "votes_count",
                    "imported_votes",
                    "comments_count",
                    "imported_comments",
                )  # fmt: skip
            )
            keys = {sort: self._keys(sort).copy() for sort in ("reads", "votes", "comments")}
            listed = self._listed_array()
            for batch in chunks(raw_rows(rows), 100_000):
                counts = np.array(batch, dtype=np.int64)
                counts = counts[self._listed_mask(counts[:, 0], listed)]
                ids = counts[:, 0]
                keys["reads"][ids] = counts[:, 1] + counts[:, 2]
                keys["votes"][ids] = counts[:, 3] + counts[:, 4]
                keys["comments"][ids] = counts[:, 5] + counts[:, 6]
            titles = self._title_order() if self.title_dirty else None
            # Only this writer changes the arrays: rank outside the readers' lock.
            orders = self._numeric_orders(keys)
            candidates = self._facet_candidates()
            with self._lock:
                self._reads, self._votes, self._comments = (
                    keys["reads"],
                    keys["votes"],
                    keys["comments"],
                )
                self._install_numeric(orders)
                if titles is not None:
                    self._install_titles(titles)
                self._install_facet_candidates(candidates)
                self.refreshed_at = time.monotonic()

    def contents(self) -> dict:
        """What the index knows, in plain Python, to compare two indexes (tests)."""
        with self._lock:
            books = ids_of(self.listed).tolist()

            def by_tag(bits: dict) -> dict:
                return {key: sorted(value) for key, value in bits.items() if value}

            return {
                "listed": books,
                "members_only": sorted(self.members_only),
                "tags": by_tag(dict(zip(self._col_tag, self._tag_bits, strict=True))),
                "book_tags": {
                    pk: sorted(
                        self._col_tag[col]
                        for col in self._cols[self._start[pk] : self._end[pk]].tolist()
                    )
                    for pk in books
                },
                "ratings": by_tag(self._rating_bits),
                "statuses": by_tag(self._status_bits),
                "languages": by_tag(self._language_bits),
                "keys": {sort: self._keys(sort)[books].tolist() for sort in NUMERIC_SORTS},
            }

    def stats(self) -> dict[str, int]:
        return {
            "books": len(self.listed),
            "members_only": len(self.members_only),
            "filter_tags": len(self._col_tag),
            "last_change": self.changes.last,
        }


# The process's index

_current: FilterIndex | None = None
_thread: threading.Thread | None = None
_start_lock = threading.Lock()


def current() -> FilterIndex | None:
    """This process's index once it is built; None before (searches use the oracle). The
    first call starts building it when SEARCH_INDEX is on and nothing started it yet."""
    if _current is None and _thread is None and getattr(settings, "SEARCH_INDEX", False):
        start()
    return _current


def install(index: FilterIndex | None) -> None:
    """Make this the process's index (tests; None goes back to the oracle)."""
    global _current
    _current = index


def start() -> None:
    """Build the index in a daemon thread, then follow the change log every POLL_SECONDS.
    Does nothing when SEARCH_INDEX is off or the thread already runs."""
    global _thread
    if not getattr(settings, "SEARCH_INDEX", False):
        return
    with _start_lock:
        if _thread is not None and _thread.is_alive():
            return
        _thread = threading.Thread(target=_follow, name="search-index", daemon=True)
        _thread.start()


def _follow() -> None:
    """Never ends and never raises: a failure is logged and tried again a little later."""
    global _current
    while True:
        pause = POLL_SECONDS
        try:
            if _current is None:
                _current = FilterIndex.build()
            else:
                while _current.apply_changes() >= 10_000:
                    pass  # a long backlog: catch up before pausing
                if time.monotonic() - _current.refreshed_at >= REFRESH_SECONDS:
                    _current.refresh()
        except Exception:
            logger.exception("The search index could not follow the database; trying again")
            pause = RETRY_SECONDS
            connection.close()  # a broken connection is opened afresh next time
        time.sleep(pause)
