from django.apps import AppConfig


class StoriesConfig(AppConfig):
    name = "storyhouse.stories"
    label = "stories"
    verbose_name = "Stories"
