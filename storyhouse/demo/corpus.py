"""The demo corpus: plausible fan fiction made from a seed, as plain data, as prose, and as rows.

Three layers, so that each user pays only for what it needs:

- `generate_stories(count, seed)` yields `StoryMeta`: titles, tags, parts, counts and dates as
  plain data, with no database and no bodies. It is cheap enough for a search benchmark's
  million stories, and prefix-stable: the first N stories of a seed are the same whatever the count.
- `part_body(story, part)` writes a part's prose on demand from the part's own seed, with exactly
  `part.words` words as `storyhouse.stories.text.count_words` counts them.
- `load_corpus(stories, seed)` writes the stories to the database in batches, producing the same
  rows `services.story_save` and `services.part_save` would, only much faster.

The tag vocabulary (invented fandoms, their characters and pairings, tropes, warnings) is fixed,
so corpora made from different seeds share their tags; only the stories differ.
"""

from __future__ import annotations

import html
import itertools
import math
import random
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from math import gcd
from statistics import NormalDist
from typing import TYPE_CHECKING

from storyhouse.stories.archive_tags import ARCHIVE_WARNINGS, CATEGORIES, NOT_RATED, RATINGS
from storyhouse.stories.text import count_words

if TYPE_CHECKING:
    from rich.console import Console

    from storyhouse.accounts.models import User
    from storyhouse.stories.models import Tag

DEFAULT_SEED = 1729
DEFAULT_STORIES = 500

# ---------------------------------------------------------------------------------------------
# The fixed vocabulary: fandoms with their settings and casts. Names are invented.

SHE, HE, THEY = "she", "he", "they"
PRONOUNS = {
    SHE: {"sub": "she", "obj": "her", "pos": "her"},
    HE: {"sub": "he", "obj": "him", "pos": "his"},
    THEY: {"sub": "they", "obj": "them", "pos": "their"},
}

# (fandom, setting, [(character, pronoun)]): the first characters are the leads, so they
# appear most often.
FANDOMS: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("Starfall Academy", "academy", [
        ("Wren Calloway", SHE), ("Theo Ashgrove", HE), ("Juniper Vale", SHE),
        ("Caspian Rook", HE), ("Professor Ilse Marrow", SHE), ("Sol Okafor", HE),
        ("Pip Hartley", THEY), ("Dorian Quill", HE),
    ]),
    ("The Lantern Courts", "court", [
        ("Princess Amaryll", SHE), ("Corvin Hale", HE), ("Isolde Fenwick", SHE),
        ("Kestrel", THEY), ("Prince Aurelio", HE), ("Master Bramwell", HE), ("Nell Ashby", SHE),
    ]),
    ("Saltwind Saga", "sea", [
        ("Maren Voss", SHE), ("Tobias Reed", HE), ("Ondine", SHE), ("Jory Fletcher", HE),
        ("Admiral Hask", HE), ("Lark", THEY),
    ]),
    ("Ironbloom", "city", [
        ("Ada Thistlewood", SHE), ("Felix Brass", HE), ("Inspector Greaves", HE),
        ("Rosalind Coil", SHE), ("Ozzie Penn", THEY), ("Mr. Penhallow", HE),
    ]),
    ("Paper Moon Detective Agency", "city", [
        ("Hazel Pike", SHE), ("Eli Nakamura", HE), ("Rufus Bell", HE),
        ("Clementine Shaw", SHE), ("The Magpie", THEY),
    ]),
    ("Echoes of Veridia", "forest", [
        ("Aric Stormvale", HE), ("Lyra Dawnwhisper", SHE), ("Grimble", HE),
        ("Sable Nightingale", SHE), ("The Oracle", THEY), ("Kael Ironheart", HE),
    ]),
    ("Hearthfall", "forest", [
        ("Bryony Moss", SHE), ("Rowan Thatch", HE), ("Old Maud", SHE), ("Fennick", HE),
        ("Tamsin Brook", SHE),
    ]),
    ("Orbit Line Nine", "space", [
        ("Yara Sato", SHE), ("Dex Marlowe", HE), ("ARIA", THEY), ("Priya Lund", SHE),
        ("Cole Ferris", HE),
    ]),
    ("The Ninth Archive", "academy", [
        ("Elowen Grey", SHE), ("Silas Mercer", HE), ("Quill", THEY), ("Benedict Ashcombe", HE),
        ("Marisol Vega", SHE),
    ]),
    ("Tidebound", "sea", [
        ("Nerissa", SHE), ("Callum Drift", HE), ("Pearl Okoye", SHE), ("Jonah Wilde", HE),
    ]),
    ("Clockwork Sparrow", "city", [
        ("Sparrow", SHE), ("Atticus Vane", HE), ("Mabel Cogsworth", SHE), ("Gideon Frost", HE),
    ]),
    ("Moonlit Bakery", "village", [
        ("Poppy Adair", SHE), ("Jasper Kim", HE), ("Mrs. Honeycutt", SHE), ("Arlo Finch", HE),
        ("Bea Santos", SHE),
    ]),
    ("Gilded Wings", "court", [
        ("Draven Solace", HE), ("Ember Ravenscar", SHE), ("Queen Oriel", SHE),
        ("Finnian Ash", HE), ("Soot", THEY),
    ]),
    ("Northbound Rail", "train", [
        ("Ines Moreau", SHE), ("Milo Harker", HE), ("Greta Lindqvist", SHE), ("Sam Okonkwo", HE),
    ]),
    ("Sky Pirates of Auren", "sky", [
        ("Vesper Kane", SHE), ("Tully Marsh", HE), ("Zephyr", THEY), ("Ottoline Brandt", SHE),
        ("Hollis Crane", HE),
    ]),
    ("The Quiet Hour", "hospital", [
        ("Nora Whitfield", SHE), ("Rafael Ortiz", HE), ("Abby Quinn", SHE),
        ("Leo Sandoval", HE),
    ]),
    ("Cinder and Vex", "city", [
        ("Cinder", SHE), ("Vex", HE), ("Mother Thorn", SHE), ("Pell Harrow", HE), ("Dot", THEY),
    ]),
    ("Hollow Crown Chronicles", "court", [
        ("King Aldric", HE), ("Rhiannon of the Marsh", SHE), ("Gawen Holt", HE),
        ("Lady Wynne", SHE), ("The Hollow Prince", HE),
    ]),
    ("The Last Lighthouse", "sea", [
        ("Agnes Penrose", SHE), ("Tomas Fairley", HE), ("Evie Trelawny", SHE),
        ("Cormac Dunne", HE),
    ]),
    ("Neon Saints", "city", [
        ("Kit Valente", THEY), ("Juno Reyes", SHE), ("Mako Tanaka", HE), ("Saint Ivory", SHE),
        ("Wolfe", HE),
    ]),
    ("Emberwild", "forest", [
        ("Briar Ashdown", SHE), ("Hawthorn", HE), ("Linden Moore", HE), ("Saffron Lee", SHE),
    ]),
    ("Second Verse", "music", [
        ("Ruby Castellanos", SHE), ("Jude Hawkins", HE), ("Noah Park", HE),
        ("Layla Haddad", SHE), ("Frankie Doyle", THEY),
    ]),
    ("The Glass Garden", "court", [
        ("Violet Ambrose", SHE), ("Edmund Lyle", HE), ("Perpetua Fox", SHE),
        ("Odile Rainier", SHE),
    ]),
    ("Frostline", "snow", [
        ("Anouk Berg", SHE), ("Teodor Vask", HE), ("Sigrid Holm", SHE), ("Ivo Lindgren", HE),
    ]),
]  # fmt: skip

# Pairings by cast position: romantic ones are written A/B, friendships and families A & B.
PAIRINGS = [(0, 1, "/"), (0, 2, "&"), (1, 2, "/"), (0, 3, "/"), (2, 3, "&"), (1, 4, "/")]

TROPES = [
    "Fluff", "Angst", "Hurt/Comfort", "Found Family", "Slow Burn", "Enemies to Lovers",
    "Friends to Lovers", "Angst with a Happy Ending", "Mutual Pining", "Modern AU",
    "Established Relationship", "Getting Together", "Fake Dating", "Only One Bed",
    "Coffee Shop AU", "Soulmates", "Time Travel", "Canon Divergence", "Post-Canon",
    "Character Study", "Humor", "Hero/Villain", "Rivals to Lovers", "Forced Proximity",
    "Domestic Fluff", "Redemption Arc", "Secret Identity", "Road Trip", "Royalty AU",
    "Bodyguard AU", "Fix-It", "Team as Family", "Sibling Bonding", "Mentor and Student",
    "Grumpy/Sunshine", "Second Chances", "Reunions", "Secret Relationship", "Love Letters",
    "First Kiss", "Dancing", "Baking", "Snowed In", "Stargazing", "Rainy Days", "Sickfic",
    "Holiday Fluff", "College AU", "Band AU", "Bookshop AU", "Flower Shop AU", "Tea Shop AU",
    "Summer Camp AU", "Heists", "Mystery", "Adventure", "Magic", "Dragons", "Mermaids",
    "Ghosts", "Chosen One", "Reluctant Hero", "Introspection", "Pre-Canon", "Amnesia",
    "Marriage of Convenience", "Misunderstandings", "Confessions", "Banter", "Kid Fic",
    "Dark Academia", "Crack Treated Seriously", "Canon Compliant", "Hanahaki Disease",
]  # fmt: skip

