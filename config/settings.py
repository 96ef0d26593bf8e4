"""Switchboard settings: every knob comes from one environment variable with a safe local default.

docs/configuration.md "Environment variables" lists each variable; keep the two in step.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from core.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("SWITCHBOARD_DATA_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def load_secret_key() -> str:
    """Use SECRET_KEY if set; otherwise generate one once and keep it in DATA_DIR.

    A constant key would let anyone forge sessions on every install, so none is shipped.
    """
    configured = os.environ.get("SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def public_url(raw: str) -> str:
    """``SWITCHBOARD_PUBLIC_URL`` as an origin without a trailing slash (``https://host[:port]``),
    or "" when unset. Switchboard is served from the root of its host, so a path is refused."""
    from urllib.parse import urlsplit

    raw = raw.strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    try:
        port_valid = parts.port is None or parts.port > 0
    except ValueError:  # not a number, or out of range
        port_valid = False
    if (
        not port_valid
        or parts.scheme.lower() not in {"http", "https"}
        or not parts.hostname
        or parts.path not in {"", "/"}
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        raise ImproperlyConfigured(
            f"SWITCHBOARD_PUBLIC_URL must look like https://switchboard.example.com[:port], "
            f"not {raw!r}"
        )
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def host_of(url: str) -> str:
    """The host of ``url`` as ALLOWED_HOSTS spells it (an IPv6 address in brackets)."""
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    return f"[{host}]" if ":" in host else host


SECRET_KEY = load_secret_key()
DEBUG = env_bool("DEBUG", False)
SIGNUP_ENABLED = env_bool("SIGNUP_ENABLED", False)

# docs/deployment.md "HTTPS behind a TLS-terminating proxy".
# The address people reach the server at: every absolute URL the server builds (share links,
# llms.txt, the `next` links of lists) starts with it (config/middleware.py PublicURLMiddleware).
PUBLIC_URL = public_url(os.environ.get("SWITCHBOARD_PUBLIC_URL", ""))
_PUBLIC_HOST = host_of(PUBLIC_URL) if PUBLIC_URL else ""
_PUBLIC_HTTPS = PUBLIC_URL.startswith("https://")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
if PUBLIC_URL and _PUBLIC_HOST not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_PUBLIC_HOST)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
if PUBLIC_URL and PUBLIC_URL not in CSRF_TRUSTED_ORIGINS:
    CSRF_TRUSTED_ORIGINS.append(PUBLIC_URL)
# Believe the proxy's X-Forwarded-Proto. Only when every request comes through a proxy that sets
# it (replacing what a client sent): anyone reaching the server directly could claim HTTPS.
# config/forwarded_proto.py applies the same rule to the ASGI scope (WebSockets, and whatever
# Daphne's --proxy-headers copied there).
TRUST_X_FORWARDED_PROTO = env_bool("TRUST_X_FORWARDED_PROTO", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUST_X_FORWARDED_PROTO else None
# Cookies only over HTTPS: on by default once the public URL is https://.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", _PUBLIC_HTTPS)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# Redirect to the public host, not to whatever Host a plain-HTTP request named.
SECURE_SSL_HOST = PUBLIC_URL.split("://", 1)[1] if _PUBLIC_HTTPS else None
# Health checks come from the orchestrator over plain HTTP, straight to the process.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS") or "0")
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    # Shared building blocks; an app only for its management commands (backup, restore).
    "core",
    "accounts",
    "endpoints",
    "sessions.apps.DebugSessionsConfig",
    "scenarios",
    "mocks",
    "docs_app",
    "workspace",
]

MIDDLEWARE = [
    # First: every response, a redirect or a refusal included, carries the request's id.
    "core.logs.RequestIdMiddleware",
    "core.metrics.HttpMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.PublicURLMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

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
            ],
        },
    },
]

DEFAULT_SQLITE_URL = f"sqlite:///{DATA_DIR / 'switchboard.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or DEFAULT_SQLITE_URL,
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        # A reused connection is checked first, so one broken by a database restart is replaced
        # instead of failing the next request.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets the in-process relay write frames while requests read.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"]["timeout"] = 20
# PostgreSQL: each process keeps at most this many connections in a pool. Under Daphne every
# request runs in a thread of its own, so without a pool each opens a connection, and a burst
# of slow requests exhausts the server's max_connections ("too many clients").
DATABASE_POOL_SIZE = int(os.environ.get("DATABASE_POOL_SIZE", "10"))
if (
    DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    and DATABASE_POOL_SIZE > 0
    and DATABASES["default"]["CONN_MAX_AGE"] == 0
):
    # CONN_HEALTH_CHECKS makes the pool check a connection before handing it out.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": min(4, DATABASE_POOL_SIZE),
        "max_size": DATABASE_POOL_SIZE,
        # Seconds a request waits for a connection, then fails with 503 database_unavailable:
        # while the database is down, or when it is so overloaded that waiting is no use.
        "timeout": 3,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")


def redis_host(url: str) -> dict[str, object]:
    """channels_redis connection options for the Redis at ``url``."""
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError

    return {
        "address": url,
        # redis-py >= 8 reads with a 5 s socket timeout by default, which cuts channels_redis'
        # 5 s blocking receive and makes every idle receive() fail; give reads room.
        "socket_timeout": 30,
        # After a Redis restart every pooled connection is dead; without a retry the first
        # command on each fails (a relay's reply lost, a REST call answered 500).
        "retry_on_error": [RedisConnectionError],
        "retry": Retry(ExponentialBackoff(cap=0.5, base=0.05), 3),
    }


def live_layer(url: str) -> dict[str, Any]:
    """The "live" channel layer (session streams: viewers' sends, stored batches) on Redis
    pub/sub. Pub/sub channels ignore the database number, so the prefix carries it: two
    deployments on different databases of one Redis stay apart, as with the default layer."""
    from urllib.parse import urlsplit

    database = urlsplit(url).path.strip("/") or "0"
    return {
        "BACKEND": "sessions.relay.live_layer.LiveChannelLayer",
        "CONFIG": {"hosts": [redis_host(url)], "prefix": f"switchboard-live.{database}."},
    }


def redis_channel_layers(url: str, prefix: str | None = None) -> dict[str, dict[str, Any]]:
    """CHANNEL_LAYERS on the Redis at ``url``. "live": what a session's viewers wait for (see
    sessions/relay/live_layer.py); everything else (REST calls to relays, workspace events)
    goes through "default" (its key ``prefix``, if given)."""
    default: dict[str, object] = {"hosts": [redis_host(url)]}
    if prefix is not None:
        default["prefix"] = prefix
    return {
        "default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": default},
        "live": live_layer(url),
    }


if REDIS_URL:
    CHANNEL_LAYERS = redis_channel_layers(REDIS_URL)
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "channels.layers.InMemoryChannelLayer"},
        # Channels' in-memory layer without its copies: session traffic, every frame.
        "live": {"BACKEND": "sessions.relay.local_layer.LocalLayer"},
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Serve straight from app static folders too, so tests and a first `make serve` need no collectstatic.
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.BoundedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_RATES": {"auth": os.environ.get("AUTH_THROTTLE_RATE", "30/min")},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Switchboard API",
    "DESCRIPTION": "Design, debug, document and share WebSocket APIs.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Each operation's operationId and tag come from one table (core/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.schema.name_operations",
    ],
    # Several serializers take a message format; give the shared choice set one schema name.
    "ENUM_NAME_OVERRIDES": {
        "MessageFormatEnum": "endpoints.models.MessageFormat",
        "EndpointStatusEnum": "endpoints.models.EndpointStatus",
        "RoleEnum": "endpoints.models.Role",
        "RunStatusEnum": "scenarios.models.RunStatus",
        "AsyncApiImportOutcomeEnum": "endpoints.asyncapi.serializers.IMPORT_OUTCOMES",
        "AsyncApiImportKindEnum": "endpoints.asyncapi.serializers.IMPORT_KINDS",
        "DirectionEnum": "endpoints.models.MessageDirection",
        "MockFrameDirectionEnum": "mocks.models.MockFrameDirection",
    },
}

# Upper bound on a JSON request body, in bytes.
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(8 * 1024 * 1024)))
# DRF reads JSON through request.body, which Django caps at this (2.5 MiB by default): make the
# documented limit the one that applies (a larger body is 413 request_too_large).
DATA_UPLOAD_MAX_MEMORY_SIZE = max(API_MAX_BODY_BYTES, 2621440)
# Largest AsyncAPI document an import reads (YAML or JSON text, in bytes); see docs/asyncapi.md.
ASYNCAPI_MAX_DOCUMENT_BYTES = int(
    os.environ.get("ASYNCAPI_MAX_DOCUMENT_BYTES", str(2 * 1024 * 1024))
)
# Upper bound on a page of any list endpoint.
API_MAX_PAGE_SIZE = int(os.environ.get("API_MAX_PAGE_SIZE", "500"))

# Shared docs: wrong passwords one client may try on one link per window (seconds).
DOCS_PASSWORD_ATTEMPTS = int(os.environ.get("DOCS_PASSWORD_ATTEMPTS", "5"))
DOCS_PASSWORD_WINDOW = int(os.environ.get("DOCS_PASSWORD_WINDOW", "900"))

# Debug sessions and the relay (docs/debug-sessions.md "The relay"). Embedded: the relay runs
# inside the server process; otherwise `manage.py relay_worker` processes hold the upstream
# connections.
RELAY_EMBEDDED = env_bool("RELAY_EMBEDDED", not REDIS_URL)
RELAY_HEARTBEAT_INTERVAL = float(os.environ.get("RELAY_HEARTBEAT_INTERVAL", "5"))
RELAY_LOST_AFTER = float(os.environ.get("RELAY_LOST_AFTER", "15"))
RELAY_MAX_CONNECTIONS = int(os.environ.get("RELAY_MAX_CONNECTIONS", "10000"))
SESSION_MAX_OPEN_PER_USER = int(os.environ.get("SESSION_MAX_OPEN_PER_USER", "20"))
# Prometheus metrics at /metrics, for a scraper sending this as a Bearer token (docs/operations.md);
# empty: the endpoint answers 404. With several processes, also set PROMETHEUS_MULTIPROC_DIR.
# METRICS_ENABLED=false collects nothing at all (and /metrics answers 404).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ENABLED = env_bool("METRICS_ENABLED", True)
# Scenario runs (docs/scenarios.md): how long one may take, how many frames it may receive,
# how long a run may wait for a relay to start it, and how many a member may have going.
SCENARIO_MAX_RUN_SECONDS = float(os.environ.get("SCENARIO_MAX_RUN_SECONDS", "600"))
SCENARIO_MAX_FRAMES = int(os.environ.get("SCENARIO_MAX_FRAMES", "100000"))
SCENARIO_QUEUE_TIMEOUT = float(os.environ.get("SCENARIO_QUEUE_TIMEOUT", "60"))
SCENARIO_MAX_RUNS_PER_USER = int(os.environ.get("SCENARIO_MAX_RUNS_PER_USER", "5"))
SESSION_IDLE_TIMEOUT = float(os.environ.get("SESSION_IDLE_TIMEOUT", "1800"))
# Largest message sent or received upstream. Daphne's own per-connection limit follows it
# (DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE, set by config/ws_close_codes.py whatever its command line).
SESSION_MAX_MESSAGE_SIZE = int(os.environ.get("SESSION_MAX_MESSAGE_SIZE", str(1024 * 1024)))
SESSION_STORED_BYTES_PER_FRAME = int(
    os.environ.get("SESSION_STORED_BYTES_PER_FRAME", str(1024 * 1024))
)
# Bytes of messages one connection may receive; then the relay closes it with 1008.
SESSION_MAX_RECEIVED_BYTES = int(
    os.environ.get("SESSION_MAX_RECEIVED_BYTES", str(256 * 1024 * 1024))
)
# Repeating messages (docs/debug-sessions.md "Repeating messages"): how many one session may
# run at once, the shortest interval between sends, and the most sends one timer may make.
SESSION_MAX_TIMERS = int(os.environ.get("SESSION_MAX_TIMERS", "10"))
SESSION_TIMER_MIN_INTERVAL_MS = int(os.environ.get("SESSION_TIMER_MIN_INTERVAL_MS", "50"))
SESSION_TIMER_MAX_SENDS = int(os.environ.get("SESSION_TIMER_MAX_SENDS", "100000"))
# `manage.py prune_session_logs` deletes log entries older than this many days (0: keep all).
SESSION_LOG_RETENTION_DAYS = float(os.environ.get("SESSION_LOG_RETENTION_DAYS", "30"))
# Daphne's limit of a client message on any socket. A session socket's send is measured by
# what its body decodes to, not by its JSON: Base64 is 4/3 of that, hex 2x, and JSON may write
# each byte of a text body as \u00XX (6x), so a body of SESSION_MAX_MESSAGE_SIZE fits however
# it is written, with 64 KiB for the rest of the JSON. A longer message is over the limit
# whatever it holds; Daphne closes with 1009 before the consumer sees it. `runserver` reads it.
DAPHNE_WEBSOCKET_MAX_MESSAGE_SIZE = 6 * SESSION_MAX_MESSAGE_SIZE + 64 * 1024
# Mock servers (docs/mock.md): open mock connections per project in one web process, the
# largest client message (bigger: closed with 1009), client messages per second a connection
# may send (a token bucket of twice that; beyond: closed with 1008), the shortest push interval,
# and what is kept of mock traffic: connections per endpoint, frames per connection, bytes per
# frame.
MOCK_MAX_CONNECTIONS_PER_PROJECT = int(os.environ.get("MOCK_MAX_CONNECTIONS_PER_PROJECT", "2000"))
MOCK_MAX_MESSAGE_SIZE = int(os.environ.get("MOCK_MAX_MESSAGE_SIZE", str(64 * 1024)))
MOCK_RATE_LIMIT = float(os.environ.get("MOCK_RATE_LIMIT", "50"))
MOCK_MIN_PUSH_INTERVAL_MS = int(os.environ.get("MOCK_MIN_PUSH_INTERVAL_MS", "100"))
MOCK_LOG_CONNECTIONS = int(os.environ.get("MOCK_LOG_CONNECTIONS", "20"))
MOCK_LOG_FRAMES = int(os.environ.get("MOCK_LOG_FRAMES", "200"))
MOCK_LOG_FRAME_BYTES = int(os.environ.get("MOCK_LOG_FRAME_BYTES", "4096"))
# Heartbeat of Socket.IO mocks, in seconds (Socket.IO's own defaults): the interval between
# pings and how long a missing one is waited for before the connection is closed.
MOCK_SOCKETIO_PING_INTERVAL = float(os.environ.get("MOCK_SOCKETIO_PING_INTERVAL", "25"))
MOCK_SOCKETIO_PING_TIMEOUT = float(os.environ.get("MOCK_SOCKETIO_PING_TIMEOUT", "20"))
# Egress policy of the relay (an SSRF guard): deny wins over allow; an empty allow list allows
# everything not denied. Link-local and cloud metadata addresses are always in the default deny
# list; loopback is denied by default when REDIS_URL is set (a shared, scaled deployment).
UPSTREAM_ALLOW_CIDRS = env_list("UPSTREAM_ALLOW_CIDRS", [])
UPSTREAM_DENY_CIDRS = env_list(
    "UPSTREAM_DENY_CIDRS",
    [
        "0.0.0.0/8",
        "169.254.0.0/16",
        "100.100.100.200/32",
        "192.0.0.192/32",
        "224.0.0.0/3",
        "::/128",
        "fe80::/10",
        "fd00:ec2::254/128",
        "ff00::/8",
    ]
    + (["127.0.0.0/8", "::1/128"] if REDIS_URL else []),
)
UPSTREAM_MAX_REDIRECTS = int(os.environ.get("UPSTREAM_MAX_REDIRECTS", "0"))
UPSTREAM_CA_BUNDLE = os.environ.get("UPSTREAM_CA_BUNDLE", "")
UPSTREAM_COMPRESSION = env_bool("UPSTREAM_COMPRESSION", False)
# Keys that encrypt client certificates at rest (core/encryption.py): comma-separated secrets,
# the first encrypts, all decrypt (rotation: docs/configuration.md). Empty: SECRET_KEY.
CERTIFICATE_ENCRYPTION_KEYS = env_list("CERTIFICATE_ENCRYPTION_KEYS", [])

# Log lines: plain messages ("text") or one JSON object per line ("json": time, level, logger,
# message, request_id, session_id). Every record carries the request id (X-Request-ID) and the
# debug session where known, into the relay's lines (docs/operations.md "Logs").
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text").strip().lower() or "text"
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}.")
LOGGING_CONFIG = "core.logs.configure"
LOGGING = logging_config(level=os.environ.get("LOG_LEVEL", "INFO"), fmt=LOG_FORMAT)
