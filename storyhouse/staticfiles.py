"""Static files: hashed, compressed names once collected; plain names before that."""

import os
from collections.abc import Iterable, Iterator

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

    def compress_files(self, paths: Iterable[str]) -> Iterator[tuple[str, str]]:
        # whitenoise compresses every file on every run, seconds at each start of `storyhouse
        # serve`. A hashed name's content is fixed by its name, so a compressed copy of it is
        # done for good; a plain name's is done while it is as new as the file.
        hashed = set(self.hashed_files.values())
        return super().compress_files(
            [path for path in paths if not self._compressed(path, path in hashed)]
        )

    def _compressed(self, name: str, hashed: bool) -> bool:
        full = self.path(name)
        try:
            source = os.stat(full)
            with open(full + ".gz", "rb") as compressed:
                made = os.fstat(compressed.fileno()).st_mtime
                # A gzip file ends with the size of what it holds: a copy cut short (a run
                # stopped halfway) is made again.
                compressed.seek(-4, os.SEEK_END)
                whole = int.from_bytes(compressed.read(4), "little") == source.st_size % 2**32
        except OSError:
            return False
        # whitenoise gives the compressed copy the file's mtime
        return whole and (hashed or made >= source.st_mtime - 0.001)
