"""The full-text table: an FTS5 virtual table on SQLite, a tsvector column with a GIN index on
PostgreSQL (`fulltext.py` reads and writes both), and the cursor following the change log."""

from django.db import migrations, models


class RunSQLFor(migrations.RunSQL):
    """RunSQL on one database vendor only; the other vendor's statement does the same job."""

    def __init__(self, vendor: str, sql: str, reverse_sql: str) -> None:
        super().__init__(sql, reverse_sql)
        self.vendor = vendor

    def deconstruct(self):
        return (
            self.__class__.__qualname__,
            [],
            {"vendor": self.vendor, "sql": self.sql, "reverse_sql": self.reverse_sql},
        )

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    initial = True

    dependencies: list = []

    operations = [
        migrations.CreateModel(
            name="TextCursor",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("last_change_id", models.BigIntegerField(default=0)),
            ],
        ),
        # rowid is the story id. remove_diacritics: "cafe" finds "café".
        RunSQLFor(
            "sqlite",
            sql="CREATE VIRTUAL TABLE discovery_storytext USING fts5("
            "title, tags, authors, description, tokenize = 'unicode61 remove_diacritics 2')",
            reverse_sql="DROP TABLE discovery_storytext",
        ),
        # 'simple' (lower case, no stemming, no stop words) rather than 'english': books are
        # written in many languages, and English stemming mangles names and other tongues.
        RunSQLFor(
            "postgresql",
            sql=[
                "CREATE TABLE discovery_storytext ("
                "story_id bigint PRIMARY KEY, document tsvector NOT NULL)",
                "CREATE INDEX discovery_storytext_document ON discovery_storytext "
                "USING gin (document)",
            ],
            reverse_sql="DROP TABLE discovery_storytext",
        ),
    ]
