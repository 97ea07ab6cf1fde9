"""A web process compiles its templates and sets its long-lived heap aside before it serves."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.template import engines

from storyhouse.warm_up import templates_compile
from tests.helpers import OWN_SQLITE_SITE

ROOT = Path(__file__).resolve().parent.parent


def test_every_template_of_ours_is_compiled_before_the_first_request():
    ours = [
        path
        for path in (ROOT / "storyhouse").rglob("templates/**/*")
        if path.is_file() and path.suffix in (".html", ".txt", ".xml")
    ]
    assert len(ours) > 100
    assert templates_compile() == len(ours)
    # What a view asks for later comes from the engine's cache of compiled templates.
    cached = engines["django"].engine.template_loaders[0]
    assert hasattr(cached, "get_template_cache"), "the cached loader is expected in front"
    assert "stories/part.html" in cached.get_template_cache


@OWN_SQLITE_SITE
def test_a_web_process_sets_its_startup_heap_aside(tmp_path):
    """storyhouse/wsgi.py ends with the heap frozen: the collector's full passes scan only
    what the process made since, not Django and everything it loaded."""
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(
        STORYHOUSE_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        DJANGO_SETTINGS_MODULE="storyhouse.settings",
    )
    probe = "import gc, storyhouse.wsgi\nprint(gc.get_freeze_count(), len(gc.get_objects()))\n"
    done = subprocess.run(  # noqa: S603 (this interpreter, our own module)
        [sys.executable, "-c", probe],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    frozen, tracked = (int(number) for number in done.stdout.split()[-2:])
    assert frozen > 50_000
    assert tracked < frozen / 10
