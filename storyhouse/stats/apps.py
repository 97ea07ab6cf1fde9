from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "storyhouse.stats"
    label = "stats"
    verbose_name = "Statistics for writers"
