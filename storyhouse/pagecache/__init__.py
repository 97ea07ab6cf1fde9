"""The guest page cache: pages guests see, kept rendered and answered at the WSGI entry
before Django runs (app.py), dropped as soon as what they show changes (versions.py)."""

from .deps import counts_read, depends, personal_shell

__all__ = ["counts_read", "depends", "personal_shell"]