# Archive warnings a story carries (AO3 asks for one); the two about sexual violence are left
# out on purpose: a demo should be pleasant to browse.
STORY_ARCHIVE_WARNINGS = [
    ("No Archive Warnings Apply", 62),
    ("Creator Chose Not To Use Archive Warnings", 24),
    ("Graphic Depictions Of Violence", 10),
    ("Major Character Death", 4),
]
# Free-text warnings; the first three are phrases services.warning_tag turns into synonyms of
# archive warnings.
FREE_WARNINGS = [
    "Canonical Character Death", "Graphic Violence", "Character Death", "Panic Attacks",
    "Grief", "Blood and Injury", "Nightmares", "Canon-Typical Violence", "Hospitals",
    "Mentions of Past Trauma", "Drowning", "Fire", "Mild Swearing", "Sad Ending",
    "Unreliable Narrator",
]  # fmt: skip
SYNONYM_WARNINGS = {"Canonical Character Death", "Graphic Violence", "Character Death"}

RATING_WEIGHTS = {
    "General Audiences": 40,
    "Teen And Up Audiences": 34,
    NOT_RATED: 10,
    "Mature": 13,
    "Explicit": 3,
}
CATEGORY_WEIGHTS_ROMANCE = {"F/M": 1, "M/M": 1, "F/F": 1, "Other": 1}

# (code, tag name, share of stories in percent)
LANGUAGES = [
    ("en", "English", 90.0),
    ("es", "Español", 4.0),
    ("pt-BR", "Português (Brasil)", 2.5),
    ("fr", "Français", 2.0),
    ("de", "Deutsch", 1.5),
]
LANGUAGE_TAGS = {code: name for code, name, _share in LANGUAGES}

# The demo writers: (username, display name). Usernames are pen names; bios are made from them.
WRITERS = [
    ("lanternfox", "Lantern Fox"), ("quietquill", "Quiet Quill"),
    ("saltandhoney", "Salt & Honey"), ("mothlight", "Mothlight"), ("inkwellwitch", "Inkwell Witch"),
    ("tidesong", "Tidesong"), ("paperstars", "Paper Stars"), ("emberlark", "Ember Lark"),
    ("softapocalypse", "soft apocalypse"), ("cloudberry", "Cloudberry"),
    ("nightjar_writes", "Nightjar"), ("thistledown", "Thistledown"), ("moonmarrow", "Moon Marrow"),
    ("hollyhock", "Hollyhock"), ("brambleandrose", "Bramble & Rose"), ("starlingsong", "Starling"),
    ("teaandtragedy", "Tea and Tragedy"), ("willowisp", "Will o' the Wisp"),
    ("copperkettle", "Copper Kettle"), ("fernweh", "Fernweh"),
    ("littlelighthouse", "Little Lighthouse"), ("rainonglass", "Rain on Glass"),
    ("marginalia", "Marginalia"), ("velvetmoth", "Velvet Moth"), ("northwind", "North Wind"),
    ("pocketgalaxy", "Pocket Galaxy"), ("sundayscribbles", "Sunday Scribbles"),
    ("honeybadger_ink", "Honeybadger"), ("glasswing", "Glasswing"), ("oddsocks", "Odd Socks"),
    ("seafoam_writes", "Seafoam"), ("candlewick", "Candlewick"), ("sleepyowl", "Sleepy Owl"),
    ("driftwood", "Driftwood"), ("autumnleaves", "Autumn Leaves"), ("wanderwick", "Wanderwick"),
]  # fmt: skip

BIO_OPENINGS = [
    "Writing soft things for sad people.", "Professional daydreamer, amateur baker.",
    "I write the fic I want to read.", "Tea first, then words.",
    "Mostly here for found family and happy endings.", "Night-shift writer, day-shift napper.",
    "Librarian by day, menace to fictional characters by night.",
    "I promise the angst is worth it.", "Small stories, big feelings.",
    "Chronic over-thinker, occasional finisher of drafts.",
]  # fmt: skip
BIO_MIDDLES = [
    "Currently lost in {fandom}.",
    "Mostly {fandom} these days, with detours.",
    "Forever thinking about {fandom}.",
    "{fandom} has taken over my brain and I am fine with it.",
    "Come for {fandom}, stay for the tropes.",
]
BIO_CLOSINGS = [
    "Comments make my whole week.", "Updates when the muse allows.",
    "Kudos and comments are always welcome.", "Be kind to yourself today.",
    "Come say hello; I answer every comment.", "Thank you for reading.",
]  # fmt: skip


def _vocabulary_checked() -> None:
    """Tag names are unique across types (ignoring case); a clash would merge two tags."""
    names = [name for name, _setting, _cast in FANDOMS]
    names += [character for _name, _setting, cast in FANDOMS for character, _pronoun in cast]
    names += TROPES + FREE_WARNINGS + [name for _code, name, _share in LANGUAGES]
    names += RATINGS + ARCHIVE_WARNINGS + CATEGORIES
    lowered = [name.lower() for name in names]
    clashes = {name for name in lowered if lowered.count(name) > 1}
    if clashes:
        raise ValueError(f"demo tag names used twice: {sorted(clashes)}")


_vocabulary_checked()

PRONOUN_OF = {
    character: pronoun for _name, _setting, cast in FANDOMS for character, pronoun in cast
}
SETTING_OF = {name: setting for name, setting, _cast in FANDOMS}


@dataclass(frozen=True, slots=True)
class Pairing:
    name: str
    first: str
    second: str
    romantic: bool


def _pairings(cast: list[tuple[str, str]]) -> list[Pairing]:
    pairings = []
    for first, second, mark in PAIRINGS:
        if second < len(cast):
            a, b = cast[first][0], cast[second][0]
            separator = "/" if mark == "/" else " & "
            pairings.append(Pairing(f"{a}{separator}{b}", a, b, mark == "/"))
    return pairings


PAIRINGS_OF = {name: _pairings(cast) for name, _setting, cast in FANDOMS}
FANDOM_OF = {character: name for name, _setting, cast in FANDOMS for character, _p in cast}
FANDOM_OF.update({p.name: fandom for fandom, pairs in PAIRINGS_OF.items() for p in pairs})

# ---------------------------------------------------------------------------------------------
# Zipf-skewed choices: a few items are picked often, most rarely.


class Zipf:
    """Picks from a ranked list with probability proportional to 1 / rank**s."""

    __slots__ = ("items", "cumulative", "total")

    def __init__(self, items: Sequence, s: float = 1.0) -> None:
        self.items = list(items)
        self.cumulative = list(
            itertools.accumulate(1.0 / rank**s for rank in range(1, len(items) + 1))
        )
        self.total = self.cumulative[-1]

    def one(self, rng: random.Random):
        return self.items[bisect_right(self.cumulative, rng.random() * self.total)]

    def some(self, rng: random.Random, k: int) -> list:
        """Up to k distinct items, the popular ones more likely."""
        items, cumulative, total, draw = self.items, self.cumulative, self.total, rng.random
        chosen: list = []
        for _attempt in range(3 * k):
            item = items[bisect_right(cumulative, draw() * total)]
            if item not in chosen:
                chosen.append(item)
                if len(chosen) == k:
                    break
        return chosen


def _choice(rng: random.Random, items: Sequence):
    # Faster than rng.choice, which matters at a million stories.
    return items[int(rng.random() * len(items))]


def _below(rng: random.Random, n: int) -> int:
    return int(rng.random() * n)


class Weighted:
    """Picks from explicit weights."""

    __slots__ = ("items", "cumulative", "total")

    def __init__(self, weights: dict) -> None:
        self.items = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))
        self.total = self.cumulative[-1]

    def one(self, rng: random.Random):
        return self.items[bisect_right(self.cumulative, rng.random() * self.total)]


FANDOM_PICK = Zipf([name for name, _setting, _cast in FANDOMS], s=1.05)
CAST_PICK = {name: Zipf([c for c, _p in cast], s=1.1) for name, _s, cast in FANDOMS}
PAIRING_PICK = {name: Zipf(pairs, s=1.2) for name, pairs in PAIRINGS_OF.items()}
TROPE_PICK = Zipf(TROPES, s=1.0)
FREE_WARNING_PICK = Zipf(FREE_WARNINGS, s=0.9)
WRITER_PICK = Zipf(range(len(WRITERS)), s=0.5)
RATING_PICK = Weighted(RATING_WEIGHTS)
ARCHIVE_WARNING_PICK = Weighted(dict(STORY_ARCHIVE_WARNINGS))
LANGUAGE_PICK = Weighted({code: share for code, _name, share in LANGUAGES})
ROMANCE_CATEGORY = {
    frozenset({SHE}): "F/F",
    frozenset({HE}): "M/M",
    frozenset({SHE, HE}): "F/M",
}

