"""Roles and what each may do (storyhouse/moderation/roles.py, asked through access.py), and
`storyhouse grant`: the permission matrix of every role against every moderation action."""

import io

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.core.management import CommandError, call_command

from storyhouse.accounts.models import User
from storyhouse.moderation.roles import Action, Role, grant, revoke, roles_of
from storyhouse.stories import access

pytestmark = pytest.mark.django_db

MODERATING = {
    Action.WORK_QUEUE,
    Action.DISMISS_REPORTS,
    Action.HIDE_CONTENT,
    Action.REQUIRE_WARNINGS,
    Action.WARN_ACCOUNTS,
    Action.SUSPEND_ACCOUNTS,
    Action.BAN_ACCOUNTS,
    Action.READ_AUDIT_LOG,
}
# The matrix, written out: what each role may do.
EXPECTED = {
    Role.READER: set(),
    Role.WRITER: set(),
    Role.MODERATOR: MODERATING,
    Role.WRANGLER: {Action.WRANGLE_TAGS},
    Role.ADMIN: set(Action),
}


def person(name: str, role: Role | None = None, **extra) -> User:
    user = User.objects.create_user(name, f"{name}@example.org", f"{name}-password-1", **extra)
    if role in (Role.MODERATOR, Role.WRANGLER, Role.ADMIN):
        grant(user, role)
    return User.objects.get(pk=user.pk)  # permissions are read afresh


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_permission_matrix(role, action):
    user = person(f"someone-{role.value}", role)
    assert access.may_moderate(user, action) == (action in EXPECTED[role])


@pytest.mark.parametrize("action", list(Action))
def test_guests_staff_without_a_role_and_suspended_admins_may_do_nothing(action):
    staff = person("staff", is_staff=True)
    gone = person("gone", Role.ADMIN)
    gone.is_active = False
    gone.save()
    for nobody in (AnonymousUser(), staff, gone):
        assert not access.may_moderate(nobody, action)
    assert access.may_moderate(person("root", is_superuser=True), action)


def test_moderators_and_wranglers_are_who_access_says():
    moderator, wrangler, reader = (
        person("mo", Role.MODERATOR),
        person("wren", Role.WRANGLER),
        person("rea"),
    )
    assert (access.is_moderator(moderator), access.can_wrangle_tags(moderator)) == (True, False)
    assert (access.is_moderator(wrangler), access.can_wrangle_tags(wrangler)) == (False, True)
    assert (access.is_moderator(reader), access.can_wrangle_tags(reader)) == (False, False)
    assert roles_of(reader) == [Role.READER, Role.WRITER]
    assert roles_of(moderator) == [Role.READER, Role.WRITER, Role.MODERATOR]


def test_the_role_groups_are_in_the_admin_with_their_permissions():
    moderators = Group.objects.get(name="Moderators")
    assert {p.codename for p in moderators.permissions.all()} == set(MODERATING)
    assert Group.objects.get(name="Admins").permissions.count() == len(Action)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("grant", *args, stdout=out)
    return out.getvalue()


def test_storyhouse_grant_gives_and_takes_back_a_role():
    alice = person("alice")
    assert run("alice", "moderator") == "alice's roles: reader, writer, moderator.\n"
    assert access.is_moderator(User.objects.get(pk=alice.pk))
    assert run("ALICE@example.org", "admin").endswith("moderator, admin.\n")
    assert User.objects.get(pk=alice.pk).is_staff  # admins use the Django admin
    assert run("alice", "moderator", "--revoke") == "alice's roles: reader, writer, admin.\n"
    run("alice", "admin", "--revoke")
    alice = User.objects.get(pk=alice.pk)
    assert not alice.is_staff and not access.is_moderator(alice)


def test_storyhouse_grant_says_what_is_wrong():
    person("bob")
    with pytest.raises(CommandError, match="Nobody is called 'zed'"):
        run("zed", "moderator")
    with pytest.raises(CommandError, match="Every account reads and writes"):
        run("bob", "writer")
    with pytest.raises(CommandError, match="invalid choice"):
        run("bob", "emperor")


def test_a_new_moderator_is_one_on_their_next_page():
    """Granting writes an account change: what is kept of the person is dropped."""
    from storyhouse.stories.models import Change

    bob = person("bob")
    before = Change.objects.filter(kind=Change.Kind.ACCOUNT, object_id=bob.pk).count()
    grant(bob, Role.MODERATOR)
    revoke(bob, Role.MODERATOR)
    assert Change.objects.filter(kind=Change.Kind.ACCOUNT, object_id=bob.pk).count() == before + 2
