"""Ratings, archive warnings and categories exist from the first migration, named as AO3 names them."""

from django.db import migrations

from storyhouse.stories.archive_tags import ARCHIVE_WARNINGS, CATEGORIES, RATINGS
from storyhouse.stories.text import slugify


def create_archive_tags(apps, schema_editor):
    Tag = apps.get_model("stories", "Tag")
    TagSlug = apps.get_model("stories", "TagSlug")
    for tag_type, names in (("rating", RATINGS), ("warning", ARCHIVE_WARNINGS), ("category", CATEGORIES)):
        for name in names:
            tag = Tag.objects.create(
                name=name, slug=slugify(name), type=tag_type, canonical=True, archive_defined=True
            )
            TagSlug.objects.create(slug=tag.slug, tag=tag)


def remove_archive_tags(apps, schema_editor):
    apps.get_model("stories", "Tag").objects.filter(archive_defined=True).delete()
    apps.get_model("stories", "TagSlug").objects.filter(tag__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("stories", "0001_initial")]

    operations = [migrations.RunPython(create_archive_tags, remove_archive_tags)]
