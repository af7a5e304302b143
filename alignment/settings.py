"""Tandem settings, read from the environment.

Absent variables give the embedded default a newcomer gets from ``./run``: SQLite in the
project folder and a file-system Celery broker under ``.tandem/`` (no Redis needed).
Production sets ``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY`` and ``DEBUG=0``.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("TANDEM_STATE_DIR", BASE_DIR / ".tandem"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-only-for-the-embedded-default"  # noqa: S105

# Where people reach Tandem; links in notification emails start with it.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Under /api/ a CSRF failure answers JSON, as the rest of the API (alignment/errors.py).
CSRF_FAILURE_VIEW = "alignment.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "django_htmx",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "alignment",
    "campaigns",
    "leads",
    "handoffs",
    "kpis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every answer, static files and errors included.
    "alignment.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "alignment.middleware.LocalTimeMiddleware",
    # Idempotency-Key on API POSTs: after authentication, around the API views.
    "alignment.idempotency.IdempotencyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "alignment.urls"
WSGI_APPLICATION = "alignment.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "alignment.context_processors.navigation",
            ],
        },
    },
]

# Database: SQLite in the project folder unless DATABASE_URL says otherwise.
if os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"],
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
            # A kept connection is checked before a request (or task) reuses it, so one
            # that died with a database restart is replaced instead of failing a request.
            conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", True),
        )
    }
else:
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the embedded worker share the file. WAL lets readers and one
    # writer work at once; IMMEDIATE transactions take the write lock when they begin,
    # so two claims at once queue for it (up to the timeout) instead of one of them
    # failing with "database is locked" when it tries to upgrade a read lock.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]


def file_storage() -> dict:
    """Where uploads (CSV imports) are kept: the local disk under MEDIA_ROOT, or with
    ``S3_BUCKET`` set an S3-compatible bucket, so web processes and workers on different
    machines read the same files. Credentials come from the usual ``AWS_ACCESS_KEY_ID`` and
    ``AWS_SECRET_ACCESS_KEY`` (or the machine's role); ``S3_ENDPOINT_URL`` names a store
    other than AWS (MinIO, Ceph, R2, ...)."""
    bucket = os.environ.get("S3_BUCKET", "").strip()
    if not bucket:
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            "location": os.environ.get("S3_PREFIX", "media"),
            # Uploads are private: never a public ACL, never overwritten in place.
            "default_acl": None,
            "file_overwrite": False,
            "addressing_style": os.environ.get("S3_ADDRESSING_STYLE") or None,
        },
    }


STORAGES = {
    "default": file_storage(),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Uploads (CSV imports) are files a worker on another machine reads: in production set
# S3_BUCKET (see file_storage above) or point MEDIA_ROOT at a disk every web and worker
# process shares. They are never served as URLs.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", STATE_DIR / "media"))
# Days an uploaded CSV file is kept after its import finished (its report stays), and
# how long a draft import nobody started is kept; at least a day.
IMPORT_FILE_RETENTION_DAYS = max(1, env_int("IMPORT_FILE_RETENTION_DAYS", 30))
# Parts an import is split into, by a hash of each row's email: as many workers as parts
# can run one import side by side (one person's rows stay in one part, in file order).
IMPORT_PARTS = max(1, env_int("IMPORT_PARTS", 4))
MEDIA_URL = "media/"

# Email: console in development; set EMAIL_HOST (and friends) for real SMTP.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Tandem <tandem@localhost>")
if os.environ.get("EMAIL_HOST"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = os.environ["EMAIL_HOST"]
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = os.environ.get(
        "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
    )

# Production hardening; `manage.py check --deploy` is clean with DEBUG=0.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 30)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

# The currency money is kept and shown in: an ISO 4217 code such as EUR, USD or GBP.
CURRENCY = os.environ.get("CURRENCY", "EUR").strip().upper()
if not (len(CURRENCY) == 3 and CURRENCY.isascii() and CURRENCY.isalpha()):
    raise ImproperlyConfigured(f"CURRENCY must be a three-letter code like EUR, got {CURRENCY!r}")

# API POSTs under this path honour the Idempotency-Key header (alignment/idempotency.py).
IDEMPOTENCY_PATH_PREFIX = "/api/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's token auth, reading the user's roles in the same query.
        "alignment.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PARSER_CLASSES": [
        "alignment.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "alignment.api.StandardPagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per token (a user has one), counted in the shared cache; see alignment/throttling.py.
    "DEFAULT_THROTTLE_CLASSES": [
        "alignment.throttling.UserThrottle",
        "alignment.throttling.AnonThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("API_THROTTLE_USER", "6000/minute"),
        "anon": os.environ.get("API_THROTTLE_ANON", "120/minute"),
        # leads/, leads/bulk/, touchpoints/ and imports/ POSTs, per token.
        "capture": os.environ.get("API_THROTTLE_CAPTURE", "3000/minute"),
    },
    "EXCEPTION_HANDLER": "alignment.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Tandem API",
    "DESCRIPTION": "The sales and marketing alignment platform: campaigns, leads, handoffs "
    "and the KPIs both teams share.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "alignment.idempotency.document_idempotency_key",
        "alignment.api.document_error_answers",
    ],
    # One schema name per choice set, so clients get stable enum type names.
    "ENUM_NAME_OVERRIDES": {
        "StageEnum": "leads.models.Stage",
        "TargetStageEnum": "leads.api.TARGET_STAGES",
        "TouchpointKindEnum": "leads.models.TouchpointKind",
        "ActivityKindEnum": "handoffs.models.Activity.Kind",
        "ActivityOutcomeEnum": "handoffs.models.Activity.Outcome",
        "HandoffStatusEnum": "handoffs.models.Handoff.Status",
        "RejectionReasonEnum": "handoffs.models.RejectionReason",
        "CampaignStatusEnum": "campaigns.models.Campaign.Status",
        "ChannelEnum": "campaigns.models.Channel",
        "JobStatusEnum": "alignment.models.Job.Status",
        "LeadImportStatusEnum": "leads.imports.models.LeadImport.Status",
        "NotificationChannelEnum": "alignment.notifications.CHANNEL_CHOICES",
        "RoutingFieldEnum": "handoffs.routing.engine.FIELD_CHOICES",
        "RoutingOperatorEnum": "handoffs.routing.engine.OPERATOR_CHOICES",
        "RoutingActionEnum": "handoffs.routing.models.RoutingRule.Action",
        "AgreementStatusEnum": "alignment.models.AgreementVersion.Status",
    },
}

# Cache: rate limits (the public form, API throttling) must count across every web
# process, so with REDIS_URL they live in Redis; without it, in each process's memory.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "tandem",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The public web form (/f/<form_key>/): at most CAPTURE_RATE_LIMIT submissions per
# CAPTURE_RATE_WINDOW seconds from one address to one form.
CAPTURE_RATE_LIMIT = env_int("CAPTURE_RATE_LIMIT", 10)
CAPTURE_RATE_WINDOW = env_int("CAPTURE_RATE_WINDOW", 600)
# How many proxies in front of the app append to X-Forwarded-For. 0: the client address
# is REMOTE_ADDR and the header, which anyone can forge, is ignored.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Logins (alignment/login_throttle.py): after LOGIN_FAILURE_LIMIT wrong passwords for a
# username, or LOGIN_FAILURE_ADDRESS_LIMIT from one address, within LOGIN_FAILURE_WINDOW
# seconds of the first, tries wait until the window closes. A limit of 0 turns it off.
AUTHENTICATION_BACKENDS = ["alignment.login_throttle.ThrottledModelBackend"]
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
LOGIN_FAILURE_ADDRESS_LIMIT = env_int("LOGIN_FAILURE_ADDRESS_LIMIT", 4 * LOGIN_FAILURE_LIMIT)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 15 * 60)

# Celery. With REDIS_URL: Redis broker and result backend, real `celery worker` and
# `celery beat`. Without it: a file-system broker under .tandem/broker that the worker
# started by ./run consumes, so scoring, notifications and SLA timers still run.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {"visibility_timeout": 3600}
else:
    _broker_dir = STATE_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = None
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Outgoing webhooks: never to private or loopback addresses unless allowed here (never to
# link-local ones: cloud metadata); each POST waits WEBHOOK_TIMEOUT_SECONDS; a delivery is
# retried with backoff for WEBHOOK_RETRY_HOURS, then given up and its endpoint paused.
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env_bool("WEBHOOKS_ALLOW_PRIVATE_NETWORKS", False)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_RETRY_HOURS = env_int("WEBHOOK_RETRY_HOURS", 72)
# The first retry's wait (doubling, ± 50 %, up to 6 hours) and how long a worker may take
# to send one delivery before another may take it over.
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)
WEBHOOK_LEASE_SECONDS = env_int("WEBHOOK_LEASE_SECONDS", 120)

# With KPI_ROLLUP_MIN_LEADS leads or more, the dashboard, kpis/summary and kpis/campaigns
# read daily rollups rebuilt by beat every KPI_ROLLUP_MINUTES (their figures are that old
# at most, and say so); a rollup older than KPI_ROLLUP_STALE_MINUTES (beat stopped) is not
# read. With fewer leads, every figure is computed live.
KPI_ROLLUP_MINUTES = env_int("KPI_ROLLUP_MINUTES", 5)
KPI_ROLLUP_STALE_MINUTES = env_int("KPI_ROLLUP_STALE_MINUTES", 30)
KPI_ROLLUP_MIN_LEADS = env_int("KPI_ROLLUP_MIN_LEADS", 100_000)
CELERY_BEAT_SCHEDULE_FILENAME = str(STATE_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "purge-idempotency-keys": {
        "task": "alignment.tasks.purge_idempotency_keys",
        "schedule": timedelta(hours=1),
    },
    "escalate-overdue-handoffs": {
        "task": "handoffs.tasks.escalate_overdue_handoffs",
        "schedule": timedelta(minutes=1),
    },
    "redeliver-pending-notifications": {
        "task": "alignment.tasks.redeliver_pending_notifications",
        "schedule": timedelta(minutes=2),
    },
    # Leads captured while the broker was down are scored within a minute of a worker
    # coming back (a worker also sweeps when it starts).
    "score-unscored-leads": {
        "task": "leads.tasks.score_unscored_leads",
        "schedule": timedelta(minutes=1),
    },
    "send-notification-digests": {
        "task": "alignment.tasks.send_notification_digests",
        "schedule": crontab(minute=5),
    },
    "resume-stalled-imports": {
        "task": "leads.imports.tasks.resume_stalled_imports",
        "schedule": timedelta(minutes=5),
    },
    "nightly-decay-rescore": {
        "task": "leads.tasks.rescore_all_leads",
        "schedule": crontab(hour=2, minute=30),
    },
    "resume-stalled-rescores": {
        "task": "leads.tasks.resume_stalled_rescores",
        "schedule": timedelta(minutes=5),
    },
    "deliver-webhooks": {
        "task": "alignment.tasks.deliver_webhooks",
        "schedule": timedelta(seconds=30),
    },
    "refresh-kpi-rollups": {
        "task": "kpis.tasks.refresh_kpi_rollups",
        "schedule": timedelta(minutes=KPI_ROLLUP_MINUTES),
    },
    "purge-old-import-files": {
        "task": "leads.imports.tasks.purge_old_import_files",
        "schedule": crontab(hour=3, minute=15),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler would print every message a second time.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
    },
}
