"""Every EPUB Storyhouse wrote during this test run passes epubcheck, with no error and no
warning: the odd books of the download, OPDS, API, import and your-data tests too, not only
the ones made to be checked. Named to run last; with a subset of the tests it checks the
EPUBs that subset made."""

from tests.export_books import epubcheck_problems
from tests.helpers import needs_tool


@needs_tool("epubcheck", "epubcheck")
def test_every_epub_written_in_the_tests_passes_epubcheck(epubs_written):
    files = sorted(epubs_written.glob("*.epub"))
    problems = {name: found for name, found in epubcheck_problems(*files).items() if found}
    assert problems == {}, f"{len(problems)} of {len(files)} EPUBs have problems"
    print(f"{len(files)} EPUBs checked")
