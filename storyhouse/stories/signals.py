"""Signals stories send for apps that must not be known here (notifications, caches)."""

from django.dispatch import Signal

# Sent once a part becomes readable (published now, or its scheduled time came), after the
# transaction that published it has committed. Arguments: part.
part_published = Signal()

# Sent when someone is invited to co-write a book, after the invitation is committed.
# Arguments: authorship (an Authorship with accepted=False: its user is the invitee).
coauthor_invited = Signal()