# ---------------------------------------------------------------------------------------------
# The plain data the generator yields.


@dataclass(slots=True)
class PartMeta:
    """One part: what it is called, how long it is, how it was received, and when it came out."""

    title: str
    words: int
    reads: int
    votes: int
    comments: int
    # None for a draft; otherwise how long before "now" it was published, so the data does not
    # depend on when it is made.
    published_seconds_ago: int | None
    seed: int  # the body text is made from this on demand
    description: str = ""
    notes_before: str = ""
    notes_after: str = ""
    tropes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def published(self) -> bool:
        return self.published_seconds_ago is not None


@dataclass(slots=True)
class StoryMeta:
    """One book, with every tag by type and its parts; descriptions and notes are plain text."""

    index: int
    title: str
    description: str
    author: int  # index into WRITERS
    rating: str
    archive_warnings: tuple[str, ...]
    categories: tuple[str, ...]
    status: str  # a storyhouse.stories.models.Status value
    language: str  # a language code; its tag is LANGUAGE_TAGS[language]
    fandoms: tuple[str, ...]
    characters: tuple[str, ...]  # the leads first: the prose is written about them
    relationships: tuple[str, ...]
    tropes: tuple[str, ...]
    warnings: tuple[str, ...]  # free-text warnings
    parts: list[PartMeta]

    @property
    def language_tag(self) -> str:
        return LANGUAGE_TAGS[self.language]

    @property
    def words(self) -> int:
        return sum(part.words for part in self.parts if part.published)

    @property
    def reads(self) -> int:
        return sum(part.reads for part in self.parts if part.published)

    def tag_names(self) -> Iterator[tuple[str, str]]:
        """(tag type, name) for every tag the book and its parts carry, the rating included."""
        yield "rating", self.rating
        for name in self.archive_warnings + self.warnings:
            yield "warning", name
        for name in self.categories:
            yield "category", name
        for name in self.fandoms:
            yield "fandom", name
        for name in self.characters:
            yield "character", name
        for name in self.relationships:
            yield "relationship", name
        for name in self.tropes:
            yield "trope", name
        yield "language", self.language_tag
        for part in self.parts:
            for name in part.tropes:
                yield "trope", name
            for name in part.warnings:
                yield "warning", name


# ---------------------------------------------------------------------------------------------
# Words for titles, descriptions and notes.

NOUNS = [
    "Heart", "Crown", "Compass", "Lantern", "Promise", "River", "Garden", "Storm", "Sea", "Sky",
    "Fire", "Shore", "Winter", "Summer", "Moon", "Tide", "Song", "Silence", "Dawn", "Dusk", "Door",
    "Road", "House", "Light", "Thread", "Anchor", "Orchard", "Ember", "Harbour", "Star", "Letter",
    "Map", "Key", "Bridge", "Kingdom", "Lullaby", "Constellation", "Wildfire", "Spring", "Hearth",
]  # fmt: skip
PLURALS = [
    "Stars", "Ashes", "Embers", "Tides", "Lanterns", "Paper Cranes", "Small Hours", "Wildflowers",
    "Storms", "Thorns", "Ghosts", "Maps", "Letters", "Echoes", "Moths", "Constellations",
    "Harbour Lights", "Roses", "Wolves", "Sparrows", "Bridges", "Keys", "Secrets", "Promises",
    "Tea Leaves", "Fireflies", "Comets", "Paper Boats",
]  # fmt: skip
PAIRS = [
    "Salt", "Honey", "Smoke", "Gold", "Ink", "Iron", "Silk", "Ash", "Bone", "Glass", "Rain",
    "Thunder", "Velvet", "Rust", "Starlight", "Stone",
]  # fmt: skip
ADJECTIVES = [
    "Quiet", "Gilded", "Hollow", "Burning", "Borrowed", "Silver", "Golden", "Tender", "Wicked",
    "Wild", "Small", "Bright", "Broken", "Last", "First", "Secret", "Sleepless", "Unspoken",
    "Falling", "Distant", "Stolen", "Gentle", "Endless", "Careful", "Midnight", "Paper",
]  # fmt: skip
VERBS = ["Breaks", "Ends", "Bends", "Sleeps", "Burns", "Begins", "Falls", "Waits", "Sings", "Turns"]
HOW_TO = ["Mend", "Steal", "Keep", "Lose", "Find", "Break", "Carry", "Forget", "Win", "Hold"]
IN_WHICH = [
    "Learns to Bake", "Gets Lost (On Purpose)", "Has a Very Long Day", "Does Not Fall in Love",
    "Adopts a Cat", "Keeps a Promise", "Forgets an Umbrella", "Is Terrible at Feelings",
    "Tries Something New", "Stays for Breakfast",
]  # fmt: skip
FIVE_TIMES = [
    "Almost Said It", "Stayed", "Held the Door", "Fell Asleep First", "Brought Tea",
    "Didn't Run", "Noticed", "Kept the Light On",
]  # fmt: skip
CHAPTER_TITLES = [
    "The Long Way Home", "Small Mercies", "Rain Check", "What the Tide Brings",
    "An Ill-Advised Plan", "Firelight", "The Morning After", "Crossroads", "Old Ghosts",
    "Borrowed Time", "Homecoming", "Loose Threads", "Thaw", "Stay", "The Quiet Part",
    "A Door, Left Open", "Sparks", "Out of Reach", "The Weight of It", "Lanterns",
    "Second Chances", "Almost", "Breathe", "Knots", "North", "Salt", "Undertow", "Truce",
    "The Storm Breaks", "Glass Hearts", "Fault Lines", "Sunday Morning", "Fever", "Evergreen",
    "Slow Dance", "Static", "Harbour", "Daybreak", "Afterglow", "Kindling", "Last Light",
    "Paper Boats", "The Long Night", "Foxglove", "Tell Me Again", "Nowhere Else", "Threshold",
    "Hold Fast", "Falling Snow", "Small Hours", "Open Water", "Honey and Smoke", "Landfall",
    "Hearts and Other Hazards", "Strange Weather", "Wishbone", "The Slow Thaw", "Good Bones",
]  # fmt: skip

HOOKS = [
    "When {A} {inciting}, the last thing {a_sub} expects is {B}.",
    "{A} has exactly one rule: {rule}. {B} is about to break it.",
    "{B} has been gone for {duration}. Now {b_sub} is back, and {A} is not ready.",
    "{Place} is the last place {A} wants to be. It is also where {B} is.",
    "A story about {theme}, {theme2}, and everything {A} and {B} never said out loud.",
    "{A} and {B} agree on nothing. That was fine, until {inciting_short}.",
    "Or: {A} {in_which}, and {B} notices.",
    "Five years, three letters, one {noun}. {A} and {B} try again.",
]  # fmt: skip
INCITING = [
    "finds a letter that was never sent", "gets lost on the way to {place}",
    "agrees to one small favour", "loses a bet", "breaks something old and precious",
    "is given a secret to keep", "comes home after a long time away",
]  # fmt: skip
INCITING_SHORT = [
    "the storm", "the wedding", "the heist went wrong", "the winter festival",
    "the lights went out", "the map turned out to be real",
]  # fmt: skip
RULES = [
    "never stay anywhere long", "never fall for a mark", "work alone", "no one sees the ledger",
    "never look back", "keep the lantern lit",
]  # fmt: skip
DURATIONS = ["three years", "one very long winter", "six months", "a decade", "too long"]
THEMES = [
    "grief", "second chances", "found family", "learning to stay", "bad decisions", "homecoming",
    "small kindnesses", "forgiveness", "growing up", "the sea",
]  # fmt: skip
DESCRIPTION_ENDINGS = [
    "", "", "", "Slow burn, happy ending.", "Updates on Sundays.", "Complete!",
    "Comments make my day.", "Please mind the tags.", "Featuring a lot of tea.",
    "Sequel in progress.", "Written for a friend.",
]  # fmt: skip
ONE_SHOT_TITLES = [
    "{fandom} One-Shots", "{fandom}: Drabbles and One-Shots", "Small Hours: Stories from {fandom}",
    "Tiny Stories from {fandom}", "{A} One-Shots", "Requests Open: {fandom} Shorts",
]  # fmt: skip
ONE_SHOT_DESCRIPTIONS = [
    "A home for my {fandom} one-shots: some soft, some sad, all written far too late at night.",
    "Short stories about {A}, {B} and the rest of {fandom}. Each one stands alone.",
    "Prompts, drabbles and things that would not leave me alone. Tags are on each part.",
]  # fmt: skip
ONE_SHOT_PART_DESCRIPTIONS = [
    "{A} and {B}, {place}, and a very long night.", "Prompt: what if {A} had stayed?",
    "{B} remembers, and so does {A}.", "A quiet morning in {place}.",
    "{A} makes a terrible decision. {B} helps.", "Snow, tea and one honest conversation.",
]  # fmt: skip
NOTES_BEFORE = [
    "Thank you so much for reading! This one fought me every step of the way.",
    "A little shorter than usual, but I hope you enjoy it.", "Happy Sunday! New part, as promised.",
    "Your comments keep me going. Thank you.", "Grab a cup of tea for this one.",
    "Please mind the tags for this part.",
]  # fmt: skip
NOTES_AFTER = [
    "See you next week!", "Let me know what you think. I read every comment.",
    "The next part is already half written.", "Thank you for sticking with this story.",
]  # fmt: skip

