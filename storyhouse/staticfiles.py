"""Static files: hashed, compressed names once collected; plain names before that."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """`collectstatic` (which `storyhouse serve` runs) writes the manifest of hashed names that
    are cached far into the future. Until it has run, as in development and tests, a file not
    in the manifest keeps its plain name and whitenoise serves it from the app folders."""

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:
            return name
