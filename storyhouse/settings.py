"""Storyhouse settings: one file, read from environment variables, with safe local defaults."""

import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("STORYHOUSE_VAR_DIR", BASE_DIR / "var"))


def envbool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def development_secret_key() -> str:
    """A key generated once into var/, so that a local install needs no set-up."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = envbool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or development_secret_key()
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")
SITE_NAME = os.environ.get("SITE_NAME", "Storyhouse")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "storyhouse.accounts",
    "storyhouse.stories",
    "storyhouse.engagement",
    "storyhouse.discovery",
    "storyhouse.moderation",
    "storyhouse.community",
    "storyhouse.boundaries",
    "storyhouse.stats",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "storyhouse.accounts.middleware.PersonalTokenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "storyhouse.ratelimit.RateLimitMiddleware",
    "storyhouse.engagement.middleware.ReaderCookieMiddleware",
]

ROOT_URLCONF = "storyhouse.urls"
WSGI_APPLICATION = "storyhouse.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "storyhouse" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "storyhouse.context_processors.site",
                "storyhouse.engagement.context_processors.notifications",
                "storyhouse.pagecache.slots.shell_context",  # last: it overrides in shells
            ],
            "libraries": {"personal": "storyhouse.pagecache.slots"},
        },
    },
]

# Database: SQLite in WAL mode under var/ unless DATABASE_URL says otherwise.
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'storyhouse.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 0))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write
        # lock at BEGIN so concurrent writers wait (busy timeout) instead of failing.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": envint("SQLITE_BUSY_TIMEOUT", 20),
        "transaction_mode": "IMMEDIATE",
    }
# Outages (storyhouse/outage.py): a connection kept between requests (DB_CONN_MAX_AGE) is
# checked before a request reuses it, so the first request after the database comes back
# opens a fresh one instead of failing on a connection that died meanwhile.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = envbool("DB_HEALTH_CHECKS", True)
# PostgreSQL: each web process keeps a pool of open connections (psycopg_pool), so a request
# does not pay for connecting. The pool is sized for granian's threads in one worker (serve.py:
# two per core, plus one) and for the background threads (search index, ...) that keep one each.
# A request that gets no connection within DB_POOL_TIMEOUT seconds fails rather than hang.
# Connections are checked before use, so the pool recovers by itself when the database restarts.
# While it is away the pool retries less and less often; DB_POOL_RECONNECT_TIMEOUT caps that
# (then the next request starts afresh), or the site would stay down about as long again.
DB_POOL = envbool("DB_POOL", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and DB_POOL:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps connections open, not Django
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # the pool's ConnectionPool.check_connection
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": envint("DB_POOL_MIN_SIZE", 2),
        "max_size": envint("DB_POOL_MAX_SIZE", 2 * (os.cpu_count() or 1) + 1 + 4),
        "timeout": envint("DB_POOL_TIMEOUT", 2),
        "reconnect_timeout": envint("DB_POOL_RECONNECT_TIMEOUT", 10),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "storyhouse",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions: with Redis, read through the cache and written to the database as well, so that
# every process and host shares them and they outlive a Redis restart (Redis keeps nothing on
# disk here). A Redis that stops answering fails requests after a few seconds, never hangs them.
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    CACHES["default"]["OPTIONS"] = {
        "socket_connect_timeout": envint("REDIS_TIMEOUT", 3),
        "socket_timeout": envint("REDIS_TIMEOUT", 3),
    }

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"

LANGUAGE_CODE = "en"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "storyhouse" / "static"]  # the project's own: CSS, comfort.js
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "/media/"
# Several hosts serving one site share one MEDIA_ROOT (covers), e.g. on a network file system.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or VAR_DIR / "media")
# Books as EPUB, HTML and Markdown, built once per edit (storyhouse.stories.exporters).
EXPORTS_ROOT = VAR_DIR / "exports"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "storyhouse.staticfiles.StaticFilesStorage"},
}
# Before collectstatic has run (development, tests), files are served from the app folders.
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False
WHITENOISE_MAX_AGE = 3600

# Production behind HTTPS: HTTPS=true turns on the settings `manage.py check --deploy` asks for.
HTTPS = envbool("HTTPS", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
# `preload` only offers the domain to browsers' preload lists: nothing changes until someone
# submits it at hstspreload.org. HSTS_PRELOAD=false leaves the offer out.
SECURE_HSTS_PRELOAD = envbool("HSTS_PRELOAD", HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# The guest reader cookie: a random first-party id, so reads count once per reader per day.
READER_COOKIE_NAME = "storyhouse_reader"
READER_COOKIE_MAX_AGE = 60 * 60 * 24 * 365 * 2

# Accounts: sign-in, email and login throttling.
AUTHENTICATION_BACKENDS = ["storyhouse.accounts.backends.AccountBackend"]
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Without EMAIL_HOST mail is not sent but shown on the console, or written to files under
# var/mail with EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", not EMAIL_USE_SSL)
    EMAIL_PORT = envint("EMAIL_PORT", 465 if EMAIL_USE_SSL else 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20)
else:
    EMAIL_BACKEND = os.environ.get(
        "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
    )
    EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# How long the link that confirms an email address works.
EMAIL_VERIFICATION_MAX_AGE = 60 * 60 * 24 * 3
# Failed logins: this many per client address and per username are free; after them each
# further attempt waits twice as long as the one before, up to LOGIN_MAX_WAIT seconds.
LOGIN_FREE_ATTEMPTS = envint("LOGIN_FREE_ATTEMPTS", 5)
LOGIN_MAX_WAIT = envint("LOGIN_MAX_WAIT", 15 * 60)
# How many proxies in front of Storyhouse add to X-Forwarded-For: behind one (nginx,
# Caddy), PROXY_COUNT=1 makes the client address the one that proxy saw.
PROXY_COUNT = envint("PROXY_COUNT", 0)
# Mail the site sends on request, per hour: new accounts per client address, and password
# reset links per email address (four times as many per client address).
SIGNUPS_PER_HOUR = envint("SIGNUPS_PER_HOUR", 10)
PASSWORD_RESETS_PER_HOUR = envint("PASSWORD_RESETS_PER_HOUR", 3)
# Rate limits (storyhouse.ratelimit), counted in the cache per account and per client
# address; an address may do ten times what one account may (people share addresses).
# Sign-in attempts per client address per minute, failed or not (failed ones also slow down,
# see LOGIN_FREE_ATTEMPTS).
SIGNINS_PER_MINUTE = envint("SIGNINS_PER_MINUTE", 60)
COMMENTS_PER_MINUTE = envint("COMMENTS_PER_MINUTE", 10)
VOTES_PER_MINUTE = envint("VOTES_PER_MINUTE", 60)
REPORTS_PER_HOUR = envint("REPORTS_PER_HOUR", 20)
# Who may make an account: "open" (anyone), "invite" (people leave their email address in a
# queue and moderators send them a sign-up link), "closed" (nobody; admins add accounts).
STORYHOUSE_SIGNUP = os.environ.get("STORYHOUSE_SIGNUP", "open").strip().lower() or "open"
if STORYHOUSE_SIGNUP not in {"open", "invite", "closed"}:
    raise ValueError("STORYHOUSE_SIGNUP must be open, invite or closed")
# Invite mode: requests to join the queue per client address per hour, and how long the
# sign-up link an invitation sends works (seconds).
SIGNUP_REQUESTS_PER_HOUR = envint("SIGNUP_REQUESTS_PER_HOUR", 5)
INVITATION_MAX_AGE = envint("INVITATION_MAX_AGE", 60 * 60 * 24 * 14)

# Readers: votes, comments, library, follows and notifications.
# The address emails link to (unsubscribe links, notifications): where people reach the site.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# The hour (local time, TIME_ZONE) at which daily notification digests go out.
DIGEST_HOUR = envint("DIGEST_HOUR", 7)
# Tests on SQLite use a file of their own, as production does, rather than a shared in-memory
# database: there, threads writing at once fail with "table is locked" instead of waiting
# their turn (busy timeout), so concurrency tests could not run. One file per test process.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"storyhouse-test-{os.getpid()}.sqlite3")
    }

# Search: each web process keeps an in-memory filter index (storyhouse.discovery.index), built
# in the background at start and following the change log; off, searches ask the database.
SEARCH_INDEX = envbool("SEARCH_INDEX", True)

# The guest page cache (storyhouse.pagecache): pages guests see are kept rendered, in each
# process and in Redis when REDIS_URL is set, and answered before Django runs. A change to
# what a page shows drops it at once; PAGE_CACHE_MAX_AGE only bounds how old its read
# counts and rankings may be. Versions follow the change log every POLL_SECONDS.
PAGE_CACHE = envbool("PAGE_CACHE", True)
PAGE_CACHE_MAX_AGE = envint("PAGE_CACHE_MAX_AGE", 60)
PAGE_CACHE_POLL_SECONDS = float(os.environ.get("PAGE_CACHE_POLL_SECONDS") or 0.1)
PAGE_CACHE_ENTRIES = envint("PAGE_CACHE_ENTRIES", 2000)

# Signed-in pages: what is the same for every reader (a part's text, its comment threads) is
# rendered once and shared (storyhouse.pagecache.fragments), on the page cache's versions.
# How many fragments each process keeps; 0 renders everything for every request.
FRAGMENT_CACHE_ENTRIES = envint("FRAGMENT_CACHE_ENTRIES", 500)
# A signed-in reader's part page is filled in at the WSGI entry from a shell shared by every
# reader (storyhouse.pagecache.personal), with what each process keeps of this many readers.
PERSONAL_CACHE_READERS = envint("PERSONAL_CACHE_READERS", 10_000)

# Reads (one reader opened one part on one day) are held in each web process and written in
# batches every READS_FLUSH_SECONDS (storyhouse.engagement.read_buffer), so a page view costs
# no database write; a graceful stop writes what is held. Off: each read is written at once.
READS_BUFFERED = envbool("READS_BUFFERED", True)
READS_FLUSH_SECONDS = float(os.environ.get("READS_FLUSH_SECONDS") or 0.25)

# The API (/api/): requests per minute per personal token, or per client address without one.
API_READS_PER_MINUTE = envint("API_READS_PER_MINUTE", 600)
API_WRITES_PER_MINUTE = envint("API_WRITES_PER_MINUTE", 60)

# The desk's import form: the most bytes and files one upload may carry. A proxy in front
# should refuse larger requests before they arrive (nginx: client_max_body_size).
IMPORT_UPLOAD_MAX_SIZE = envint("IMPORT_UPLOAD_MAX_SIZE", 50 * 1024 * 1024)
IMPORT_UPLOAD_MAX_FILES = envint("IMPORT_UPLOAD_MAX_FILES", 50)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
