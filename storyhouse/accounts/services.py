"""Every write to accounts: sign-up, email verification, profile, email change, reader
preferences and deletion. Views, the admin, commands and tests all call these."""

import logging
import smtplib

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from storyhouse.engagement.models import Comment
from storyhouse.stories.models import Authorship, Change, Series, Tag
from storyhouse.stories.services import (
    change_record,
    story_cover_refresh,
    story_covers_refresh_for,
    story_delete,
)

from .models import User

log = logging.getLogger(__name__)

VERIFY_SALT = "storyhouse.accounts.verify-email"
# Where the books of writers who leave but keep their stories live on, as on Archive of Our Own.
ORPHAN_ACCOUNT = "orphan_account"


class VerificationError(Exception):
    """A verification link that cannot be used; the message says why, for the person."""


# Signing up and confirming an address


def account_signup(*, username: str, email: str, password: str, site_url: str) -> User:
    """A new account, unverified until its email address is confirmed; sends the link.

    The form has checked the fields; a name or address taken a moment ago by someone else
    is a ValidationError.
    """
    user = User(
        username=username.strip(),
        email=User.objects.normalize_email(email.strip()),
        email_verified=False,
    )
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        raise ValidationError(_("That username or email address is taken.")) from error
    verification_send(user, site_url=site_url)
    return user


def verification_token(user: User, email: str) -> str:
    return signing.dumps({"u": user.pk, "e": email.lower()}, salt=VERIFY_SALT)


def verification_send(user: User, *, site_url: str) -> bool:
    """Email the link that confirms the account's new address (or its first one).

    Returns whether the mail went out; a mail server that fails is logged, not raised,
    since the person can ask for the link again.
    """
    address = user.pending_email or user.email
    if not address:
        return False
    path = reverse("accounts:verify", kwargs={"token": verification_token(user, address)})
    context = {
        "user": user,
        "link": site_url.rstrip("/") + path,
        "days": settings.EMAIL_VERIFICATION_MAX_AGE // 86400,
        "site_name": settings.SITE_NAME,
    }
    subject = render_to_string("accounts/email/verify_subject.txt", context)
    body = render_to_string("accounts/email/verify_body.txt", context)
    try:
        send_mail(" ".join(subject.split()), body, None, [address])
    except (smtplib.SMTPException, OSError):
        log.exception("could not send the verification email to account %s", user.pk)
        return False
    return True


def verification_check(token: str) -> tuple[User, str]:
    """The account and address a verification link is for, or VerificationError."""
    try:
        data = signing.loads(token, salt=VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE)
    except signing.SignatureExpired as error:
        raise VerificationError(
            _("This link has expired. Sign in and ask for a new one: it comes at once.")
        ) from error
    except signing.BadSignature as error:
        raise VerificationError(
            _(
                "This link is not one we sent, or part of it is missing. Check that you "
                "copied all of it, or sign in and ask for a new one."
            )
        ) from error
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    email = str(data.get("e", ""))
    if user is None:
        raise VerificationError(_("The account this link was for no longer exists."))
    if email not in {user.email.lower(), user.pending_email.lower()}:
        raise VerificationError(
            _("This link is for an address your account no longer uses. Ask for a new one.")
        )
    return user, email


@transaction.atomic
def email_verify(token: str) -> User:
    """Confirm the address a link was sent to: the account may post, and a new address
    replaces the old one."""
    user, email = verification_check(token)
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.pending_email and user.pending_email.lower() == email:
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise VerificationError(_("Another account uses this address now."))
        user.email = user.pending_email
        user.pending_email = ""
    elif user.email.lower() != email:
        raise VerificationError(
            _("This link is for an address your account no longer uses. Ask for a new one.")
        )
    user.email_verified = True
    user.save(update_fields=["email", "pending_email", "email_verified"])
    return user


def email_mark_verified(user: User) -> User:
    """Following a password-reset link proves the current address reaches its owner."""
    if not user.email_verified:
        user.email_verified = True
        user.save(update_fields=["email_verified"])
    return user


# Profile and email


