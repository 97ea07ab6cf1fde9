#!/usr/bin/env python
"""Django's command-line utility; `storyhouse` does the same and more."""

from storyhouse.cli import main

if __name__ == "__main__":
    main()
