from django.apps import AppConfig


class BoundariesConfig(AppConfig):
    name = "storyhouse.boundaries"
    label = "boundaries"
    verbose_name = "Muting and blocking"
