from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ModerationConfig(AppConfig):
    name = "storyhouse.moderation"
    label = "moderation"
    verbose_name = "Moderation"

    def ready(self) -> None:
        from . import roles

        # The role groups and their permissions exist in every database, new or flushed.
        post_migrate.connect(roles.groups_ensure, sender=self, dispatch_uid="moderation-roles")
