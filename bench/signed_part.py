"""CPU time per request of the part page for a signed-in reader, through the real WSGI handler.

Run `python -m bench.signed_part`. It sets up (once) a SQLite database of its own under
var/bench-signed/ (migrate, collectstatic, the sample story, `--stories` demo books, a few
comments with replies on the sample part, and a reader who has voted for it and has an
unread notification), signs the reader in, then times `--requests` GETs of the sample part
page through the page cache's WSGI layer in front of Django's handler, as storyhouse/wsgi.py
serves it (`--django`: Django's handler alone, middleware included), with a prepared environ
and the reader's session and CSRF cookies, this process following the change log as
`storyhouse serve` does (so shared fragments and the signed-in shell are kept;
`--no-fragments` renders everything every time). It prints
the process CPU time per request (steadier than wall time on a shared machine), the wall
time, and the queries per request. `--profile` runs the same requests under pyinstrument
(pip install pyinstrument) and prints the profile. Set DB_CONN_MAX_AGE to keep database
connections between requests.

The session cookie and the page's address are printed too, for a run of wrk against
`storyhouse serve --workers 2` on the same database (STORYHOUSE_VAR_DIR=var/bench-signed).
"""

import argparse
import io
import os
import sys
import time
from pathlib import Path

VAR_DIR = Path(__file__).resolve().parent.parent / "var" / "bench-signed"
READER = "bench-reader"
COMMENTS = 12  # threads on the sample part, each with two replies


def setup_database(stories: int) -> str:
    """Everything the page shows, made once; returns the sample part's address."""
    from django.core.management import call_command

    from storyhouse.accounts.models import User
    from storyhouse.demo import SAMPLE_PAGE
    from storyhouse.engagement import services
    from storyhouse.engagement.models import Comment
    from storyhouse.stories.importers import read_book
    from storyhouse.stories.imports import book_import, import_account

    call_command("migrate", interactive=False, verbosity=0)
    # As `storyhouse serve` does: hashed static names come from the manifest.
    call_command("collectstatic", interactive=False, verbosity=0)
    (result,) = book_import(read_book(SAMPLE_PAGE), author=import_account())
    part = result.part
    from storyhouse.demo.corpus import demo_story_count, load_corpus

    if demo_story_count() < stories:
        load_corpus(stories)
    reader, created = User.objects.get_or_create(
        username=READER, defaults={"email": "reader@example.com", "email_verified": True}
    )
    if created:
        others = [
            User.objects.create(
                username=f"bench-commenter-{n}", email=f"c{n}@example.com", email_verified=True
            )
            for n in range(3)
        ]
        if not Comment.objects.filter(part=part).exists():
            for n in range(COMMENTS):
                root = services.comment_post(
                    author=others[n % 3], part=part, body=f"Comment {n}: what a chapter."
                )
                reply = services.comment_post(
                    author=reader, part=part, body="I agree!", parent=root
                )
                services.comment_post(author=others[0], part=part, body="Me too.", parent=reply)
        services.vote_toggle(user=reader, part=part, voted=True)
        services.library_add(user=reader, story=part.story)
        # A notification for the reader: a reply to their comment.
        services.comment_post(
            author=others[1],
            part=part,
            body="Thank you.",
            parent=Comment.objects.filter(author=reader).first(),
        )
    return part.get_absolute_url()


def session_cookie() -> str:
    from django.conf import settings
    from django.test import Client

    from storyhouse.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=READER))
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def environ_for(url: str, cookie: str) -> dict:
    from django.conf import settings

    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": url,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36",
        "HTTP_ACCEPT": "text/html",
        "HTTP_COOKIE": f"{settings.SESSION_COOKIE_NAME}={cookie}; {settings.CSRF_COOKIE_NAME}="
        + "b" * 32,
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def request(application, environ: dict) -> tuple[str, bytes]:
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status

    body = application(dict(environ, **{"wsgi.input": io.BytesIO(b"")}), start_response)
    try:
        content = b"".join(body)
    finally:
        if hasattr(body, "close"):
            body.close()
    return answer["status"], content


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.signed_part")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--stories", type=int, default=50, help="demo books in the database")
    parser.add_argument(
        "--no-fragments",
        dest="fragments",
        action="store_false",
        help="render everything for every request (no shared fragment caches)",
    )
    parser.add_argument(
        "--django",
        action="store_true",
        help="through Django's handler alone, not the page cache's WSGI layer in front of it",
    )
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile")
    args = parser.parse_args(argv)

    os.environ["STORYHOUSE_VAR_DIR"] = str(VAR_DIR)
    os.environ["DATABASE_URL"] = f"sqlite:///{VAR_DIR}/storyhouse.sqlite3"
    os.environ["DJANGO_SETTINGS_MODULE"] = "storyhouse.settings"
    os.environ.setdefault("SEARCH_INDEX", "false")
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = setup_database(args.stories)
    cookie = session_cookie()
    if args.fragments:
        # As `storyhouse serve` does: follow the change log, so shared fragments are kept.
        from storyhouse.pagecache import versions

        versions.start()
        while versions.process_versions().floor is None:
            time.sleep(0.01)
    application = WSGIHandler()
    if not args.django:  # as storyhouse/wsgi.py serves it
        from storyhouse.pagecache.app import PageCacheApp

        application = PageCacheApp(application)
    environ = environ_for(url, cookie)
    for _ in range(20):  # warm up: templates compiled, caches filled
        status, content = request(application, environ)
        if not status.startswith("200"):
            raise SystemExit(f"{url} answered {status}")
    if b"Log out" not in content:
        raise SystemExit("the page was not served to a signed-in reader")
    with CaptureQueriesContext(connection) as captured:
        request(application, environ)
    queries = [query["sql"] for query in captured]

    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0002)
        profiler.start()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(args.requests):
        request(application, environ)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if args.profile:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))

    n = args.requests
    print(f"signed-in part page: {url}")
    print(f"  {cpu / n * 1000:.2f} ms CPU per request ({n / cpu:,.0f} req/s per core)")
    print(f"  {wall / n * 1000:.2f} ms wall per request")
    print(f"  {len(queries)} queries per request, {len(content):,} bytes")
    for sql in queries:
        print(f"    {sql[:150]}")
    print(f"  session cookie: sessionid={cookie}")


if __name__ == "__main__":
    main()
