"""Settings as an operator sets them: production, from the environment, passes the deploy check."""

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
