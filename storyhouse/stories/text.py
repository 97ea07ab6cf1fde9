"""Slugs and word counts: small text helpers with no database behind them."""

import re
import unicodedata

APOSTROPHES = re.compile(r"['’ʼ`´]")
WORD = re.compile(r"\w+(?:['’\-]\w+)*", re.UNICODE)


def _is_latin(character: str) -> bool:
    return unicodedata.name(character, "").startswith("LATIN ")


def _in_slug(character: str) -> bool:
    # Marks count as letters: Devanagari vowel signs and Japanese voicing marks are spelling.
    return character.isalnum() or unicodedata.category(character).startswith("M")


def slugify(text: str, *, fallback: str = "untitled", max_length: int = 80) -> str:
    """A lowercase, hyphenated slug: `Hero/Villain` -> `hero-villain`, `Don't` -> `dont`.

    Latin letters lose their accents; other scripts are kept as they are, so a
    title in Japanese still gets a readable slug rather than an empty one.
    """
    kept: list[str] = []
    for character in unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text)):
        if unicodedata.combining(character) and kept and _is_latin(kept[-1]):
            continue  # an accent on a Latin letter
        kept.append(character)
    folded = APOSTROPHES.sub("", unicodedata.normalize("NFC", "".join(kept)).lower())
    slug = "-".join("".join(ch if _in_slug(ch) else " " for ch in folded).split())
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug or fallback


def count_words(text: str) -> int:
    """Words as a reader counts them: `don't` and `well-known` are one word each."""
    return len(WORD.findall(text))
