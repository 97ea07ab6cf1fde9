"""Reading a part page copied from Wattpad (`wattpad-text`): the sample, pages built from its
sections in every shape a copy can take, and files the importer must refuse. No database."""

import html
import re
from dataclasses import dataclass, replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storyhouse.stories.importers import CannotImport, decode, read_book, wattpad_text
from tests.conftest import SAMPLE

TITLE = "Love Doesn't Always Mean A Happy Ending"
BOOK = "One For All and Izuku Midoriya One-Shots"
FOOTER = "Where stories live. Discover now"
WARNINGS = [
    "Mentioned emotional manipulation and toxic relationship",
    "canonical character death",
    "no happy ending",
]

fuzz = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def paragraphs(fragment: str) -> list[str]:
    """The text of each paragraph of imported HTML, as a reader sees it."""
    return [
        html.unescape(inner.replace("<br>", "\n"))
        for inner in re.findall(r"<p(?: [^>]*)?>(.*?)</p>", fragment, re.DOTALL)
    ]


# The sample, cut into its sections.

SAMPLE_LINES = SAMPLE.read_text(encoding="utf-8").split("\n")
SAMPLE_DESCRIPTION = [SAMPLE_LINES[4]]
SAMPLE_NOTE = [SAMPLE_LINES[7], SAMPLE_LINES[9]]
SAMPLE_BODY = [line for line in SAMPLE_LINES[17:-1] if line.strip()]


def test_the_sample_is_cut_where_this_file_expects():
    assert SAMPLE_LINES[0] == TITLE
    assert SAMPLE_LINES[2] == "583 4 2"
    assert SAMPLE_LINES[12] == "Trope - Hero/Villain"
    assert SAMPLE_LINES[14].startswith("Warnings -\xa0")
    assert SAMPLE_LINES[-1] == BOOK + FOOTER
    assert len(SAMPLE_BODY) == 25


# The sample as it is.


def test_the_sample_becomes_one_part_of_its_book(sample_text):
    book = wattpad_text.parse(sample_text)
    assert book.title == BOOK
    (part,) = book.parts
    assert part.title == TITLE
    assert (part.imported_reads, part.imported_votes, part.imported_comments) == (583, 4, 2)
    assert paragraphs(part.description_html) == SAMPLE_DESCRIPTION
    assert paragraphs(part.notes_before_html) == SAMPLE_NOTE
    assert part.tropes == ["Hero/Villain"]
    assert part.warnings == WARNINGS
    assert paragraphs(part.body_html) == SAMPLE_BODY


def test_the_site_footer_is_not_story_text(sample_text):
    (part,) = wattpad_text.parse(sample_text).parts
    for field in (part.title, part.description_html, part.notes_before_html, part.body_html):
        assert "Where stories live" not in field
        assert "Discover now" not in field
        assert BOOK not in field


def test_the_sample_is_recognised_without_being_told_its_format(sample_path, sample_text):
    assert wattpad_text.recognises(sample_text)
    assert read_book(sample_path).parts[0].title == TITLE
    assert read_book(sample_path, format="wattpad-text").title == BOOK


# Pages built from the sample's sections, or from generated ones, in every shape a copy takes.


@dataclass(frozen=True)
class Page:
    """The sections of a part page; None or [] where the page leaves a section out."""

    title: str = TITLE
    counts: str | None = "583 4 2"
    expected_counts: tuple[int, int, int] = (583, 4, 2)
    description: tuple[str, ...] = tuple(SAMPLE_DESCRIPTION)
    note: tuple[str, ...] = tuple(SAMPLE_NOTE)
    trope_line: str | None = "Trope - Hero/Villain"
    warnings_line: str | None = "Warnings -\xa0 " + ", ".join(WARNINGS)
    body: tuple[str, ...] = tuple(SAMPLE_BODY)
    book: str | None = BOOK
    long_gap: int = 2

    def lines(self) -> list[str]:
        def stretch(items) -> list[str]:
            out: list[str] = []
            for item in items:
                out += ["", item] if out else [item]
            return out

        long_gap = [""] * self.long_gap
        lines = [self.title]
        if self.counts:
            lines += ["", self.counts]
        if self.description:
            lines += ["", *stretch(self.description)]
        if self.note:
            lines += [*long_gap, *stretch(self.note)]
        labels = [line for line in (self.trope_line, self.warnings_line) if line]
        if labels:
            lines += [*long_gap, *stretch(labels)]
        lines += [*long_gap, *stretch(self.body)]
        if self.book is not None:
            lines += ["", self.book + FOOTER]
        return lines

    def expected_front(self) -> tuple[list[str], list[str]]:
        """Description and author's note as the docstring says they are told apart."""
        if self.description:
            return list(self.description), list(self.note)
        return list(self.note), []


LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéøßçÆ日本語物語Ωλжыمیخواهم"
word = st.text(alphabet=LETTERS, min_size=1, max_size=9).map(
    # Joiners that scripts and emoji need, inside words where they belong.
    lambda w: w[:1] + "\u200c" + w[1:] if len(w) > 2 and w[0] in "مخ" else w
)
punctuation = st.sampled_from(["", ",", ".", "!", "?", "...", ":", ";", " -", " <b>", " & co", '"'])
sentence = st.lists(st.tuples(word, punctuation), min_size=2, max_size=14).map(
    lambda words: " ".join(w + p for w, p in words)
)
LABEL_START = re.compile(r"(?i)\s*(tropes?|(content\s+|trigger\s+)?warnings?)\b")


def ordinary(text: str) -> bool:
    """Text that is a paragraph and nothing else: not a label line, counts or the footer."""
    return (
        not LABEL_START.match(text)
        and "where stories live" not in text.lower()
        and not re.fullmatch(r"[\d\s.,kKmM]+", text)
    )


paragraph = sentence.filter(ordinary)
sample_body = st.sets(st.integers(0, len(SAMPLE_BODY) - 1), min_size=1).map(
    lambda picked: tuple(SAMPLE_BODY[i] for i in sorted(picked))
)
generated_body = st.lists(paragraph, min_size=1, max_size=8).map(tuple)


@st.composite
def counts(draw) -> tuple[str, tuple[int, int, int]]:
    """A counts line as the site writes it (`583 4 2`, `1.2K 45 3`, `4.1M 2,345 0`)."""
    shown, values = [], []
    for _ in range(3):
        kind = draw(st.sampled_from(["plain", "comma", "K", "M"]))
        if kind in {"plain", "comma"}:
            value = draw(st.integers(0, 999_999))
            shown.append(f"{value:,}" if kind == "comma" else str(value))
        else:
            whole, tenth = draw(st.integers(1, 999)), draw(st.integers(0, 9))
            shown.append(f"{whole}.{tenth}{kind}" if tenth else f"{whole}{kind}")
            scale = 1_000 if kind == "K" else 1_000_000
            value = whole * scale + tenth * scale // 10
        values.append(value)
    return " ".join(shown), tuple(values)


TROPE_SPELLINGS = ["Trope - {}", "Tropes - {}", "Tropes: {}", "TROPE – {}", "trope—{}"]
WARNING_SPELLINGS = [
    "Warnings -\xa0 {}",
    "WARNINGS – {}",
    "Warnings: {}",
    "warnings - {}",
    "Warning -{}",
    "Content Warnings — {}",
]
UNKNOWN_LINES = ["Dedicated to @midnightreader", "Published 3 March 2023", "Chapter 7", "~~~"]


@st.composite
def pages(draw) -> Page:
    page = Page(
        title=draw(st.sampled_from([TITLE, "Chapter 1: Storm", "日本語の題名"])),
        body=draw(st.one_of(sample_body, generated_body)),
        long_gap=draw(st.integers(2, 4)),
    )
    if draw(st.booleans()):
        line, values = draw(counts())
        page = replace(page, counts=line, expected_counts=values)
    if draw(st.booleans()):
        page = replace(page, counts=None, expected_counts=(0, 0, 0))
    for section, generated in (("description", paragraph), ("note", paragraph)):
        choice = draw(st.sampled_from(["sample", "generated", "missing", "unknown line"]))
        if choice == "generated":
            page = replace(
                page, **{section: tuple(draw(st.lists(generated, min_size=1, max_size=3)))}
            )
        elif choice == "missing":
            page = replace(page, **{section: ()})
        elif choice == "unknown line":
            extra = draw(st.sampled_from(UNKNOWN_LINES))
            page = replace(page, **{section: (extra, *getattr(page, section))})
    if draw(st.booleans()):
        page = replace(
            page, trope_line=draw(st.sampled_from(TROPE_SPELLINGS)).format("Hero/Villain")
        )
    if draw(st.integers(0, 3)) == 0:
        page = replace(page, trope_line=None)
    if draw(st.booleans()):
        spelling = draw(st.sampled_from(WARNING_SPELLINGS))
        page = replace(page, warnings_line=spelling.format(", ".join(WARNINGS)))
    if draw(st.integers(0, 3)) == 0:
        page = replace(page, warnings_line=None)
    if draw(st.integers(0, 3)) == 0:
        page = replace(page, book=None)
    return page