# Other languages: a few titles, a hook and sentences each, enough for a readable sample.
FOREIGN = {
    "es": {
        "chapter": "Capítulo",
        "titles": [
            "Donde termina el mar", "Cartas que nunca envié", "La última linterna",
            "Todo lo que nos queda", "Sal y miel", "Bajo la lluvia de verano",
            "El invierno más largo", "Lo que el viento guarda", "Un jardín de estrellas",
        ],
        "hook": "Una historia sobre {A}, {B} y todo lo que nunca se dijeron.",
        "sentences": [
            "{A} miró por la ventana y no dijo nada.",
            "La lluvia golpeaba el cristal con suavidad.",
            "{B} se rió, y por un momento todo pareció más fácil.",
            "—No tienes que quedarte —dijo {A}.", "—Lo sé —respondió {B}—. Pero quiero hacerlo.",
            "El silencio entre ellos ya no pesaba tanto.",
            "Había pasado demasiado tiempo desde la última vez.",
            "{A} guardó la carta en el bolsillo del abrigo.",
            "Afuera, las luces de la ciudad se encendían una a una.",
            "Nadie sabía cuánto tiempo les quedaba.", "El té se había enfriado hacía rato.",
            "Quizá mañana sería distinto.", "{A} cerró los ojos y respiró hondo.",
            "La noche olía a sal y a madera quemada.", "Todo había empezado con una promesa.",
            "—¿Confías en mí? —preguntó {B}.", "{A} asintió, aunque tenía miedo.",
            "El viento traía el sonido lejano de las campanas.",
            "Por primera vez en semanas, {A} durmió sin pesadillas.",
        ],
        "fillers": ["Silencio.", "Nadie respondió.", "Ya era tarde.", "Todo estaba en calma.",
                    "La casa estaba muy tranquila."],
    },
    "pt-BR": {
        "chapter": "Capítulo",
        "titles": [
            "Onde o mar termina", "Cartas que nunca enviei", "A última lanterna", "Sal e mel",
            "Sob a chuva de verão", "O inverno mais longo", "Um jardim de estrelas",
            "Tudo o que nos resta",
        ],
        "hook": "Uma história sobre {A}, {B} e tudo o que nunca disseram um ao outro.",
        "sentences": [
            "{A} olhou pela janela e não disse nada.", "A chuva batia de leve no vidro.",
            "{B} riu, e por um instante tudo ficou mais leve.",
            "— Você não precisa ficar — disse {A}.", "— Eu sei. Mas eu quero — respondeu {B}.",
            "O silêncio entre os dois já não pesava tanto.",
            "Fazia tempo demais desde a última vez.", "{A} guardou a carta no bolso do casaco.",
            "Lá fora, as luzes da cidade se acendiam uma a uma.",
            "O chá já tinha esfriado havia muito tempo.", "Talvez amanhã fosse diferente.",
            "{A} fechou os olhos e respirou fundo.", "A noite cheirava a sal e madeira queimada.",
            "Tudo tinha começado com uma promessa.", "— Você confia em mim? — perguntou {B}.",
            "{A} assentiu, mesmo com medo.", "O vento trazia o som distante dos sinos.",
            "{B} não hesitou dessa vez.",
        ],
        "fillers": ["Silêncio.", "Ninguém respondeu.", "Já era tarde.", "A casa estava quieta.",
                    "Ninguém sabia o que dizer."],
    },
    "fr": {
        "chapter": "Chapitre",
        "titles": [
            "Là où finit la mer", "Les lettres jamais envoyées", "La dernière lanterne",
            "Tout ce qui nous reste", "Le sel et le miel", "Sous la pluie d'été",
            "L'hiver le plus long", "Un jardin d'étoiles",
        ],
        "hook": "Une histoire sur {A}, {B} et tout ce qu'ils ne se sont jamais dit.",
        "sentences": [
            "{A} regarda par la fenêtre sans rien dire.", "La pluie frappait doucement les vitres.",
            "{B} éclata de rire, et tout sembla plus léger.",
            "« Tu peux partir, tu sais », dit {A}.",
            "« Je sais. Mais je veux rester », répondit {B}.",
            "Le silence entre eux ne pesait plus autant.",
            "Il s'était passé trop de temps depuis la dernière fois.",
            "{A} glissa la lettre dans la poche de son manteau.",
            "Dehors, les lumières de la ville s'allumaient une à une.",
            "Le thé avait refroidi depuis longtemps.", "Peut-être que demain serait différent.",
            "{A} ferma les yeux et respira profondément.",
            "La nuit sentait le sel et le bois brûlé.",
            "Tout avait commencé par une promesse.", "« Tu me fais confiance ? » demanda {B}.",
            "{A} hocha la tête, malgré la peur.", "Le vent portait le son lointain des cloches.",
            "{B} ne répondit pas tout de suite.",
        ],
        "fillers": ["Silence.", "Il pleuvait.", "Il était tard.", "La maison était calme.",
                    "Personne ne savait quoi dire."],
    },
    "de": {
        "chapter": "Kapitel",
        "titles": [
            "Wo das Meer endet", "Briefe, die ich nie schickte", "Die letzte Laterne",
            "Salz und Honig", "Unter dem Sommerregen", "Der längste Winter",
            "Ein Garten aus Sternen",
        ],
        "hook": "Eine Geschichte über {A}, {B} und alles, was sie einander nie gesagt haben.",
        "sentences": [
            "{A} sah aus dem Fenster und sagte nichts.", "Der Regen klopfte leise gegen das Glas.",
            "{B} lachte, und plötzlich war alles leichter.", "„Du musst nicht bleiben“, sagte {A}.",
            "„Ich weiß. Aber ich will“, antwortete {B}.",
            "Die Stille zwischen ihnen war nicht mehr so schwer.",
            "Es war zu viel Zeit vergangen.", "{A} steckte den Brief in die Manteltasche.",
            "Draußen gingen die Lichter der Stadt eines nach dem anderen an.",
            "Der Tee war längst kalt geworden.", "Vielleicht würde morgen alles anders sein.",
            "{A} schloss die Augen und atmete tief durch.", "Die Nacht roch nach Salz und Rauch.",
            "Alles hatte mit einem Versprechen begonnen.", "„Vertraust du mir?“, fragte {B}.",
            "{A} nickte, obwohl die Angst blieb.",
            "Der Wind trug den fernen Klang der Glocken heran.", "{B} zögerte nicht lange.",
        ],
        "fillers": ["Stille.", "Es regnete.", "Es war spät.", "Die Uhr tickte leise.",
                    "Das Haus war ganz still."],
    },
}  # fmt: skip

# ---------------------------------------------------------------------------------------------
# The generator.

DAY = 86_400
TWO_YEARS = 730 * DAY


def _pronoun_words(name: str, prefix: str) -> dict[str, str]:
    words = PRONOUNS[PRONOUN_OF.get(name, THEY)]
    return {f"{prefix}_{key}": value for key, value in words.items()}


_SLOT_POOLS = {
    "inciting_short": INCITING_SHORT,
    "rule": RULES,
    "duration": DURATIONS,
    "theme": THEMES,
    "theme2": THEMES,
    "in_which": [phrase.lower() for phrase in IN_WHICH],
    "noun": [noun.lower() for noun in NOUNS],
}


class _Slots(dict):
    """Template values made only when a template asks for them, so unused slots cost nothing."""

    def __init__(self, rng: random.Random, cast: Sequence[str], setting: str, **extra) -> None:
        a, b = cast[0], cast[1] if len(cast) > 1 else cast[0]
        super().__init__(A=a, B=b, **extra)
        self.rng = rng
        self.setting = setting
        self.lead, self.other = a, b

    def __missing__(self, key: str) -> str:
        rng = self.rng
        if key in ("place", "Place"):
            place = self.setdefault("place", _choice(rng, SETTINGS[self.setting]["places"]))
            value = place[0].upper() + place[1:] if key == "Place" else place
        elif key == "inciting":
            value = _choice(rng, INCITING).replace("{place}", self["place"])
        elif key.startswith(("a_", "b_")):
            name = self.lead if key[0] == "a" else self.other
            value = PRONOUNS[PRONOUN_OF.get(name, THEY)][key[2:]]
        else:
            value = _choice(rng, _SLOT_POOLS[key])
        self[key] = value
        return value


