"""Mail settings as an operator sets them: shown on the console by default, written to files
on request, sent through SMTP once EMAIL_HOST is given."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMES = [
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "EMAIL_FILE_PATH",
    "DEFAULT_FROM_EMAIL",
    "LOGIN_URL",
]


def mail_settings(tmp_path: Path, **environment: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("EMAIL_")}
    env.pop("DEFAULT_FROM_EMAIL", None)
    env.update(STORYHOUSE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="storyhouse.settings")
    env.update(environment)
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: str(getattr(settings, name, None)) for name in {NAMES!r}}}))"
    )
    done = subprocess.run(  # noqa: S603 (our own interpreter, our own code)
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_without_a_mail_server_mail_shows_on_the_console(tmp_path):
    found = mail_settings(tmp_path)
    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert found["DEFAULT_FROM_EMAIL"] == "Storyhouse <noreply@localhost>"
    assert found["LOGIN_URL"] == "accounts:login"


def test_mail_can_be_written_to_files_under_var(tmp_path):
    found = mail_settings(
        tmp_path, EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend"
    )
    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert found["EMAIL_FILE_PATH"] == str(tmp_path / "mail")


def test_with_a_mail_server_mail_goes_through_smtp(tmp_path):
    found = mail_settings(
        tmp_path,
        EMAIL_HOST="smtp.example.org",
        EMAIL_HOST_USER="stories",
        EMAIL_HOST_PASSWORD="secret",
        DEFAULT_FROM_EMAIL="Stories <stories@example.org>",
    )
    assert found["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (found["EMAIL_HOST"], found["EMAIL_PORT"]) == ("smtp.example.org", "587")
    assert (found["EMAIL_HOST_USER"], found["EMAIL_HOST_PASSWORD"]) == ("stories", "secret")
    assert (found["EMAIL_USE_TLS"], found["EMAIL_USE_SSL"]) == ("True", "False")
    assert found["DEFAULT_FROM_EMAIL"] == "Stories <stories@example.org>"


def test_implicit_tls_takes_its_own_port(tmp_path):
    found = mail_settings(tmp_path, EMAIL_HOST="smtp.example.org", EMAIL_USE_SSL="true")
    assert (found["EMAIL_PORT"], found["EMAIL_USE_TLS"], found["EMAIL_USE_SSL"]) == (
        "465",
        "False",
        "True",
    )