@st.composite
def copies(draw) -> tuple[Page, str]:
    """A page and the text a browser or an editor might have saved of it."""
    page = draw(pages())
    lines = page.lines()
    if draw(st.booleans()):
        ends = st.sampled_from(["", " ", "\t", "\xa0", " \xa0 ", "\u200b"])
        lines = [line + draw(ends) for line in lines]
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = newline.join(lines) + draw(st.sampled_from(["", newline, newline * 3]))
    if draw(st.booleans()):
        text = "\ufeff" + text
    return page, text


@fuzz
@given(copies())
def test_every_copy_of_a_page_keeps_each_section_where_it_belongs(copy):
    page, text = copy
    book = wattpad_text.parse(text)
    (part,) = book.parts
    assert part.title == page.title
    assert book.title == (page.book if page.book is not None else page.title)
    assert (part.imported_reads, part.imported_votes, part.imported_comments) == (
        page.expected_counts
    )
    description, note = page.expected_front()
    assert paragraphs(part.description_html) == description
    assert paragraphs(part.notes_before_html) == note
    assert part.tropes == (["Hero/Villain"] if page.trope_line else [])
    assert part.warnings == (WARNINGS if page.warnings_line else [])
    # Nothing lost: every body paragraph of the page is in the body, in order, and nothing else.
    assert paragraphs(part.body_html) == list(page.body)
    assert "Where stories live" not in part.body_html


@fuzz
@given(pages())
def test_a_page_without_the_long_gap_keeps_all_of_the_front_as_its_description(page):
    text = "\n".join(replace(page, long_gap=1).lines())
    # The labels still end the front matter; the long gap before the body is not needed then.
    (part,) = wattpad_text.parse(text).parts
    if page.trope_line or page.warnings_line:
        assert paragraphs(part.description_html) == [*page.description, *page.note]
        assert part.notes_before_html == ""
        assert paragraphs(part.body_html) == list(page.body)
    else:
        # One stretch of text is all story.
        assert paragraphs(part.body_html) == [*page.description, *page.note, *page.body]


def test_words_that_need_invisible_joiners_keep_them():
    persian = "می\u200cخواهم بروم"  # the zero-width non-joiner is part of the spelling
    family = "My family: \U0001f468\u200d\U0001f469\u200d\U0001f467"
    text = "\n".join(Page(body=(persian, family)).lines())
    (part,) = wattpad_text.parse(text).parts
    assert paragraphs(part.body_html) == [persian, family]


def test_an_unknown_line_between_the_trope_and_the_warnings_is_front_matter():
    page = Page()
    lines = page.lines()
    lines.insert(lines.index(page.warnings_line), "Pairing: Second/All For One")
    lines.insert(lines.index(page.warnings_line), "")
    (part,) = wattpad_text.parse("\n".join(lines)).parts
    assert part.tropes == ["Hero/Villain"]
    assert part.warnings == WARNINGS
    assert "Pairing: Second/All For One" in paragraphs(part.notes_before_html)
    assert paragraphs(part.body_html) == SAMPLE_BODY


def test_a_warning_read_out_in_the_story_stays_in_the_story():
    body = ("He ran.", "She followed.", "It was dark.", "Warning - the bridge is out.", "Stop.")
    (part,) = wattpad_text.parse("\n".join(Page(body=body, long_gap=1).lines())).parts
    assert paragraphs(part.body_html) == list(body)
    assert part.warnings == WARNINGS


def test_counts_with_a_decimal_and_a_suffix_are_exact():
    for shown, value in [("4.1M", 4_100_000), ("2.3K", 2_300), ("8.2M", 8_200_000)]:
        text = "\n".join(Page(counts=f"{shown} 4 2").lines())
        assert wattpad_text.parse(text).parts[0].imported_reads == value


# Whatever the text, parse answers with a book or with CannotImport.


def parse_or_refuse(text: str) -> None:
    try:
        book = wattpad_text.parse(text)
    except CannotImport as error:
        assert str(error) and "\n" not in str(error)
    else:
        (part,) = book.parts
        assert part.title
        if text.count("Discover now") == 1 and text.rstrip().endswith(FOOTER):
            assert "Discover now" not in part.body_html