def profile_update(user: User, *, display_name: str, bio: str) -> User:
    """Display name and bio, plain text: pages escape them."""
    before = User.objects.get(pk=user.pk).name  # `user` may be a form's, changed already
    user.display_name = " ".join(display_name.split())
    user.bio = bio.strip().replace("\r\n", "\n")
    user.full_clean(exclude=["password", "email", "username"])
    user.save(update_fields=["display_name", "bio"])
    if user.name != before:
        story_covers_refresh_for(user)  # generated covers show the name
        with transaction.atomic():
            _pages_showing_name_record(user)
    return user


def _pages_showing_name_record(user: User) -> None:
    """The pages that show this person's name: their books and the parts they commented on
    (page caches follow these rows)."""
    story_ids = Authorship.objects.filter(user=user, accepted=True).values_list(
        "story_id", flat=True
    )
    for story_id in sorted(set(story_ids)):
        change_record(kind=Change.Kind.STORY, object_id=story_id, story_id=story_id)
    commented = Comment.objects.filter(author=user).values_list("part_id", "part__story_id")
    for part_id, story_id in sorted(set(commented)):
        change_record(kind=Change.Kind.ENGAGEMENT, object_id=part_id, story_id=story_id)


def email_change(user: User, *, email: str, site_url: str) -> User:
    """Ask for a new address: it replaces the current one once its link is followed.

    Giving the current address again cancels a change waiting to be confirmed.
    """
    email = User.objects.normalize_email(email.strip())
    if email.lower() == user.email.lower():
        user.pending_email = ""
        user.save(update_fields=["pending_email"])
        return user
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ValidationError(_("An account with this email address already exists."))
    user.pending_email = email
    user.save(update_fields=["pending_email"])
    verification_send(user, site_url=site_url)
    return user


# Reader preferences


def preferences_hide_tag(user: User, tag: Tag) -> Tag:
    """Hide a tag from this reader's lists. A synonym hides its canonical tag (and with it
    every synonym), so the canonical tag is what is kept."""
    canonical = tag.filter_tag
    user.hidden_tags.add(canonical)
    return canonical


def preferences_show_tag(user: User, tag: Tag) -> None:
    """Stop hiding a tag, whether it was chosen as itself or through one of its synonyms."""
    canonical = tag.filter_tag
    family = [canonical.pk, *canonical.synonyms.values_list("id", flat=True)]
    user.hidden_tags.remove(*family)


def preferences_adult_content(user: User, *, show: bool) -> User:
    """Whether Mature and Explicit books open without the gate for this reader. Saving the
    account drops what the page caches keep of them (accounts/receivers.py)."""
    user.shows_adult_content = show
    user.save(update_fields=["shows_adult_content"])
    return user


# Leaving


def orphan_account() -> User:
    """The account kept books of writers who left belong to. Nobody can sign in to it."""
    user, _created = User.objects.get_or_create(
        username=ORPHAN_ACCOUNT,
        defaults={
            "password": make_password(None),  # unusable: nobody signs in as it
            "bio": "Stories whose writers have left, kept on the site for their readers.",
        },
    )
    return user


@transaction.atomic
def account_delete(user: User, *, keep_stories: bool) -> None:
    """Delete an account. Books written with others stay with them; books of one's own
    either stay on the site under the orphan account or are deleted.

    Reads, votes and comments stay counted: other apps point at accounts with SET_NULL.
    """
    if user.username == ORPHAN_ACCOUNT:
        raise ValueError("The orphan account holds other people's stories; it stays.")
    orphan = orphan_account() if keep_stories else None
    for authorship in Authorship.objects.filter(user=user).select_related("story"):
        story = authorship.story
        if not authorship.accepted:
            authorship.delete()  # an invitation never accepted: not their book
            continue
        if Authorship.objects.filter(story=story, accepted=True).exclude(user=user).exists():
            authorship.delete()
        elif keep_stories:
            authorship.user = orphan
            authorship.save(update_fields=["user"])
        else:
            story_delete(story)
            continue
        change_record(kind=Change.Kind.STORY, object_id=story.pk, story_id=story.pk)
        # A generated cover shows the byline: it must not keep the name of someone who left.
        story_cover_refresh(story)
    if keep_stories:
        Series.objects.filter(owner=user).update(owner=orphan)
    _pages_showing_name_record(user)  # their comments now show no name
    user.delete()
