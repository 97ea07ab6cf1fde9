from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "storyhouse.community"
    label = "community"
    verbose_name = "Community"
