"""deploy/nginx.conf, checked with `nginx -t`, in front of a real `storyhouse serve`: HTTPS,
static files and covers from disk with far-future caching, uploads over the limit refused, and
Django seeing that visitors come over HTTPS."""

import gzip
import http.client
import os
import re
import signal
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from tests.browsing import Browser, eventually, page_showing, publish_book, storyhouse_command
from tests.helpers import OWN_SQLITE_SITE, needs_tool
from tests.test_serve import free_port, isolated_env

pytestmark = [needs_tool("nginx", "nginx-light"), needs_tool("openssl", "openssl")]

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "deploy" / "nginx.conf"
NGINX = "nginx"
YEAR = "public, max-age=31536000, immutable"


def site_config(
    *, http_port: int, https_port: int, app_port: int, cert: Path, key: Path, var: Path
) -> str:
    """The shipped file with what its comments tell an operator to change."""
    text = SHIPPED.read_text()
    changes = {
        "server_name example.org;": "server_name 127.0.0.1;",
        "/etc/letsencrypt/live/example.org/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/example.org/privkey.pem": str(key),
        "/srv/storyhouse/var/static/": f"{var}/static/",
        "/srv/storyhouse/var/media/": f"{var}/media/",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{https_port} ssl http2;",
    }
    for old, new in changes.items():
        assert old in text, f"deploy/nginx.conf no longer says {old!r}"
        text = text.replace(old, new)
    # This test listens on 127.0.0.1 only.
    return re.sub(r"^\s*listen \[::\]:.*$", "", text, flags=re.MULTILINE)


def main_config(prefix: Path, site: Path) -> str:
    """Around the site: what Debian's /etc/nginx/nginx.conf holds, in a folder of its own."""
    temp = "\n".join(
        f"    {kind}_temp_path {prefix}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # Run as root (CI), the workers would be `nobody`, who may not read pytest's folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (
        f"{user}daemon off;\nworker_processes 1;\npid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/error.log warn;\nevents {{ worker_connections 256; }}\n"
        f"http {{\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
        f"    access_log off;\n{temp}\n    include {site};\n}}\n"
    )


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(  # noqa: S603
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]  # noqa: S607
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def nginx(prefix: Path, *args: str) -> list[str]:
    return [NGINX, "-p", str(prefix), "-e", str(prefix / "error.log"), *args]


@dataclass
class Site:
    https: str
    http_port: int
    https_port: int
    cert: Path
    var: Path
    book: str
    part: str

    def browser(self) -> Browser:
        return Browser(cafile=str(self.cert))


