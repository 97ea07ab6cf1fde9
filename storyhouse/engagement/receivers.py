"""What engagement does when other apps tell it something happened."""

from django.dispatch import receiver

from storyhouse.stories.models import Part
from storyhouse.stories.signals import part_published

from . import services


@receiver(part_published, dispatch_uid="engagement.notify_new_part")
def notify_readers_of_new_part(sender: object, part: Part, **kwargs: object) -> None:
    services.notify_new_part(part=part)