def _fill(template: str, rng: random.Random, cast: Sequence[str], setting: str, **extra) -> str:
    return template.format_map(_Slots(rng, cast, setting, **extra))


def _title(rng: random.Random, cast: Sequence[str]) -> str:
    roll = rng.random()
    if roll < 0.12:
        title = f"The {_choice(rng, ADJECTIVES)} {_choice(rng, NOUNS)}"
    elif roll < 0.22:
        first = _choice(rng, PAIRS)
        second = PAIRS[(PAIRS.index(first) + 1 + _below(rng, len(PAIRS) - 1)) % len(PAIRS)]
        title = f"{first} and {second}"
    elif roll < 0.30:
        title = f"Where the {_choice(rng, NOUNS)} {_choice(rng, VERBS)}"
    elif roll < 0.38:
        title = f"All the {_choice(rng, ADJECTIVES)} {_choice(rng, PLURALS)}"
    elif roll < 0.46:
        title = f"A {_choice(rng, NOUNS)} of {_choice(rng, PLURALS)}"
    elif roll < 0.52:
        title = f"How to {_choice(rng, HOW_TO)} a {_choice(rng, NOUNS)}"
    elif roll < 0.58:
        title = f"Of {_choice(rng, PAIRS)} and {_choice(rng, PLURALS)}"
    elif roll < 0.64:
        title = f"The {_choice(rng, NOUNS)} Between Us"
    elif roll < 0.70:
        title = f"Until the {_choice(rng, PLURALS)} Go Out"
    elif roll < 0.75:
        title = f"{_choice(rng, NOUNS)} Season"
    elif roll < 0.80:
        title = f"In Which {short_name(cast[0])} {_choice(rng, IN_WHICH)}"
    elif roll < 0.84 and len(cast) > 1:
        lead, other = short_name(cast[0]), short_name(cast[1])
        title = f"Five Times {lead} {_choice(rng, FIVE_TIMES)} (and One Time {other} Did)"
    elif roll < 0.88:
        title = f"Letters to {cast[-1]}"
    elif roll < 0.92:
        title = f"Things We Left in the {_choice(rng, NOUNS)}"
    else:
        title = f"{_choice(rng, PLURALS)} and {_choice(rng, PLURALS)}"
    # Some writers title everything in lower case; it reads as a style, not a mistake.
    return title.lower() if rng.random() < 0.08 else title


# Per-part randomness comes from one draw of random bits, sliced into fields and looked up in
# quantile tables: it keeps a million stories' metadata well under a minute.
_WORDS = [
    max(250, min(2600, int(math.exp(7.0 + 0.5 * NormalDist().inv_cdf((i + 0.5) / 1024)))))
    for i in range(1024)
]  # lognormal part lengths, median about 1,100 words
_GAPS = [int(-math.log(1 - (i + 0.5) / 256) * 9 * DAY) + 3600 for i in range(256)]
_PHRASE_STEPS = [
    step for step in range(1, len(CHAPTER_TITLES)) if gcd(step, len(CHAPTER_TITLES)) == 1
]


def _story(rng: random.Random, index: int) -> StoryMeta:
    fandom = FANDOM_PICK.one(rng)
    fandoms = [fandom]
    relationships: list[Pairing] = []
    roll = rng.random()
    if roll < 0.62:
        relationships.append(PAIRING_PICK[fandom].one(rng))
        if rng.random() < 0.18:
            extra = PAIRING_PICK[fandom].one(rng)
            if extra not in relationships:
                relationships.append(extra)
    cast: list[str] = []
    for pairing in relationships:
        for name in (pairing.first, pairing.second):
            if name not in cast:
                cast.append(name)
    for name in CAST_PICK[fandom].some(rng, 1 + int(rng.random() * 3)):
        if name not in cast:
            cast.append(name)
    if len(cast) < 2:
        cast += [name for name in CAST_PICK[fandom].items if name not in cast][:1]
    if rng.random() < 0.04:  # a crossover
        other = FANDOM_PICK.one(rng)
        if other != fandom:
            fandoms.append(other)
            cast.append(CAST_PICK[other].one(rng))

    romances = {
        ROMANCE_CATEGORY.get(
            frozenset({PRONOUN_OF[pairing.first], PRONOUN_OF[pairing.second]}), "Other"
        )
        for pairing in relationships
        if pairing.romantic
    }
    if not romances:
        categories: tuple[str, ...] = ("Gen",)
    elif len(romances) > 1 and rng.random() < 0.5:
        categories = ("Multi",)
    else:
        categories = tuple(sorted(romances))

    archive = ARCHIVE_WARNING_PICK.one(rng)
    archive_warnings = (archive,)
    if archive == "Major Character Death" and rng.random() < 0.4:
        archive_warnings = ("Graphic Depictions Of Violence", archive)
    warnings: list[str] = []
    if rng.random() < 0.3:
        for name in FREE_WARNING_PICK.some(rng, 1 + int(rng.random() * 2)):
            # Warnings that mean an archive warning only go where that warning (or "chose not
            # to warn") stands, so the tags never contradict each other.
            if name in SYNONYM_WARNINGS and archive == "No Archive Warnings Apply":
                continue
            warnings.append(name)

    language = LANGUAGE_PICK.one(rng)
    setting = SETTING_OF[fandom]
    tropes = TROPE_PICK.some(rng, 1 + int(rng.random() * 5))
    kind = rng.random()
    complete = rng.random() < 0.55
    if language != "en":
        bank = FOREIGN[language]
        title = _choice(rng, bank["titles"])
        description = bank["hook"].format(A=cast[0], B=cast[1])
        kind = max(kind, 0.5)  # other languages: chaptered books only
    elif kind < 0.12:
        title = _choice(rng, ONE_SHOT_TITLES).format(fandom=fandom, A=cast[0])
        description = _fill(_choice(rng, ONE_SHOT_DESCRIPTIONS), rng, cast, setting, fandom=fandom)
        complete = False  # collections stay open for the next one-shot
    else:
        title = _title(rng, cast)
        description = _fill(_choice(rng, HOOKS), rng, cast, setting)
        ending = _choice(rng, DESCRIPTION_ENDINGS)
        if ending:
            description = f"{description} {ending}"

    if kind < 0.12:
        count = 2 + int(rng.random() * 10)
    elif kind < 0.40:
        count = 1
        complete = True
    else:
        count = 2 + min(38, int(rng.expovariate(1 / 6)))

    # When the parts came out: the first somewhere in the last two years, the rest at a writer's
    # pace after it, squeezed when needed to end at some point before now (not all at now).
    start = int(rng.random() * TWO_YEARS)
    bits = [rng.getrandbits(80) for _ in range(count)]
    gaps = [_GAPS[(u >> 42) & 255] for u in bits[1:]]
    end = int(rng.random() ** 2 * start)
    squeeze = min(1.0, (start - end) / sum(gaps)) if gaps else 1.0
    popularity = min(400_000.0, 20 * rng.paretovariate(0.9))
    chapter_style = rng.random()
    # Distinct chapter phrases: a walk through the list with a step coprime to its length.
    phrase_start = _below(rng, len(CHAPTER_TITLES))
    phrase_step = _PHRASE_STEPS[_below(rng, len(_PHRASE_STEPS))]
    draft_last = not complete and count > 1 and rng.random() < 0.25
    english = language == "en"

    parts: list[PartMeta] = []
    ago = start
    decay = 1.0
    collection = kind < 0.12
    phrases = len(CHAPTER_TITLES)
    last = count - 1
    for position, u in enumerate(bits):
        if position:
            ago = max(0, ago - int(gaps[position - 1] * squeeze))
            decay *= 0.82  # fewer readers reach each later part
        if collection:
            part_title = _title(rng, cast)
            part_description = _fill(_choice(rng, ONE_SHOT_PART_DESCRIPTIONS), rng, cast, setting)
            part_tropes = tuple(TROPE_PICK.some(rng, 1 + int(rng.random() * 2)))
            part_warnings = tuple(FREE_WARNING_PICK.some(rng, 1)) if rng.random() < 0.25 else ()
        else:
            phrase = CHAPTER_TITLES[(phrase_start + position * phrase_step) % phrases]
            part_title = _chapter_title(
                position, count, complete, chapter_style, phrase, language, title
            )
            part_description, part_tropes, part_warnings = "", (), ()
        if draft_last and position == last:
            reads = votes = comments = 0
            published_ago = None
        else:
            reads = int(popularity * decay * (0.75 + ((u >> 50) & 63) / 128))
            votes = int(reads * (0.02 + ((u >> 56) & 15) / 256))
            comments = int(reads * (0.002 + ((u >> 60) & 15) / 1024))
            published_ago = ago
        note = u >> 64
        notes_before = notes_after = ""
        if english and note & 15 < 3:
            notes_before = NOTES_BEFORE[(note >> 4) % len(NOTES_BEFORE)]
        if english and (note >> 12) < 2:
            notes_after = NOTES_AFTER[(note >> 8) % len(NOTES_AFTER)]
        # Positional arguments: noticeably faster than keywords at millions of parts.
        parts.append(
            PartMeta(
                part_title,
                _WORDS[(u >> 32) & 1023],
                reads,
                votes,
                comments,
                published_ago,
                u & 0xFFFFFFFF,
                part_description,
                notes_before,
                notes_after,
                part_tropes,
                part_warnings,
            )
        )

    return StoryMeta(
        index=index,
        title=title,
        description=description,
        author=WRITER_PICK.one(rng),
        rating=RATING_PICK.one(rng),
        archive_warnings=archive_warnings,
        categories=categories,
        status="complete" if complete else "ongoing",
        language=language,
        fandoms=tuple(fandoms),
        characters=tuple(cast),
        relationships=tuple(pairing.name for pairing in relationships),
        tropes=tuple(tropes),
        warnings=tuple(warnings),
        parts=parts,
    )


