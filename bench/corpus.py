"""How fast the demo corpus is made: metadata alone, and written to the database with bodies."""

import time
from dataclasses import dataclass


@dataclass
class Generation:
    stories: int
    parts: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.stories / self.seconds


@dataclass
class Load:
    stories: int
    parts: int
    words: int
    seconds: float


def measure_generation(stories: int, seed: int) -> Generation:
    from storyhouse.demo.corpus import generate_stories

    parts = 0
    start = time.perf_counter()
    for story in generate_stories(stories, seed):
        parts += len(story.parts)
    return Generation(stories, parts, time.perf_counter() - start)


def measure_load(stories: int, seed: int, console) -> Load:
    from django.db.models import Sum

    from storyhouse.demo.corpus import load_corpus
    from storyhouse.stories.models import Part

    start = time.perf_counter()
    added = load_corpus(stories, seed, progress=console)
    seconds = time.perf_counter() - start
    parts = Part.objects.count()
    words = Part.objects.aggregate(words=Sum("word_count"))["words"] or 0
    return Load(added, parts, words, seconds)
