"""Django settings, read from HEEDFUL_* environment variables (see docs/operations.md).

Defaults run the embedded help desk: SQLite under HEEDFUL_DATA_DIR (default ./var), an
in-process channel layer, a database task queue and console e-mail.
"""

from __future__ import annotations

from pathlib import Path

import django.conf.locale
from django.utils.translation import gettext_lazy as _

from heedful.config import env

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = env.data_dir()
SECRET_KEY = env.secret_key(DATA_DIR)
DEBUG = env.boolean("DEBUG", False)
ALLOWED_HOSTS = env.str_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.str_list("CSRF_TRUSTED_ORIGINS", [])
# Public base URL used in links we send (one-time sign-in links, webhooks).
BASE_URL = env.string("BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "django_tasks",
    "django_tasks_db",
    "heedful.core",
    "heedful.people",
    "heedful.tickets",
    "heedful.webhooks",
    "heedful.mail",
    "heedful.api",
    "heedful.web",
    "heedful.portal",
    "heedful.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "heedful.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "heedful.portal.middleware.PortalContactMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "heedful.core.middleware.ViewerTimezoneMiddleware",
]

ROOT_URLCONF = "heedful.config.urls"
WSGI_APPLICATION = "heedful.config.wsgi.application"
ASGI_APPLICATION = "heedful.config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "heedful.core.context_processors.site",
            ],
        },
    },
]

DATABASE_URL = env.string("DATABASE_URL", "sqlite:///heedful.sqlite3")
DATABASES = {"default": env.database(DATABASE_URL, DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.string("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "webhooks", "mail"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
CSRF_FAILURE_VIEW = "heedful.core.views.csrf_failure"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:queue"
LOGOUT_REDIRECT_URL = "web:login"
# Failed sign-ins allowed per account and per address before a pause (see core/throttle.py).
LOGIN_ATTEMPTS_LIMIT = env.integer("LOGIN_ATTEMPTS_LIMIT", 5)
LOGIN_LOCKOUT_SECONDS = env.integer("LOGIN_LOCKOUT_SECONDS", 300)

LANGUAGE_CODE = env.string("LANGUAGE", "en")
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
    ("eo", _("Esperanto")),
    ("te", _("Telugu")),
    ("bn", _("Bengali")),
    ("lo", _("Lao")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Django knows no Lao; tell it how to name and write it.
django.conf.locale.LANG_INFO.setdefault(
    "lo", {"bidi": False, "code": "lo", "name": "Lao", "name_local": "ລາວ"}
)
# Date and number formats for the locales Django has none (or only some) for: src/heedful/formats/.
FORMAT_MODULE_PATH = ["heedful.formats"]
TIME_ZONE = env.string("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise serves from here after `collectstatic`
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {
        "BACKEND": env.string("STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": {"location": str(MEDIA_ROOT)}
        if env.string("STORAGE_BACKEND", "") == ""
        else {},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Uploads: one attachment at most this many bytes; bigger ones are refused with a clear error.
ATTACHMENT_MAX_BYTES = env.integer("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Outbound mail: HEEDFUL_EMAIL_URL=smtp://user:password@host:587?tls=1 (or smtps://...:465);
# without it, mail is printed to the log (the embedded default).
EMAIL_URL = env.string("EMAIL_URL", "")
globals().update(env.email(EMAIL_URL))
DEFAULT_FROM_EMAIL = env.string("FROM_EMAIL", "support@heedful.localhost")
# First-run contact options for the portal (admins edit them later in Site settings). The phone
# default is in the fictional 555-01xx range: replace it before going live.
SUPPORT_NAME = env.string("SUPPORT_NAME", "Heedful Support")
SUPPORT_PHONE = env.string("SUPPORT_PHONE", "+1 555 0100")
SUPPORT_EMAIL = env.string("SUPPORT_EMAIL", DEFAULT_FROM_EMAIL)

# Mail intake.
SMTP_PORT = env.integer("SMTP_PORT", 2525)  # 0 turns the built-in SMTP/LMTP intake off
SMTP_HOST = env.string("SMTP_HOST", "127.0.0.1")
SMTP_LMTP = env.boolean("SMTP_LMTP", False)
MAIL_MAX_BYTES = env.integer("MAIL_MAX_BYTES", 40 * 1024 * 1024)
# A reply from someone who is not on the ticket: "hold" for an agent, or "new_ticket".
MAIL_STRANGER_REPLIES = env.string("MAIL_STRANGER_REPLIES", "hold")
MAIL_SPAM_THRESHOLD = float(env.string("MAIL_SPAM_THRESHOLD", "5"))
# Acknowledge new tickets from mail that reached no configured mailbox (each mailbox has its own
# switch), so that a fresh install answers too.
MAIL_ACKNOWLEDGE = env.boolean("MAIL_ACKNOWLEDGE", True)
# At most this many automatic acknowledgements per sender address per hour.
MAIL_ACK_PER_SENDER_PER_HOUR = env.integer("MAIL_ACK_PER_SENDER_PER_HOUR", 3)
MAIL_INTAKE_TOKEN = env.string("MAIL_INTAKE_TOKEN", "")
IMAP_POLL_SECONDS = env.integer("IMAP_POLL_SECONDS", 60)
# Raw messages recorded per transaction by a processing job (see docs/decisions/0006).
MAIL_BATCH_SIZE = max(1, env.integer("MAIL_BATCH_SIZE", 50))

# A request body may carry one base64 attachment of the full size (API) or a whole raw message
# (HTTP mail intake); the views apply the precise limits and answer 413 with a reason.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(ATTACHMENT_MAX_BYTES * 4 // 3, MAIL_MAX_BYTES) + 1024 * 1024
TASK_STALE_SECONDS = env.integer("TASK_STALE_SECONDS", 600)  # RUNNING longer: worker died
TASK_RESULTS_KEEP_DAYS = max(1, env.integer("TASK_RESULTS_KEEP_DAYS", 14))  # failed: twice as long

# Webhooks may not target private, loopback or link-local addresses unless an admin allows it.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.boolean("WEBHOOKS_ALLOW_PRIVATE_TARGETS", False)

SECURE = env.boolean("SECURE_COOKIES", not DEBUG and BASE_URL.startswith("https://"))
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if SECURE:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 30

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.string("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