def _chapter_title(
    position: int,
    count: int,
    complete: bool,
    style: float,
    phrase: str,
    language: str,
    story_title: str,
) -> str:
    number = position + 1
    if count == 1:
        return story_title  # a one-shot's only part is titled like the book, as sites do
    if language != "en":
        return f"{FOREIGN[language]['chapter']} {number}"
    if style < 0.25:
        return f"Chapter {number}"
    if style < 0.55:
        return f"Chapter {number}: {phrase}"
    if style < 0.75:
        return f"{number}. {phrase}"
    if position == 0 and count > 3:
        return "Prologue"
    if complete and position == count - 1 and count > 3:
        return "Epilogue"
    return phrase


def generate_stories(count: int, seed: int = DEFAULT_SEED) -> Iterator[StoryMeta]:
    """`count` stories as plain data. The same seed always gives the same stories, in order."""
    rng = random.Random(seed)
    for index in range(count):
        yield _story(rng, index)


def writer_bio(index: int) -> str:
    """A short, friendly bio for a demo writer, the same every time."""
    rng = random.Random(f"writer-{index}")
    fandom = FANDOMS[_below(rng, len(FANDOMS))][0]
    middle = _choice(rng, BIO_MIDDLES).format(fandom=fandom)
    return f"{_choice(rng, BIO_OPENINGS)} {middle} {_choice(rng, BIO_CLOSINGS)}"


# ---------------------------------------------------------------------------------------------
# Prose, made on demand for one part.

SETTINGS: dict[str, dict[str, list[str]]] = {
    "academy": {
        "places": ["the library", "the observatory tower", "the empty lecture hall",
                   "the dormitory roof", "the greenhouse", "the dining hall", "the courtyard"],
        "things": ["a star chart", "a borrowed scarf", "a cracked hourglass", "a stack of essays",
                   "a brass telescope", "a folded note", "a mug of cocoa"],
        "sounds": ["the ticking of the old clock", "distant laughter from the dormitories",
                   "pages turning somewhere behind the shelves"],
    },
    "court": {
        "places": ["the throne room", "the rose garden", "the long gallery", "the palace kitchens",
                   "the east balcony", "the chapel", "the stables"],
        "things": ["a signet ring", "a sealed letter", "a silver goblet", "a lantern",
                   "a silk ribbon", "a chess piece", "a pressed flower"],
        "sounds": ["the murmur of courtiers", "music drifting up from the ballroom",
                   "the guards changing at the gate"],
    },
    "sea": {
        "places": ["the deck", "the crow's nest", "the harbour", "the captain's cabin",
                   "the lighthouse steps", "the beach", "the galley"],
        "things": ["a brass compass", "a coil of rope", "a sea glass charm", "a tattered map",
                   "a tin of biscuits", "a spyglass", "a shell"],
        "sounds": ["the creak of the rigging", "gulls crying over the water",
                   "waves against the hull"],
    },
    "city": {
        "places": ["the all-night diner", "the rooftop", "the old precinct", "the tram stop",
                   "the narrow alley", "the tiny apartment", "the night market"],
        "things": ["a paper cup of coffee", "a case file", "a spare key", "a cracked phone",
                   "an umbrella", "a pocket watch", "a matchbook"],
        "sounds": ["traffic far below", "the hum of the refrigerator",
                   "rain on the fire escape"],
    },
    "space": {
        "places": ["the observation deck", "the engine room", "the mess hall", "the airlock",
                   "the bridge", "the med bay", "the hydroponics bay"],
        "things": ["a data pad", "a mug of recycled coffee", "a dog-eared paperback",
                   "a spare oxygen cell", "a photograph of home", "a tiny potted plant"],
        "sounds": ["the hum of the engines", "the soft chime of the navigation console",
                   "air whispering through the vents"],
    },
    "forest": {
        "places": ["the clearing", "the old mill", "the edge of the woods", "the cottage kitchen",
                   "the river crossing", "the orchard", "the standing stones"],
        "things": ["a basket of apples", "a carved whistle", "a sprig of rosemary",
                   "a lantern", "a wool blanket", "a worn sword", "a bundle of herbs"],
        "sounds": ["birdsong", "the wind in the pines", "the crackle of the hearth"],
    },
    "village": {
        "places": ["the bakery", "the market square", "the village green", "the back kitchen",
                   "the bus stop", "the little bridge", "the flat above the shop"],
        "things": ["a tray of cinnamon buns", "a flour-dusted apron", "a jar of jam",
                   "a chalkboard menu", "a bicycle bell", "a handwritten recipe"],
        "sounds": ["the bell above the door", "the oven timer", "rain on the awning"],
    },
    "sky": {
        "places": ["the airship deck", "the navigation room", "the cargo hold",
                   "the mooring tower", "the galley", "the rigging"],
        "things": ["a pair of goggles", "a brass spyglass", "a weather map",
                   "a tin of boiled sweets", "a compass", "a flight jacket"],
        "sounds": ["the thrum of the propellers", "wind howling past the balloon",
                   "the creak of the gondola"],
    },
    "train": {
        "places": ["the dining car", "the sleeper compartment", "the observation car",
                   "the station platform", "the luggage van", "the engine cab"],
        "things": ["a ticket stub", "a thermos of tea", "a paperback novel", "a travel map",
                   "a pair of gloves", "a postcard"],
        "sounds": ["the rattle of the tracks", "the whistle up ahead", "rain on the windows"],
    },
    "hospital": {
        "places": ["the break room", "the hospital roof", "the night ward", "the car park",
                   "the corridor outside theatre three", "the chapel"],
        "things": ["a clipboard", "a vending machine sandwich", "a stethoscope",
                   "a paper cup of tea", "a pager", "a get-well card"],
        "sounds": ["monitors beeping softly", "the distant wail of an ambulance",
                   "rain against the windows"],
    },
    "music": {
        "places": ["the practice room", "the tour bus", "the backstage corridor",
                   "the late-night studio", "the tiny venue", "the motel car park"],
        "things": ["a guitar pick", "a set list", "a pair of headphones",
                   "a notebook full of lyrics", "a cold coffee", "a tambourine"],
        "sounds": ["someone tuning a guitar", "the crowd chanting outside",
                   "a bassline through the wall"],
    },
    "snow": {
        "places": ["the mountain hut", "the frozen lake", "the high pass", "the fireside",
                   "the watchtower", "the supply shed"],
        "things": ["a pair of mittens", "a flask of tea", "a coil of rope", "an ice axe",
                   "a folded map", "a candle stub"],
        "sounds": ["the wind over the ridge", "snow sliding off the roof", "the fire popping"],
    },
}  # fmt: skip

WEATHER = [
    "the rain had softened to a drizzle", "snow was beginning to fall",
    "the sky had turned the colour of plums", "the wind rattled the shutters",
    "the first stars were coming out", "the fog had rolled in thick and silver",
    "the evening was warm and gold", "thunder grumbled somewhere far away",
]  # fmt: skip
TIMES = ["evening", "morning", "night", "afternoon", "hour"]
FEELINGS = ["hope", "relief", "dread", "longing", "warmth", "guilt", "tenderness", "courage"]
SMELLS = ["fresh bread", "rain on warm stone", "woodsmoke", "old paper", "salt", "cinnamon"]
THOUGHTS = ["Not again", "Don't look back", "Just breathe", "Say something", "Stay", "Not yet"]
GESTURES = [
    "looked up", "sighed", "hesitated", "shrugged", "glanced at the door", "smiled",
    "set down the cup", "rubbed at tired eyes",
]  # fmt: skip
SAID = ["said", "murmured", "said quietly", "admitted", "whispered", "said at last"]