@pytest.fixture
def site(tmp_path) -> Iterator[Site]:
    var, prefix = tmp_path / "var", tmp_path / "nginx"
    var.mkdir()
    prefix.mkdir()
    app_port, http_port, https_port = free_port(), free_port(), free_port()
    cert, key = self_signed_certificate(tmp_path)
    (prefix / "storyhouse.conf").write_text(
        site_config(
            http_port=http_port,
            https_port=https_port,
            app_port=app_port,
            cert=cert,
            key=key,
            var=var,
        )
    )
    (prefix / "nginx.conf").write_text(main_config(prefix, prefix / "storyhouse.conf"))
    # What an operator runs after changing the file.
    checked = subprocess.run(  # noqa: S603
        nginx(prefix, "-t", "-c", str(prefix / "nginx.conf")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr

    env = isolated_env(var)
    env.update(HTTPS="true", PROXY_COUNT="1", ALLOWED_HOSTS="127.0.0.1", SECRET_KEY="x" * 60)
    env.pop("DEBUG", None)
    command = storyhouse_command()
    run = {"env": env, "check": True, "timeout": 120, "capture_output": True}
    subprocess.run([*command, "migrate", "-v", "0"], **run)  # noqa: S603
    make_writer = (
        "from storyhouse.accounts.models import User; User.objects.create_user("
        "'mira', 'mira@example.org', 'a long walk by the sea')"
    )
    subprocess.run([*command, "shell", "-c", make_writer], **run)  # noqa: S603
    app = subprocess.Popen(  # noqa: S603 (our own command)
        [*command, "serve", "--port", str(app_port), "--workers", "1", "--no-worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    proxy = subprocess.Popen(  # noqa: S603
        nginx(prefix, "-c", str(prefix / "nginx.conf")),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        https = f"https://127.0.0.1:{https_port}"
        writer = Browser(cafile=str(cert))

        def home() -> bool:
            assert app.poll() is None, app.communicate()[0]
            assert proxy.poll() is None, proxy.communicate()[1]
            try:
                return writer.get(f"{https}/").status == 200  # 502 until Storyhouse listens
            except OSError:  # nginx not listening yet
                return False

        assert eventually(home, seconds=60), (prefix / "error.log").read_text()
        writer.sign_in(https, "mira", "a long walk by the sea")
        book, part = publish_book(
            writer,
            https,
            title="Harbour Lights",
            trope="Night Ferries",
            part_title="Low Tide",
            body="The ferry came in *late*.",
        )
        yield Site(https, http_port, https_port, cert, var, book, part)
    finally:
        proxy.send_signal(signal.SIGQUIT)
        app.send_signal(signal.SIGINT)
        for process in (proxy, app):
            try:
                process.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


def plain_http_is_sent_to_https(site: Site) -> None:
    page = site.browser().get(f"http://127.0.0.1:{site.http_port}/search/?q=tide")
    assert page.status == 301
    assert page.headers["Location"] == "https://127.0.0.1/search/?q=tide"


def a_guest_reads_the_home_book_and_part_pages_over_https(site: Site) -> None:
    guest = site.browser()
    home = guest.get(f"{site.https}/")
    assert home.status == 200
    # Django knows the visit came over HTTPS: it asks browsers to keep to HTTPS.
    assert home.headers["Strict-Transport-Security"].startswith("max-age=")
    assert page_showing(guest, site.book, "Harbour Lights")
    assert page_showing(guest, site.part, "The ferry came in <em>late</em>.")


def signing_in_over_https_gives_secure_cookies_and_passes_the_csrf_check(site: Site) -> None:
    reader = site.browser()
    login = reader.get(f"{site.https}/accounts/login/")
    assert reader.cookie("csrftoken").secure
    signed_in = reader.submit(login.form().fill(username="mira", password="a long walk by the sea"))
    assert signed_in.status == 302  # a CSRF failure would be a 403
    assert reader.cookie("sessionid").secure
    assert "Your desk" in reader.get(f"{site.https}/desk/").text


def hashed_static_files_come_compressed_from_nginx_with_a_year_of_caching(site: Site) -> None:
    guest = site.browser()
    home = guest.get(f"{site.https}/").text
    stylesheet = re.search(r'href="(/static/storyhouse/storyhouse\.[0-9a-f]{12}\.css)"', home)
    assert stylesheet, home[:2000]
    collected = site.var / stylesheet[1].lstrip("/")
    on_disk = collected.read_bytes()

    compressed = guest.get(site.https + stylesheet[1], **{"Accept-Encoding": "gzip"})
    assert compressed.status == 200
    # Storyhouse (whitenoise) would say max-age=315360000: this answer is nginx's own.
    assert compressed.headers["Cache-Control"] == YEAR
    assert compressed.headers["Content-Encoding"] == "gzip"
    assert compressed.headers["Vary"] == "Accept-Encoding"
    # The file collectstatic compressed, not one compressed on the fly.
    assert compressed.body == collected.with_name(collected.name + ".gz").read_bytes()
    assert gzip.decompress(compressed.body) == on_disk

    plain = guest.get(site.https + stylesheet[1])
    assert plain.headers.get("Content-Encoding") is None
    assert plain.body == on_disk


def covers_come_from_nginx_as_images_only(site: Site) -> None:
    covers = site.var / "media" / "covers"
    covers.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (4, 6), "navy").save(covers / "k3j9x2.png")
    (covers / "k3j9x2.html").write_text("<script>alert(1)</script>")
    guest = site.browser()

    cover = guest.get(f"{site.https}/media/covers/k3j9x2.png")
    assert cover.status == 200
    assert cover.headers["Content-Type"] == "image/png"
    assert cover.headers["Cache-Control"] == YEAR
    assert cover.headers["X-Content-Type-Options"] == "nosniff"
    assert cover.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert cover.body == (covers / "k3j9x2.png").read_bytes()
    assert guest.get(f"{site.https}/media/covers/k3j9x2.html").status == 404


def an_upload_over_the_limit_is_refused_before_it_reaches_storyhouse(site: Site) -> None:
    context = ssl.create_default_context(cafile=str(site.cert))
    connection = http.client.HTTPSConnection("127.0.0.1", site.https_port, context=context)
    try:
        # nginx answers from the announced length, before the body is sent.
        connection.putrequest("POST", "/desk/import/")
        connection.putheader("Content-Type", "multipart/form-data; boundary=x")
        connection.putheader("Content-Length", str(50 * 1024 * 1024 + 1))
        connection.endheaders()
        assert connection.getresponse().status == 413
    finally:
        connection.close()


@OWN_SQLITE_SITE
def test_nginx_in_front_of_storyhouse(site):
    # One test, not several: each would start its own nginx and Storyhouse.
    plain_http_is_sent_to_https(site)
    a_guest_reads_the_home_book_and_part_pages_over_https(site)
    signing_in_over_https_gives_secure_cookies_and_passes_the_csrf_check(site)
    hashed_static_files_come_compressed_from_nginx_with_a_year_of_caching(site)
    covers_come_from_nginx_as_images_only(site)
    an_upload_over_the_limit_is_refused_before_it_reaches_storyhouse(site)
