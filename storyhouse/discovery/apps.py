from django.apps import AppConfig


class DiscoveryConfig(AppConfig):
    name = "storyhouse.discovery"
    label = "discovery"
    verbose_name = "Discovery"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_save

        from . import signals

        # An author's new name is searchable at once (names are not in the change log).
        post_save.connect(signals.author_renamed, sender=settings.AUTH_USER_MODEL)