NARRATION = [
    "{A} set {thing} down on the table and looked at {B} for a long moment.",
    "It was quiet in {place}, except for {sound}.",
    "{A_sub} had not meant to stay this long.",
    "Outside, {weather}.",
    "{B} laughed, and something in {a_pos} chest loosened.",
    "It was the kind of {time} that made everything feel possible.",
    "{A} counted the seconds between {b_pos} words and tried not to hope.",
    "There were a hundred things {a_sub} wanted to say, and none of them would come.",
    "{B} leaned against the doorframe, arms folded, watching.",
    "The silence between them had changed; it no longer felt like a wall.",
    "{A} remembered meeting {B} in {place}, and how little {a_sub} had liked {b_obj} then.",
    "Somewhere nearby, {sound} rose and faded again.",
    "{B} handed {a_obj} {thing} without a word.",
    "{A_sub} turned {thing} over in {a_pos} hands, as if it might hold an answer.",
    "Maybe it was the {feeling}, or maybe it was just how late it had become.",
    "{A} had spent years learning how not to need anyone.",
    "It had taken {B} exactly one afternoon to undo all of that.",
    "The light from the window caught in {b_pos} hair.",
    "{A_sub} could feel {b_pos} gaze like warmth on the back of {a_pos} neck.",
    "Neither of them moved.",
    "By the time they reached {place}, {weather}.",
    "{B} had always been better at pretending than {A} had ever been.",
    "{A} had never believed in fate, but {B} made it hard not to.",
    "A wave of {feeling} went through {a_obj}, sudden and bright.",
    "{B} said {a_pos} name like it was something worth keeping.",
    "They walked in silence until {place} came into view.",
    "{A} thought about leaving. {A_sub} stayed.",
    "The {time} stretched on, slow and golden.",
    "Every part of {a_obj} wanted to reach out.",
    "{B} was already waiting in {place}, hands tucked into {b_pos} pockets.",
    "For once, {A} let {B} see how tired {a_sub} really felt.",
    "It was such a small thing, and yet {a_sub} would remember it for years.",
    "{A} swallowed the rest of the sentence.",
    "The smell of {smell} hung in the air.",
    "{B} smiled, slow and a little crooked.",
    "Later, {a_sub} would tell {B} that this was the moment everything changed.",
    "{A} had a plan. The plan did not survive five minutes with {B}.",
    "There was no map for this, and {a_sub} had never been good at asking for directions.",
    "{B} reached over and straightened {a_pos} collar, as if it were the most ordinary thing.",
    "Someone had left {thing} in {place}, and {A} knew exactly who.",
    "{A} let out a breath {a_sub} had not known {a_sub} had been holding.",
    "They had argued about it for weeks, and now it did not seem to matter at all.",
    "<em>{thought}</em>, {A} told {a_obj}self.",
]  # fmt: skip
DIALOGUE = [
    "You're late.", "I kept the light on for you.", "Do you trust me?",
    "We should go before the rain starts.", "I never said I was brave.",
    "Tell me the truth, just this once.", "You don't have to do this alone.",
    "I thought you'd left.", "Is that my scarf?", "Say that again.", "Stay. Please.",
    "I'm fine. Really.", "You're a terrible liar, you know that?", "I missed you.",
    "We could just run.", "Do you ever think about how it could have been?", "Hold still.",
    "I made tea. Don't look at me like that.", "Of course I came back.", "Don't apologise.",
    "It's not your fault.", "I have a plan.", "That is not a plan.", "I kept it. All this time.",
    "Can I sit here?", "You should get some sleep.", "What are you doing up so late?",
    "Come here.", "I'm not going anywhere.", "Wait.", "Promise me.",
    "It's beautiful, isn't it?", "You remembered.", "I'll walk you home.", "Are you hurt?",
    "That was close.", "We're going to be late.", "Again?", "I don't know how to fix this.",
    "Then we'll figure it out together.", "Thank you. For everything.", "Five more minutes.",
]  # fmt: skip
FILLERS = [
    "Silence.", "Nothing.", "Time passed.", "Nobody answered.", "It was late.",
    "The clock ticked.", "The rain kept falling.", "Nobody said anything after that.",
    "The kettle began to sing again.",
]  # fmt: skip
SCENE_BREAK = "<p>* * *</p>"


def _curly(text: str) -> str:
    return text.replace("'", "\u2019")


def _by_length(sentences: list[str]) -> dict[int, list[str]]:
    lengths: dict[int, list[str]] = {}
    for sentence in sentences:
        lengths.setdefault(count_words(sentence), []).append(_curly(sentence))
    return lengths


_FILLERS = {"en": _by_length(FILLERS)}
_FILLERS.update({code: _by_length(bank["fillers"]) for code, bank in FOREIGN.items()})


# Titles that stay with a name in prose ("Mrs. Honeycutt"), and titles that are dropped
# after the tags have introduced the character ("Princess Amaryll" becomes "Amaryll").
_KEEP_TITLES = {"Mr.", "Mrs.", "Mother", "The"}
_DROP_TITLES = {
    "Princess", "Prince", "Professor", "King", "Queen", "Lady", "Master", "Old", "Inspector",
    "Admiral", "Saint",
}  # fmt: skip


def short_name(name: str) -> str:
    """What the prose calls a character: the first name, as writers do after the first page."""
    words = name.split()
    if len(words) == 1 or words[0] in _KEEP_TITLES:
        return name
    if words[0] in _DROP_TITLES:
        return words[1]
    return words[0]


class _Prose:
    """Sentences about a story's two leads, with no sentence repeated close to itself."""

    def __init__(self, rng: random.Random, story: StoryMeta) -> None:
        self.rng = rng
        self.language = story.language
        cast = story.characters
        lead, other = cast[0], cast[1] if len(cast) > 1 else cast[0]
        self.a, self.b = short_name(lead), short_name(other)
        self.setting = SETTINGS[SETTING_OF[story.fandoms[0]]]
        self.names = {"A": self.a, "B": self.b}
        self.names.update(_pronoun_words(lead, "a"))
        self.names.update(_pronoun_words(other, "b"))
        self.names["A_sub"] = self.names["a_sub"].capitalize()
        self.recent: list[str] = []

    def _fresh(self, templates: list[str]) -> str:
        template = _choice(self.rng, templates)
        for _attempt in range(3):
            if template not in self.recent:
                break
            template = _choice(self.rng, templates)
        self.recent = [*self.recent[-7:], template]
        return template

    def narration(self) -> str:
        rng = self.rng
        if self.language != "en":
            sentences = FOREIGN[self.language]["sentences"]
            return self._fresh(sentences).format(A=self.a, B=self.b)
        place = _choice(rng, self.setting["places"])
        sentence = self._fresh(NARRATION).format(
            place=place,
            Place=place[0].upper() + place[1:],
            thing=_choice(rng, self.setting["things"]),
            sound=_choice(rng, self.setting["sounds"]),
            weather=_choice(rng, WEATHER),
            time=_choice(rng, TIMES),
            feeling=_choice(rng, FEELINGS),
            smell=_choice(rng, SMELLS),
            thought=_choice(rng, THOUGHTS),
            **self.names,
        )
        return _curly(sentence)

    def dialogue(self, speaker: str) -> str:
        rng = self.rng
        line = self._fresh(DIALOGUE)
        if line.endswith("."):
            quoted = f"\u201c{line[:-1]},\u201d {speaker} {_choice(rng, SAID)}."
        else:
            verb = "asked" if line.endswith("?") else _choice(rng, SAID)
            quoted = f"\u201c{line}\u201d {speaker} {verb}."
        if rng.random() < 0.3:
            quoted = f"{speaker} {_choice(rng, GESTURES)}. \u201c{line}\u201d"
        return _curly(quoted)

    def filler(self, most: int) -> str:
        fillers = _FILLERS[self.language]
        if most in fillers:
            return _choice(self.rng, fillers[most])
        return _choice(self.rng, fillers[max(length for length in fillers if length <= most)])


def part_body(story: StoryMeta, part: PartMeta) -> str:
    """The part's prose as HTML paragraphs, with exactly `part.words` words.

    Made from the part's own seed, so the same part always reads the same; store it through
    `storyhouse.stories.html.clean_body` like any other body.
    """
    rng = random.Random(part.seed)
    prose = _Prose(rng, story)
    remaining = part.words
    paragraphs: list[str] = []
    written = 0
    speakers = (prose.a, prose.b)
    while remaining > 0:
        sentences: list[str] = []
        if prose.language == "en" and rng.random() < 0.35:
            candidates = [prose.dialogue(speakers[len(paragraphs) % 2])]
            if rng.random() < 0.5:
                candidates.append(prose.narration())
        else:
            candidates = [prose.narration() for _ in range(2 + int(rng.random() * 4))]
        for sentence in candidates:
            words = count_words(sentence.replace("<em>", "").replace("</em>", ""))
            if words > remaining:
                continue  # a shorter one further on may still fit
            sentences.append(sentence)
            remaining -= words
        if not sentences or remaining <= 3:
            while remaining > 0:
                filler = prose.filler(remaining)
                sentences.append(filler)
                remaining -= count_words(filler)
        paragraphs.append(f"<p>{' '.join(sentences)}</p>")
        written += 1
        # A scene break now and then in a long part, never first or last.
        if remaining > 300 and written > 4 and rng.random() < 0.04:
            paragraphs.append(SCENE_BREAK)
            written = 0
    return "\n".join(paragraphs)


