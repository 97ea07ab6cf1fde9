"""The demo: a sample page copied from a story site, and a generated corpus to explore."""

from pathlib import Path

SAMPLE_PAGE = (
    Path(__file__).resolve().parent / "wattpad-part-love-doesnt-always-mean-a-happy-ending.txt"
)
