"""Huifang settings: one file, driven by HUIFANG_* environment variables.

Without any variable set, Huifang runs on an embedded SQLite database in ``./data`` (WAL mode,
IMMEDIATE transactions, busy timeout) and keeps its generated secret key there too.
"""

import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext

django_stubs_ext.monkeypatch()

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("HUIFANG_DATA_DIR", "data")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """The configured key, else one generated once and kept in the data folder."""
    configured = os.environ.get("HUIFANG_SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    _private_data_dir()
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _private_data_dir() -> None:
    """The data folder holds the database, the key and uploaded files: its owner's only (0700)."""
    DATA_DIR.mkdir(parents=True, exist_ok=True, mode=0o700)
    if DATA_DIR.stat().st_uid == os.getuid():
        DATA_DIR.chmod(0o700)


def _database() -> dict[str, Any]:
    url = os.environ.get("HUIFANG_DATABASE_URL")
    if url:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60))
        return config
    _private_data_dir()  # the database files themselves: huifang.web.apps (0600)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "huifang.sqlite3",
        "OPTIONS": {
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of one failing
            # with "database is locked" half-way through a transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


SECRET_KEY = _secret_key()
DEBUG = _env_bool("HUIFANG_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("HUIFANG_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "huifang.accounts",
    "huifang.customers",
    "huifang.events",
    "huifang.messaging",
    "huifang.followups",
    "huifang.cases",
    "huifang.audits",
    "huifang.campaigns",
    "huifang.visits",
    "huifang.reports",
    "huifang.webhooks",
    "huifang.api",
    "huifang.ops",
    "huifang.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "huifang.web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "huifang.web.middleware.LoginRequiredMiddleware",
    "huifang.web.middleware.NoStoreMiddleware",
    # Last, so that it sees failed logins after authentication ran.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "huifang.urls"
WSGI_APPLICATION = "huifang.wsgi.application"

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
                "huifang.web.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.Staff"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:workbench"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Lock-out (huifang.accounts.lockout): five wrong passwords for one username from one address lock
# that username there for 30 minutes; twenty from one address, whatever the usernames, lock the
# address (password spraying). The order of the parameters matters to the handler.
AXES_FAILURE_LIMIT = int(os.environ.get("HUIFANG_LOGIN_FAILURE_LIMIT", "5"))
HUIFANG_LOGIN_ADDRESS_LIMIT = int(os.environ.get("HUIFANG_LOGIN_ADDRESS_LIMIT", "20"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "huifang.accounts.lockout.UserAndAddressHandler"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("HUIFANG_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Only for `huifang collectstatic` behind a separate web server; by default whitenoise serves the package.
STATIC_ROOT = os.environ.get("HUIFANG_STATIC_ROOT") or None
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Serve straight from the package (no collectstatic step needed to run).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MEDIA_ROOT = DATA_DIR / "media"
IMPORT_UPLOAD_DIR = DATA_DIR / "imports"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

# E-mail (the subscribed reports): by default written as files to the data folder's mail/ (read
# them there in development); HUIFANG_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend
# with the HUIFANG_EMAIL_* settings sends them.
EMAIL_BACKEND = os.environ.get("HUIFANG_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = os.environ.get("HUIFANG_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("HUIFANG_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("HUIFANG_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("HUIFANG_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("HUIFANG_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _env_bool("HUIFANG_EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = os.environ.get("HUIFANG_EMAIL_FROM", "huifang@localhost")

# Background work (webhook deliveries; later messages) on Django's task framework: the
# django-tasks backport with its database backend, so SQLite and PostgreSQL both carry the queue
# and no broker is needed. Run by `huifang worker` and inside `huifang serve`.
TASKS: dict[str, Any] = {
    "default": {
        "BACKEND": os.environ.get("HUIFANG_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "webhooks"],
    }
}

# Messages to customers and staff (R10, huifang.messaging): the sender of each channel, the SMS
# vendor's signature, template codes and credentials, the WeCom group robot, rate limits, quiet
# hours and the contact cap (see docs/messaging.md). By default nothing leaves the machine: SMS
# and WeCom messages are written to the data folder's outbox.log.
_SMS_VENDORS = {
    "console": "huifang.messaging.senders.ConsoleSender",
    "aliyun": "huifang.messaging.senders.AliyunSmsSender",
    "tencent": "huifang.messaging.senders.TencentSmsSender",
}
HUIFANG_MESSAGING: dict[str, Any] = {
    "company": os.environ.get("HUIFANG_SMS_COMPANY", ""),
    "senders": {
        "sms": _SMS_VENDORS.get(os.environ.get("HUIFANG_SMS_VENDOR", "console"), _SMS_VENDORS["console"]),
        "email": "huifang.messaging.senders.EmailSender",
        "wecom": (
            "huifang.messaging.senders.WeComRobotSender"
            if os.environ.get("HUIFANG_WECOM_WEBHOOK")
            else "huifang.messaging.senders.ConsoleSender"
        ),
    },
    "sms": {
        "sign_name": os.environ.get("HUIFANG_SMS_SIGN_NAME", ""),
        "access_key_id": os.environ.get("HUIFANG_SMS_KEY_ID", ""),
        "access_key_secret": os.environ.get("HUIFANG_SMS_KEY_SECRET", ""),
        "secret_id": os.environ.get("HUIFANG_SMS_KEY_ID", ""),
        "secret_key": os.environ.get("HUIFANG_SMS_KEY_SECRET", ""),
        "app_id": os.environ.get("HUIFANG_SMS_APP_ID", ""),
        "region": os.environ.get("HUIFANG_SMS_REGION", "ap-guangzhou"),
        # template key → the vendor's template code, e.g. "survey_invitation=SMS_123,greeting=SMS_456"
        "templates": dict(
            pair.split("=", 1)
            for pair in os.environ.get("HUIFANG_SMS_TEMPLATES", "").split(",")
            if "=" in pair
        ),
    },
    "wecom": {"webhook_url": os.environ.get("HUIFANG_WECOM_WEBHOOK", "")},
    # The shared secret in the receipt address given to the SMS vendor
    # (/messages/receipts/aliyun/?token=…); empty: the endpoint is off (404).
    "receipts": {"token": os.environ.get("HUIFANG_SMS_RECEIPT_TOKEN", "")},
}
# Where survey links point (the address customers open on their phones).
HUIFANG_PUBLIC_URL = os.environ.get("HUIFANG_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# The HTTP API (/api/v1/): requests per token per minute, and the largest body it reads (a batch of
# 1,000 events is ~400 KB).
HUIFANG_API_RATE = int(os.environ.get("HUIFANG_API_RATE", "600"))
HUIFANG_API_MAX_BODY = int(os.environ.get("HUIFANG_API_MAX_BODY", str(2 * 1024 * 1024)))
# Webhook receivers must answer within this many seconds; deliveries are tried this many times.
HUIFANG_WEBHOOK_TIMEOUT = float(os.environ.get("HUIFANG_WEBHOOK_TIMEOUT", "10"))
HUIFANG_WEBHOOK_ATTEMPTS = int(os.environ.get("HUIFANG_WEBHOOK_ATTEMPTS", "8"))
# The first wait after a failed webhook try, in seconds (then ×4 each time, at most 10 hours).
HUIFANG_WEBHOOK_BACKOFF = 10.0

# The agents' queue: a claim nobody has touched for this long goes back to the queue (the agent
# left their desk); a personal callback not taken this long after the agreed time goes to the pool.
HUIFANG_CLAIM_TIMEOUT_MINUTES = 30
HUIFANG_CALLBACK_GRACE_MINUTES = 30
# PostgreSQL: the hot path's statements are prepared by psycopg on first use on each connection;
# False behind a pooler in transaction mode (PgBouncer), docs/performance.md.
HUIFANG_PREPARED_STATEMENTS = True
# The pages' "now" (an aware datetime) instead of the clock: tests and screenshots only.
HUIFANG_WORKBENCH_NOW: datetime | None = None

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 12 * 3600
CSRF_COOKIE_HTTPONLY = False  # htmx reads it to send X-CSRFToken

# ------------------------------------------------------------------------------------------------
# HTTPS behind a TLS-terminating proxy (docs/deployment.md). HUIFANG_HTTPS=true says the site is
# reached only over HTTPS through a proxy on the same machine (nginx) that sets X-Forwarded-Proto
# and X-Forwarded-For: the proxy's word on the scheme is trusted (without it Django sees plain
# HTTP and refuses every form with "Origin checking failed"), cookies are sent over HTTPS only,
# browsers are told to use nothing else (HSTS) and plain HTTP is redirected. Each part can be set
# on its own; `huifang check --deploy` with HUIFANG_HTTPS=true alone has no warning.
# ------------------------------------------------------------------------------------------------
HTTPS = _env_bool("HUIFANG_HTTPS", False)
if _env_bool("HUIFANG_BEHIND_PROXY", HTTPS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Every request comes from the proxy's address: the lock-out counts the client's, which the
    # proxy writes into X-Forwarded-For (nginx: `proxy_set_header X-Forwarded-For $remote_addr`,
    # replacing whatever the client sent).
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
SESSION_COOKIE_SECURE = _env_bool("HUIFANG_SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = _env_bool("HUIFANG_SSL_REDIRECT", HTTPS)
# A year, this host and its subdomains, and consent to browsers' preload lists: what
# `check --deploy` asks for. HUIFANG_HSTS_INCLUDE_SUBDOMAINS=false where other hosts of the
# company's domain still serve plain HTTP.
SECURE_HSTS_SECONDS = int(os.environ.get("HUIFANG_HSTS_SECONDS", str(365 * 24 * 3600) if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("HUIFANG_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = _env_bool("HUIFANG_HSTS_PRELOAD", HTTPS)
# Origins (scheme://host[:port]) whose forms are accepted besides the site's own, e.g. a proxy on
# another port: "https://huifang.example.cn:8443".
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("HUIFANG_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

# Organisation-wide defaults that the settings pages may later override.
HUIFANG_PHONE_REGION = "CN"
HUIFANG_DEMO_PASSWORD = "huifang-demo"
# Days of follow-up work the demo lives through the real services before "today" (ops.demo.history).
# Unset: three months (90 days, up to 99 at a month's end so that the dashboard's first month has a
# week of work: ops.demo.default_history_days). A number pins it (the tests live a week). See
# docs/demo.md and docs/performance.md ("Demo history: 90 days") for how long the first start takes.
HUIFANG_DEMO_HISTORY_DAYS: int | None = (
    int(os.environ["HUIFANG_DEMO_HISTORY_DAYS"]) if os.environ.get("HUIFANG_DEMO_HISTORY_DAYS") else None
)

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # A refused request (403, 404, 400) is one line, not a traceback: it is the user's mistake or
    # a probe, not the server's fault (issue 13).
    "filters": {"client_errors_in_one_line": {"()": "huifang.web.logs.ClientErrorsInOneLine"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors_in_one_line"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("HUIFANG_LOG_LEVEL", "INFO")},
    "loggers": {
        # Request lines carry URLs only; URLs never carry personal data (see docs/privacy.md).
        "django.server": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# Import files are parsed in a child process limited to this much memory above the server's own
# size and this much CPU time (issue 13: a hostile workbook is a refused file, not a dead server).
HUIFANG_IMPORT_MEMORY_MB = int(os.environ.get("HUIFANG_IMPORT_MEMORY_MB", "1024"))
HUIFANG_IMPORT_CPU_SECONDS = int(os.environ.get("HUIFANG_IMPORT_CPU_SECONDS", "600"))

# More reveals of full numbers than this in an hour by one user are refused and their supervisors
# told (docs/privacy.md): an agent's day needs a few dozen, a harvest needs hundreds.
HUIFANG_REVEAL_LIMIT_PER_HOUR = int(os.environ.get("HUIFANG_REVEAL_LIMIT_PER_HOUR", "60"))