# ---------------------------------------------------------------------------------------------
# Loading into the database.


class CorpusError(Exception):
    """The demo corpus cannot be loaded here; the message says why in one line."""


ProgressCallback = Callable[[int, int], None]


def demo_writers() -> list[User]:
    """The demo writer accounts, created with unusable passwords when missing."""
    from django.contrib.auth.hashers import make_password

    from storyhouse.accounts.models import User

    existing = {user.username: user for user in User.objects.filter(username__in=_usernames())}
    writers = []
    for index, (username, display_name) in enumerate(WRITERS):
        user = existing.get(username)
        if user is None:
            user = User.objects.create(
                username=username,
                display_name=display_name,
                bio=writer_bio(index),
                password=make_password(None),
            )
        elif user.has_usable_password():
            # Someone signed up with this name: their account must not get demo stories.
            raise CorpusError(
                f"the username {username!r} belongs to a real account; "
                "load the demo corpus into a fresh database instead"
            )
        writers.append(user)
    return writers


def _usernames() -> list[str]:
    return [username for username, _display in WRITERS]


def demo_story_count() -> int:
    """How many demo stories the database already holds."""
    from storyhouse.stories.models import Authorship

    return Authorship.objects.filter(user__username__in=_usernames()).count()


class _TagBook:
    """Every tag the corpus uses, found or created once through the services."""

    def __init__(self) -> None:
        from storyhouse.stories.models import Tag

        self.tags: dict[str, Tag] = {tag.name.lower(): tag for tag in Tag.objects.all()}

    def get(self, type: str, name: str) -> Tag:
        tag = self.tags.get(name.lower())
        if tag is None:
            tag = self._create(type, name)
            self.tags[name.lower()] = tag
        return tag

    def _create(self, type: str, name: str) -> Tag:
        from storyhouse.stories import services
        from storyhouse.stories.models import Tag, TagType

        found = services.tag_find(name)
        if found is not None:
            return found
        if type in (TagType.RATING, TagType.CATEGORY) or name in ARCHIVE_WARNINGS:
            raise CorpusError(f"the archive tag {name!r} is missing; run `storyhouse migrate`")
        if type == TagType.WARNING:
            # Free-text warnings are free tags; known phrases become archive-warning synonyms.
            return services.warning_tag(name)
        parents: list[Tag] = []
        if type in (TagType.CHARACTER, TagType.RELATIONSHIP):
            parents = [self.get(TagType.FANDOM, FANDOM_OF[name])]
        return services.tag_save(Tag(name=name, type=type, canonical=True), parents=parents)


def _paragraph(text: str) -> str:
    return f"<p>{html.escape(text, quote=False)}</p>" if text else ""


def _load_batch(batch: list[StoryMeta], writers: list[User], tags: _TagBook, now) -> None:
    from storyhouse.stories import services
    from storyhouse.stories.html import clean_body, clean_html, html_to_text
    from storyhouse.stories.models import (
        Authorship,
        Change,
        Part,
        PartRevision,
        PartState,
        Story,
        Visibility,
    )
    from storyhouse.stories.text import slugify

    stories: list[Story] = []
    parts_of: list[list[Part]] = []
    for meta in batch:
        parts: list[Part] = []
        for position, part_meta in enumerate(meta.parts, start=1):
            title = " ".join(part_meta.title.split())
            body = clean_body(part_body(meta, part_meta))
            ago = part_meta.published_seconds_ago
            parts.append(
                Part(
                    position=position,
                    title=title,
                    slug=slugify(title),
                    description=clean_html(_paragraph(part_meta.description)),
                    notes_before=clean_html(_paragraph(part_meta.notes_before)),
                    notes_after=clean_html(_paragraph(part_meta.notes_after)),
                    body=body,
                    word_count=count_words(html_to_text(body)),
                    state=PartState.PUBLISHED if ago is not None else PartState.DRAFT,
                    published_at=now - timedelta(seconds=ago) if ago is not None else None,
                    imported_reads=part_meta.reads,
                    imported_votes=part_meta.votes,
                    imported_comments=part_meta.comments,
                )
            )
        published = [part for part in parts if part.state == PartState.PUBLISHED]
        dates = [part.published_at for part in published]
        title = " ".join(meta.title.split())
        # The cached fields story_refresh keeps; updated_at is the last part's date (what
        # story_refresh sets when it has none) rather than the moment of loading.
        stories.append(
            Story(
                title=title,
                slug=slugify(title),
                description=clean_html(_paragraph(meta.description)),
                language=meta.language,
                rating=tags.get("rating", meta.rating),
                status=meta.status,
                visibility=Visibility.PUBLIC,
                parts_count=len(published),
                word_count=sum(part.word_count for part in published),
                imported_reads=sum(part.imported_reads for part in published),
                imported_votes=sum(part.imported_votes for part in published),
                imported_comments=sum(part.imported_comments for part in published),
                published_at=min(dates) if dates else None,
                updated_at=max(dates) if dates else None,
            )
        )
        parts_of.append(parts)

    Story.objects.bulk_create(stories)
    Authorship.objects.bulk_create(
        Authorship(story=story, user=writers[meta.author], position=0)
        for story, meta in zip(stories, batch, strict=True)
    )
    story_tags = []
    for story, meta in zip(stories, batch, strict=True):
        names = [("warning", name) for name in meta.archive_warnings + meta.warnings] + [
            ("category", name) for name in meta.categories
        ]
        names += [("fandom", name) for name in meta.fandoms]
        names += [("character", name) for name in meta.characters]
        names += [("relationship", name) for name in meta.relationships]
        names += [("trope", name) for name in meta.tropes]
        names += [("language", meta.language_tag)]
        tag_ids = dict.fromkeys(tags.get(type, name).pk for type, name in names)
        story_tags += [Story.tags.through(story_id=story.pk, tag_id=tag_id) for tag_id in tag_ids]
    Story.tags.through.objects.bulk_create(story_tags)

    all_parts: list[Part] = []
    for story, parts in zip(stories, parts_of, strict=True):
        for part in parts:
            part.story = story
        all_parts += parts
    Part.objects.bulk_create(all_parts)

    part_tags = []
    revisions = []
    changes = []
    for story, meta, parts in zip(stories, batch, parts_of, strict=True):
        author = writers[meta.author]
        changes.append(Change(kind=Change.Kind.STORY, object_id=story.pk, story_id=story.pk))
        for part, part_meta in zip(parts, meta.parts, strict=True):
            names = [("trope", name) for name in part_meta.tropes]
            names += [("warning", name) for name in part_meta.warnings]
            tag_ids = dict.fromkeys(tags.get(type, name).pk for type, name in names)
            part_tags += [Part.tags.through(part_id=part.pk, tag_id=tag_id) for tag_id in tag_ids]
            revisions.append(services.part_revision(part, edited_by=author))
            changes.append(Change(kind=Change.Kind.PART, object_id=part.pk, story_id=story.pk))
    Part.tags.through.objects.bulk_create(part_tags)
    PartRevision.objects.bulk_create(revisions)
    Change.objects.bulk_create(changes)


def load_corpus(
    stories: int = DEFAULT_STORIES,
    seed: int = DEFAULT_SEED,
    progress: Console | ProgressCallback | None = None,
    *,
    batch_size: int = 50,
) -> int:
    """Write the first `stories` stories of the seed's corpus; returns how many were added.

    Demo stories already present count towards `stories`, so loading twice adds nothing and
    asking for more later adds only the difference. Each batch is one transaction.
    """
    from django.db import transaction
    from django.utils import timezone

    with transaction.atomic():
        writers = demo_writers()
    present = demo_story_count()
    wanted = max(0, stories - present)
    if not wanted:
        return 0
    tags = _TagBook()
    now = timezone.now()
    metas = itertools.islice(generate_stories(stories, seed), present, stories)

    report, finish = _progress(progress, wanted)
    done = 0
    try:
        while batch := list(itertools.islice(metas, batch_size)):
            with transaction.atomic():
                _load_batch(batch, writers, tags, now)
            done += len(batch)
            report(done, wanted)
    finally:
        finish()
    return done


def _progress(
    progress: Console | ProgressCallback | None, total: int
) -> tuple[ProgressCallback, Callable[[], None]]:
    """A (report, finish) pair: a rich progress bar for a console, or the caller's callback."""
    if progress is None:
        return (lambda done, total: None), (lambda: None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    if not isinstance(progress, Console):
        return progress, (lambda: None)
    if not progress.is_terminal:
        return (lambda done, total: None), (lambda: None)  # a bar only where someone watches
    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=progress,
        transient=True,
    )
    task = bar.add_task("Writing demo stories", total=total)
    bar.start()
    return (lambda done, total: bar.update(task, completed=done)), bar.stop