count_like_number = st.from_regex(r"[0-9]{1,3}(?:[.,][0-9]{0,3}){0,2}[kKmM]?", fullmatch=True)
count_like = st.lists(count_like_number, min_size=3, max_size=3).map(" ".join)
label_like = st.sampled_from(["Trope -", "Warnings:", "WARNINGS – ,,", "Tropes - ; ;"])
junk_line = st.one_of(st.text(max_size=40), count_like, label_like, st.just(FOOTER))


@fuzz
@given(st.text())
def test_any_text_is_a_book_or_a_clear_refusal(text):
    parse_or_refuse(text)


@fuzz
@given(st.data())
def test_the_sample_with_lines_lost_or_added_is_a_book_or_a_clear_refusal(data):
    lines = list(SAMPLE_LINES)
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(lines)))
        if data.draw(st.booleans()) and at < len(lines):
            del lines[at]
        else:
            lines.insert(at, data.draw(junk_line))
    parse_or_refuse("\n".join(lines))


@settings(max_examples=300, deadline=None)
@given(count_like)
def test_anything_shaped_like_counts_is_counts_or_description(line):
    parse_or_refuse("\n".join(replace(Page(), counts=line).lines()))


byte_order_marks = st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])


@fuzz
@given(byte_order_marks, st.binary(max_size=300))
def test_any_bytes_decode_to_text_or_a_clear_refusal(mark, data):
    try:
        text = decode(mark + data)
    except CannotImport as error:
        assert str(error) and "\n" not in str(error)
    else:
        parse_or_refuse(text)


# Files the importer cannot read.


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty"),
        (b"   \n\n \r\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", "not a text file"),
        ("Café au lait\n\n583 4 2\n\nIt was late.\n".encode("latin-1"), "not UTF-8"),
        (b"\xff\xfeL\x00o\x00v\x00e\x00\n", "UTF-16"),
    ],
    ids=["empty", "blank", "binary", "latin-1", "broken-utf-16"],
)
def test_a_file_that_is_not_text_is_refused_with_one_line(tmp_path, content, reason):
    path = tmp_path / "part.txt"
    path.write_bytes(content)
    for format in (None, "wattpad-text"):
        with pytest.raises(CannotImport) as refused:
            read_book(path, format=format)
        message = str(refused.value)
        assert reason in message
        assert "\n" not in message


def test_a_page_with_only_a_title_is_refused(tmp_path):
    path = tmp_path / "part.txt"
    path.write_text(f"{TITLE}\n")
    with pytest.raises(CannotImport, match="^not a format Storyhouse recognises"):
        read_book(path)
    with pytest.raises(CannotImport, match="^found no story text"):
        read_book(path, format="wattpad-text")
    path.write_text(f"{TITLE}\n\n{BOOK}{FOOTER}")
    with pytest.raises(CannotImport, match="^found no story text"):
        read_book(path)


def test_a_folder_or_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CannotImport, match="^this is a folder, not a file$"):
        read_book(tmp_path)
    with pytest.raises(CannotImport, match="^No such file or directory$"):
        read_book(tmp_path / "missing.txt")


def test_an_unknown_format_is_refused_naming_the_known_ones(sample_path):
    with pytest.raises(CannotImport, match=r"unknown format 'docx' \(known formats: .*wattpad"):
        read_book(sample_path, format="docx")


OTHER_TEXTS = {
    "readme": "# Storyhouse\n\nWhere stories live.\n\n    make demo\n    make test\n",
    "csv": "title,reads,votes\nLove,583,4\nHate,12,0\n",
    "json": '{"title": "Love", "counts": [583, 4, 2]}\n',
    "prose": "It was a dark and stormy night.\n\nThe rain fell in torrents.\n",
    "html": "<!doctype html><html><body><h2>Chapter 1</h2><p>Hello</p></body></html>",
}


@pytest.mark.parametrize("name", sorted(OTHER_TEXTS))
def test_other_text_is_not_taken_for_a_wattpad_page(tmp_path, name):
    path = tmp_path / f"{name}.txt"
    path.write_text(OTHER_TEXTS[name])
    assert not wattpad_text.recognises(OTHER_TEXTS[name])
    with pytest.raises(CannotImport, match="^not a format Storyhouse recognises"):
        read_book(path)


@fuzz
@given(st.lists(paragraph, min_size=1, max_size=6))
def test_prose_is_not_taken_for_a_wattpad_page(prose):
    assert not wattpad_text.recognises("\n\n".join(prose))
