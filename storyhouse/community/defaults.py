"""What the site pages say until an admin writes them (Django admin → Site pages)."""

from django.utils.translation import gettext_lazy as _

DEFAULT_PAGES = {
    "about": (
        _("About"),
        _(
            "<p>This is a place where stories live: writers publish books made of parts, "
            "and readers read, vote, comment, follow writers and keep a library.</p>"
            "<p>Reading needs no account. An account lets you write, vote and comment.</p>"
        ),
    ),
    "rules": (
        _("Rules"),
        _(
            "<p>Be kind to one another. Tag your stories honestly, with their rating and "
            "warnings, so readers can choose what they read.</p>"
            "<ul><li>No harassment, threats or hate.</li>"
            "<li>No spam or advertising.</li>"
            "<li>Post only what you wrote, or have the right to share.</li></ul>"
            "<p>Moderators may hide what breaks these rules.</p>"
        ),
    ),
    "privacy": (
        _("Privacy"),
        _(
            "<p>We keep what the site needs to work: your account (username, email address "
            "and password, stored hashed), what you write, and your votes, comments, "
            "library and follows. Your email address is never shown to anyone.</p>"
            "<p>Guests get a random cookie so that reads are counted once a day; we store "
            "no addresses. You can download everything you wrote, or delete your account, "
            "from your account page.</p>"
        ),
    ),
}
