"""Settings as an operator sets them: production, from the environment, passes the deploy check."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

MANAGE = Path(__file__).resolve().parent.parent / "manage.py"


def check_deploy(tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "DATABASE_URL", "REDIS_URL", "HSTS_PRELOAD", "HSTS_SECONDS"}
    }
    env.update(
        SECRET_KEY=secrets.token_urlsafe(64),
        HTTPS="true",
        ALLOWED_HOSTS="example.org",
        STORYHOUSE_VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SETTINGS_MODULE="storyhouse.settings",
    )
    env.update(overrides)
    return subprocess.run(  # noqa: S603 (our own command, our own arguments)
        [sys.executable, MANAGE, "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_from_the_environment_pass_the_deploy_check(tmp_path):
    done = check_deploy(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout
    # Production reads its secret from the environment and writes none into var/.
    assert not (tmp_path / "secret_key").exists()


def test_the_deploy_check_notices_a_site_left_in_debug_without_https(tmp_path):
    done = check_deploy(tmp_path, DEBUG="true", HTTPS="false")
    assert done.returncode != 0
    assert "security.W018" in done.stderr  # DEBUG
    assert "security.W008" in done.stderr  # SECURE_SSL_REDIRECT


def test_production_settings_with_postgresql_and_redis_pass_the_deploy_check(tmp_path):
    urls = {
        "DATABASE_URL": "postgres://storyhouse:secret@db.example.org:5432/storyhouse",
        "REDIS_URL": "redis://cache.example.org:6379/0",
    }
    done = check_deploy(tmp_path, **urls)
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout


def effective_settings(tmp_path: Path, **env: str) -> dict:
    """The settings Storyhouse runs with, given these environment variables."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DB_")}
    environment.update(
        STORYHOUSE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="storyhouse.settings", **env
    )
    show = (
        "import json; from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(json.dumps({'conn_max_age': d['CONN_MAX_AGE'], "
        "'pool': d.get('OPTIONS', {}).get('pool'), 'sessions': s.SESSION_ENGINE}))"
    )
    done = subprocess.run(  # noqa: S603 (our own interpreter, our own code)
        [sys.executable, "-c", show], env=environment, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_postgresql_connections_are_pooled_and_sessions_kept_in_redis_and_the_database(tmp_path):
    production = {
        "DATABASE_URL": "postgres://storyhouse:secret@db.example.org:5432/storyhouse",
        "REDIS_URL": "redis://cache.example.org:6379/0",
    }
    pooled = effective_settings(tmp_path, **production, DB_POOL_MAX_SIZE="12")
    assert pooled["conn_max_age"] == 0  # connections go back to the pool after each request
    assert pooled["pool"]["max_size"] == 12
    assert 0 < pooled["pool"]["timeout"] <= 10  # a request waits seconds for one, not forever
    assert pooled["sessions"] == "django.contrib.sessions.backends.cached_db"

    plain = effective_settings(tmp_path, **{**production, "DB_POOL": "false", "REDIS_URL": ""})
    assert plain["pool"] is None
    assert plain["sessions"] == "django.contrib.sessions.backends.db"
