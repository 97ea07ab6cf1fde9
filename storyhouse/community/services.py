"""Every write of the community app: site pages, and the invitation queue
(STORYHOUSE_SIGNUP=invite). Views, the admin and tests call these."""

import hashlib
import logging
import secrets
import smtplib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from storyhouse.accounts import services as accounts
from storyhouse.accounts.models import User
from storyhouse.moderation.services import address_banned
from storyhouse.stories.html import clean_html

from .defaults import DEFAULT_PAGES
from .models import SignupRequest, SitePage

log = logging.getLogger(__name__)


class InvitationError(Exception):
    """A sign-up link that cannot be used; the message says why, for the person."""


# Site pages


@dataclass(frozen=True)
class ShownPage:
    slug: str
    title: str
    body: str
    stored: SitePage | None


def site_page(slug: str) -> ShownPage:
    """The page as readers see it: what an admin wrote, else the default text."""
    stored = SitePage.objects.filter(slug=slug).first()
    if stored is not None:
        return ShownPage(slug, stored.title, stored.body, stored)
    title, body = DEFAULT_PAGES[slug]
    return ShownPage(slug, str(title), str(body), None)


def site_page_save(*, slug: str, title: str, body: str, by: User | None) -> SitePage:
    """Write a site page; its body is cleaned (nh3) so nothing in it can run script."""
    if slug not in DEFAULT_PAGES:
        raise ValidationError(_("There is no site page called “%(slug)s”.") % {"slug": slug})
    page, _created = SitePage.objects.update_or_create(
        slug=slug,
        defaults={"title": title.strip(), "body": clean_html(body), "updated_by": by},
    )
    # Site pages are never kept by the guest page cache (their views do not call
    # pagecache.depends), so the next request shows this edit without a change row.
    return page


# The invitation queue


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def signup_request(*, email: str) -> SignupRequest | None:
    """Put an address in the queue. Asking again changes nothing, and says nothing to whoever
    asked (so the form tells no one whether an address is already waiting or has an account).
    The address of a banned account is not queued (None), without a word either."""
    email = User.objects.normalize_email(email.strip())
    if address_banned(email):
        return None
    existing = SignupRequest.objects.filter(email__iexact=email).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return SignupRequest.objects.create(email=email)
    except IntegrityError:  # asked twice at once
        return SignupRequest.objects.get(email__iexact=email)


def waiting_requests():
    return SignupRequest.objects.filter(state=SignupRequest.State.WAITING)


def invitation_send(*, request: SignupRequest, by: User, site_url: str) -> bool:
    """Release one address from the queue: mail it a sign-up link that works once. An
    address already invited gets a new link (the old one stops working). False when the
    mail could not be sent; the address then stays where it was."""
    if request.state == SignupRequest.State.JOINED:
        return False
    token = secrets.token_urlsafe(32)
    link = site_url.rstrip("/") + reverse("accounts:signup_invited", args=[token])
    context = {
        "site_name": settings.SITE_NAME,
        "link": link,
        "days": settings.INVITATION_MAX_AGE // (60 * 60 * 24),
    }
    subject = render_to_string("community/email/invitation_subject.txt", context)
    body = render_to_string("community/email/invitation_body.txt", context)
    try:
        send_mail(" ".join(subject.split()), body, None, [request.email])
    except (smtplib.SMTPException, OSError):
        log.exception("could not send the invitation to sign-up request %s", request.pk)
        return False
    request.state = SignupRequest.State.INVITED
    request.invited_at = timezone.now()
    request.invited_by = by
    request.token_hash = _hash(token)
    request.save(update_fields=["state", "invited_at", "invited_by", "token_hash"])
    return True


def invitations_send(*, ids: list[int], by: User, site_url: str) -> tuple[int, int]:
    """Release these addresses; (sent, failed)."""
    sent = failed = 0
    for request in SignupRequest.objects.filter(pk__in=ids).exclude(
        state=SignupRequest.State.JOINED
    ):
        if invitation_send(request=request, by=by, site_url=site_url):
            sent += 1
        else:
            failed += 1
    return sent, failed


def invitation_check(token: str) -> SignupRequest:
    """The invitation a sign-up link is for, or InvitationError saying why it cannot be used."""
    invitation = SignupRequest.objects.filter(token_hash=_hash(token)).first() if token else None
    if invitation is None:
        raise InvitationError(
            _("This sign-up link does not work. Check that you copied all of it from the email.")
        )
    if invitation.state == SignupRequest.State.JOINED:
        raise InvitationError(
            _("This sign-up link has been used already. You can log in with that account.")
        )
    max_age = timedelta(seconds=settings.INVITATION_MAX_AGE)
    if invitation.invited_at is None or invitation.invited_at + max_age < timezone.now():
        raise InvitationError(
            _(
                "This sign-up link has expired. Ask to join again, and a moderator will send "
                "you a new one."
            )
        )
    return invitation


def account_signup_invited(
    *, token: str, username: str, email: str, password: str, site_url: str
) -> User:
    """An account made with an invitation link, which then stops working. Two people using
    one link at once: one gets the account, the other an InvitationError."""
    invitation = invitation_check(token)
    with transaction.atomic():
        # The claim is one conditional UPDATE, so only one request can win it.
        claimed = SignupRequest.objects.filter(
            pk=invitation.pk, state=SignupRequest.State.INVITED, token_hash=invitation.token_hash
        ).update(state=SignupRequest.State.JOINED, joined_at=timezone.now())
        if not claimed:
            raise InvitationError(
                _("This sign-up link has been used already. You can log in with that account.")
            )
        user = accounts.account_signup(
            username=username, email=email, password=password, site_url=site_url
        )
        SignupRequest.objects.filter(pk=invitation.pk).update(user=user)
    return user
