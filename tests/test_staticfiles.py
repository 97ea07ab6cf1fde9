"""collectstatic (run at every start of `storyhouse serve`) compresses a file once, and again
only when it changed: the compressed copies a browser gets are always those of the file."""

import gzip
import os

from django.core.management import call_command


def collect() -> None:
    call_command("collectstatic", interactive=False, verbosity=0)


def test_a_changed_file_is_compressed_again_and_an_unchanged_one_is_left(tmp_path, settings):
    source = tmp_path / "source"
    source.mkdir()
    sheet = source / "extra.css"
    sheet.write_text("body { color: navy; }\n" * 40)
    settings.STATICFILES_DIRS = [source]
    settings.STATIC_ROOT = tmp_path / "collected"
    collect()
    plain_gz = settings.STATIC_ROOT / "extra.css.gz"
    assert gzip.decompress(plain_gz.read_bytes()) == sheet.read_bytes()
    admin_gz = next(settings.STATIC_ROOT.glob("admin/css/base.*.css.gz"))
    compressed_at = admin_gz.stat().st_mtime_ns, plain_gz.stat().st_mtime_ns

    collect()  # nothing changed: nothing compressed again
    assert (admin_gz.stat().st_mtime_ns, plain_gz.stat().st_mtime_ns) == compressed_at

    whole = admin_gz.read_bytes()  # a compressed copy cut short is made again
    admin_gz.write_bytes(whole[: len(whole) // 2])
    collect()
    assert admin_gz.read_bytes() == whole
    compressed_at = admin_gz.stat().st_mtime_ns, plain_gz.stat().st_mtime_ns

    sheet.write_text("body { color: maroon; }\n" * 40)
    later = sheet.stat().st_mtime + 5  # a later edit, whatever the clock's resolution
    os.utime(sheet, (later, later))
    collect()
    assert gzip.decompress(plain_gz.read_bytes()) == sheet.read_bytes()
    hashed = [
        path
        for path in settings.STATIC_ROOT.glob("extra.*.css.gz")
        if gzip.decompress(path.read_bytes()) == sheet.read_bytes()
    ]
    assert len(hashed) == 1
    assert admin_gz.stat().st_mtime_ns == compressed_at[0]


def test_servers_starting_at_once_collect_static_files_in_turn(tmp_path, settings):
    """Each `storyhouse serve` collects static files when it starts; two at once would replace
    each other's files mid-write. The second waits for the first."""
    import fcntl
    import threading

    from storyhouse.stories.management.commands.serve import collect_static, static_lock_path

    settings.STATIC_ROOT = tmp_path / "collected"
    settings.STATIC_ROOT.mkdir()
    done = threading.Event()

    def second_server() -> None:
        collect_static()
        done.set()

    with static_lock_path().open("w") as first_server:
        fcntl.flock(first_server, fcntl.LOCK_EX)
        thread = threading.Thread(target=second_server)
        thread.start()
        assert not done.wait(1.0)  # waits its turn...
        assert not any(settings.STATIC_ROOT.iterdir())  # ...touching nothing meanwhile
    thread.join(timeout=300)
    assert done.is_set()
    assert (settings.STATIC_ROOT / "staticfiles.json").exists()
