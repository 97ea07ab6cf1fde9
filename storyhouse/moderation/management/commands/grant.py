from django.core.management.base import BaseCommand, CommandError, CommandParser

from storyhouse.accounts.models import User
from storyhouse.moderation import roles


class Command(BaseCommand):
    help = "Give a person a role (reader, writer, moderator, wrangler, admin), or take it back."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user", help="the username or email address")
        parser.add_argument("role", choices=[role.value for role in roles.Role])
        parser.add_argument("--revoke", action="store_true", help="take the role back")

    def handle(self, *args, user: str, role: str, revoke: bool, **options) -> None:
        person = (
            User.objects.filter(username__iexact=user).first()
            or User.objects.filter(email__iexact=user).first()
        )
        if person is None:
            raise CommandError(f"Nobody is called {user!r} here.")
        chosen = roles.Role(role)
        if chosen not in roles.GROUP_NAMES:
            raise CommandError(
                "Every account reads and writes once its address is confirmed; to stop someone "
                "posting, suspend or ban the account."
            )
        (roles.revoke if revoke else roles.grant)(person, chosen)
        held = ", ".join(roles.roles_of(person)) or "none"
        self.stdout.write(f"{person.username}'s roles: {held}.\n")
