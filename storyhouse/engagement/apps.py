from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "storyhouse.engagement"
    label = "engagement"
    verbose_name = "Engagement"
