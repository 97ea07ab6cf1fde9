"""Roles, and what each may do beyond reading and writing: the one place that says so.

Every confirmed, active account reads and writes (the reader and writer roles, which nobody
needs to be given: `access.can_post`); the other roles are Django groups holding the
moderation permissions (models.AuditEntry.Meta), given in the admin or with
`storyhouse grant USER ROLE`. Views, the API and commands ask
`access` (is_moderator, may_moderate, can_wrangle_tags), which asks here.
"""

from enum import StrEnum

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from storyhouse.accounts.models import User


class Role(StrEnum):
    READER = "reader"
    WRITER = "writer"
    MODERATOR = "moderator"
    WRANGLER = "wrangler"
    ADMIN = "admin"


class Action(StrEnum):
    """The moderation actions, each a permission `moderation.<value>`."""

    WORK_QUEUE = "work_queue"
    DISMISS_REPORTS = "dismiss_reports"
    HIDE_CONTENT = "hide_content"
    REQUIRE_WARNINGS = "require_warnings"
    WARN_ACCOUNTS = "warn_accounts"
    SUSPEND_ACCOUNTS = "suspend_accounts"
    BAN_ACCOUNTS = "ban_accounts"
    READ_AUDIT_LOG = "read_audit_log"
    WRANGLE_TAGS = "wrangle_tags"
    GRANT_ROLES = "grant_roles"
    EDIT_SITE_PAGES = "edit_site_pages"


MODERATOR_ACTIONS = (
    Action.WORK_QUEUE,
    Action.DISMISS_REPORTS,
    Action.HIDE_CONTENT,
    Action.REQUIRE_WARNINGS,
    Action.WARN_ACCOUNTS,
    Action.SUSPEND_ACCOUNTS,
    Action.BAN_ACCOUNTS,
    Action.READ_AUDIT_LOG,
)
# What each role may do (readers and writers: nothing beyond reading and writing).
ACTIONS: dict[Role, tuple[Action, ...]] = {
    Role.READER: (),
    Role.WRITER: (),
    Role.MODERATOR: MODERATOR_ACTIONS,
    Role.WRANGLER: (Action.WRANGLE_TAGS,),
    Role.ADMIN: tuple(Action),
}
# The roles given to people; readers and writers are every confirmed, active account.
GROUP_NAMES = {
    Role.MODERATOR: "Moderators",
    Role.WRANGLER: "Tag wranglers",
    Role.ADMIN: "Admins",
}


def may(user, action: Action) -> bool:
    """Whether this person may take a moderation action: an active account holding a role
    that allows it (superusers may do everything)."""
    return bool(user.is_authenticated and user.is_active and user.has_perm(f"moderation.{action}"))


def groups_ensure(**kwargs) -> None:
    """Make the role groups with exactly their permissions (after every migrate)."""
    permissions = {
        p.codename: p for p in Permission.objects.filter(content_type__app_label="moderation")
    }
    if not all(action in permissions for action in Action):
        return  # the permissions come with this app's migration: not yet
    for role, name in GROUP_NAMES.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set([permissions[action] for action in ACTIONS[role]])


def roles_of(user: User) -> list[Role]:
    names = set(user.groups.values_list("name", flat=True))
    held = [role for role, name in GROUP_NAMES.items() if name in names]
    if user.is_active and user.email_verified:
        held += [role for role in (Role.READER, Role.WRITER) if role not in held]
    return sorted(held, key=list(Role).index)


@transaction.atomic
def grant(user: User, role: Role) -> None:
    """Give a role. Admins also get into the Django admin (is_staff)."""
    from storyhouse.stories.services import accounts_changed

    groups_ensure()
    user.groups.add(Group.objects.get(name=GROUP_NAMES[role]))
    if role == Role.ADMIN and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    accounts_changed([user.pk])  # pages kept for them know them as before


@transaction.atomic
def revoke(user: User, role: Role) -> None:
    from storyhouse.stories.services import accounts_changed

    user.groups.remove(*Group.objects.filter(name=GROUP_NAMES[role]))
    if role == Role.ADMIN and user.is_staff and not user.is_superuser:
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    accounts_changed([user.pk])
