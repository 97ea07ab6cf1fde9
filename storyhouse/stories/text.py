"""Slugs and word counts: small text helpers with no database behind them."""

import re
import unicodedata

APOSTROPHES = re.compile(r"['’ʼ`´]")
NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
WORD = re.compile(r"\w+(?:['’\-]\w+)*", re.UNICODE)


def slugify(text: str, *, fallback: str = "untitled", max_length: int = 80) -> str:
    """A lowercase, hyphenated slug: `Hero/Villain` -> `hero-villain`, `Don't` -> `dont`.

    Latin letters lose their accents; other scripts are kept as they are, so a
    title in Japanese still gets a readable slug rather than an empty one.
    """
    text = unicodedata.normalize("NFKC", text)
    folded = "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)
    )
    folded = APOSTROPHES.sub("", folded.lower())
    slug = NOT_WORD.sub("-", folded).strip("-")
    if len(slug) > max_length:
        slug = slug[:max_length].rsplit("-", 1)[0] or slug[:max_length]
    return slug or fallback


def count_words(text: str) -> int:
    """Words as a reader counts them: `don't` and `well-known` are one word each."""
    return len(WORD.findall(text))
