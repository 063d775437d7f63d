"""Django settings for celltrial.

SQLite (WAL) is the embedded default; PostgreSQL via ``DATABASE_URL`` in production and CI.
Everything a deployment changes comes from the environment.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("CELLTRIAL_DATA_DIR", Path.cwd() / "var"))
CELLTRIAL_DATA_DIR = DATA_DIR

DEBUG = os.environ.get("CELLTRIAL_DEBUG", "") == "1"
SECRET_KEY = os.environ.get("CELLTRIAL_SECRET_KEY", "")
if not SECRET_KEY:
    # An embedded install keeps a generated key beside its database so sessions survive restarts.
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        SECRET_KEY = key_file.read_text().strip()
    else:
        import secrets

        SECRET_KEY = secrets.token_urlsafe(50)
        try:
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            key_file.write_text(SECRET_KEY)
            key_file.chmod(0o600)
        except OSError:
            pass

ALLOWED_HOSTS = [h for h in os.environ.get("CELLTRIAL_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "django_htmx",
    "ninja",
    # Layers, bottom to top (DESIGN.md): core, audit, accounts, the rooms, then web and api.
    "celltrial.core",
    "celltrial.audit",
    "celltrial.accounts",
    "celltrial.study",
    "celltrial.inspection",
    "celltrial.participants",
    "celltrial.product",
    "celltrial.escalation",
    "celltrial.capture",
    "celltrial.capture.quality",
    "celltrial.labs",
    "celltrial.safety",
    "celltrial.web",
    "celltrial.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "celltrial.web.middleware.RefuseControlCharactersMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "celltrial.accounts.middleware.IdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "celltrial.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "celltrial.web.context.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "celltrial.wsgi.application"

_default_sqlite = f"sqlite:///{DATA_DIR / 'celltrial.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(os.environ.get("DATABASE_URL", _default_sqlite), conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # recursive_triggers: a REPLACE conflict fires the DELETE triggers that guard the audit trail.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000; "
                        "PRAGMA recursive_triggers=ON;",
        "transaction_mode": "IMMEDIATE",
    }
# PostgreSQL in production: DATABASE_URL is the runtime role the platform serves as (it may not alter,
# update or delete the audit trail); the owner of the tables, used only by `celltrial init` to migrate and
# to set up that role, comes from CELLTRIAL_OWNER_DATABASE_URL, set in the environment of that command
# alone (docs/audit.md).
_owner_url = os.environ.get("CELLTRIAL_OWNER_DATABASE_URL", "")
if _owner_url:
    DATABASES["owner"] = dj_database_url.parse(_owner_url)
    DATABASES["owner"]["TEST"] = {"MIRROR": "default"}

# Sealing the audit trail (docs/audit.md): the Ed25519 signing key and the checkpoint log live outside the
# database; in production put them on storage the database's owner cannot write.
CELLTRIAL_SEAL_KEY_FILE = Path(os.environ.get("CELLTRIAL_SEAL_KEY_FILE", DATA_DIR / "audit-seal.key"))
CELLTRIAL_SEAL_LOG = Path(os.environ.get("CELLTRIAL_SEAL_LOG", DATA_DIR / "audit-checkpoints.jsonl"))
# The public key `audit verify` trusts; by default the one derived from the signing key above.
CELLTRIAL_SEAL_PUBLIC_KEY_FILE = os.environ.get("CELLTRIAL_SEAL_PUBLIC_KEY_FILE", "")
CELLTRIAL_SEAL_EVERY_MINUTES = int(os.environ.get("CELLTRIAL_SEAL_EVERY_MINUTES", "5"))
# An entry dated this long before the last checkpoint, yet not covered by it, is reported as forged or
# backdated (a writer's transaction can commit a little after the seal has read the heads).
CELLTRIAL_SEAL_GRACE_SECONDS = int(os.environ.get("CELLTRIAL_SEAL_GRACE_SECONDS", "600"))

# The worker (huey): scheduled and long work. Embedded default: a SQLite queue in the data directory, no
# server to run; production: Redis (CELLTRIAL_WORKER_REDIS_URL). `celltrial worker` runs the consumer and
# `celltrial serve` starts it beside the web server.
_worker_redis = os.environ.get("CELLTRIAL_WORKER_REDIS_URL", "")
if _worker_redis:
    HUEY: dict[str, object] = {"huey_class": "huey.RedisHuey", "url": _worker_redis}
else:
    with contextlib.suppress(OSError):  # a read-only data directory is reported by the system check
        DATA_DIR.mkdir(parents=True, exist_ok=True)
    HUEY = {"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "worker.sqlite3")}
HUEY.update({
    "name": os.environ.get("CELLTRIAL_WORKER_QUEUE", "celltrial"),
    "results": False,
    "utc": True,
    "immediate": os.environ.get("CELLTRIAL_WORKER_IMMEDIATE", "") == "1",
    "consumer": {"workers": int(os.environ.get("CELLTRIAL_WORKER_THREADS", "2")), "worker_type": "thread",
                 "periodic": True, "check_worker_health": True},
})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["celltrial.accounts.backends.LockoutBackend"]

# Account lockout and idle timeout (21 CFR Part 11 §11.300 style controls).
CELLTRIAL_LOCKOUT_THRESHOLD = int(os.environ.get("CELLTRIAL_LOCKOUT_THRESHOLD", "5"))
CELLTRIAL_LOCKOUT_MINUTES = int(os.environ.get("CELLTRIAL_LOCKOUT_MINUTES", "30"))
CELLTRIAL_IDLE_TIMEOUT_SECONDS = int(os.environ.get("CELLTRIAL_IDLE_TIMEOUT_SECONDS", str(15 * 60)))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = os.environ.get("CELLTRIAL_SECURE_COOKIES", "") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "celltrial.web.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
# Sites carry their own zone; this is the display default (Beijing for the first trial).
CELLTRIAL_DEFAULT_SITE_TZ = os.environ.get("CELLTRIAL_SITE_TZ", "Asia/Shanghai")

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CELLTRIAL_LOG_LEVEL", "WARNING")},
    # The worker says what it runs (seals, reminders); one handler, so huey does not add a second one.
    "loggers": {"huey": {"handlers": ["console"], "level": os.environ.get("CELLTRIAL_WORKER_LOG_LEVEL", "INFO"),
                         "propagate": False}},
}
