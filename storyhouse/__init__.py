"""Storyhouse: a self-hostable story-sharing platform, where stories live."""

__version__ = "0.1.0"
