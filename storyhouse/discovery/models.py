"""What discovery keeps in the database besides the text table (made by raw SQL in its
migration, since neither an FTS5 table nor a tsvector column is a Django model)."""

from django.db import models


class TextCursor(models.Model):
    """The last change-log id whose books the text table has caught up with: one row.

    Kept in the database, not the cache, because the text table is in the database too: the
    cursor moves in the same transaction as the rows it accounts for, so no worker, host or
    cache eviction can make them disagree (a lost cache key would replay the whole log)."""

    last_change_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"text table caught up to change {self.last_change_id}"
