"""The project's settings, read from environment variables with defaults that run locally with no set-up.

Production mode is on when SECRET_KEY comes from the environment (README "Production settings").
"""

import os
import re
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"{name}={value!r}: expected true or false")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    try:
        return default if value is None else int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: expected a whole number") from None


def env_count(name: str, default: int) -> int:
    """A limit: a whole number, 0 or more."""
    value = env_int(name, default)
    if value < 0:
        raise ValueError(f"{name}={value}: expected 0 or more")
    return value


def env_refused(names: tuple[str, ...], why: str) -> None:
    """A variable the site no longer reads, refused when set rather than silently ignored."""
    for name in names:
        if name in os.environ:
            raise ValueError(f"{name} is set, but {why} (unset {name})")


def celery_url(redis_url: str) -> str:
    """A Redis URL as Celery's broker and result backend name it: a unix socket is redis+socket://."""
    scheme, _, path = redis_url.partition("://")
    return f"redis+socket://{path}" if scheme == "unix" else redis_url


def env_header(name: str) -> tuple[str, str] | None:
    """`Header-Name: value` as Django's META key and value (SECURE_PROXY_SSL_HEADER), or None."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    header, sep, expected = (part.strip() for part in value.partition(":"))
    if not sep or not re.fullmatch(r"[A-Za-z0-9-]+", header) or not expected:
        raise ValueError(f"{name}={value!r}: expected 'Header-Name: value', e.g. 'X-Forwarded-Proto: https'")
    return "HTTP_" + header.upper().replace("-", "_"), expected


# Production: SECRET_KEY set in the environment. DEBUG may then not be on, password rules hold,
# and with MVLAB_TLS cookies travel over HTTPS only, with HSTS (see "Served over TLS" below).
PRODUCTION = "SECRET_KEY" in os.environ
SECRET_KEY = env_str("SECRET_KEY", "mvlab-local-development-key-change-me-in-production")
DEBUG = env_bool("DEBUG", False)
if PRODUCTION and DEBUG:
    raise ValueError("DEBUG=true with SECRET_KEY set: production never runs with DEBUG (unset one of them)")
ALLOWED_HOSTS = env_str("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in env_str("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "ninja",
    "axes",
    "designer",
    "classroom",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # turns a locked-out sign-in into designer.signin's 429
]

ROOT_URLCONF = "mvlab.urls"
ASGI_APPLICATION = "mvlab.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'mvlab.sqlite3'}"), conn_max_age=0
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The site, its worker and the CLI write at once: readers never wait for a writer (WAL), and a
    # transaction takes the write lock when it begins (IMMEDIATE), so one that read first cannot be
    # refused `database is locked` at its first write; a writer waits up to 20 s for the lock.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The site's one Redis, REDIS_URL (a unix socket: unix:///path): Celery's broker and results, the
# deployments' event streams and the channel layer. Celery would take $CELERY_BROKER_URL and
# $CELERY_RESULT_BACKEND over these settings, so they are refused. An agent's is MVLAB_BROKER_URL.
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
env_refused(
    ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"),
    "the site's broker, results, events and channel layer all come from REDIS_URL",
)
# channels_redis waits 5 s per read of a channel (BZPOPMIN); redis-py 8's default socket timeout is
# 5 s too, which ended idle reads with TimeoutError and closed every idle class websocket.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}]},
    }
}

CELERY_BROKER_URL = CELERY_RESULT_BACKEND = celery_url(REDIS_URL)
# A result read while Redis restarts is tried again (jittered back-off from 10 ms up to 2 s, at
# most about 18 s in all) instead of failing the site task that waits for an agent.
CELERY_RESULT_BACKEND_ALWAYS_RETRY = True
CELERY_RESULT_BACKEND_MAX_RETRIES = 15
CELERY_RESULT_BACKEND_MAX_SLEEP_BETWEEN_RETRIES_MS = 2000
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ROUTES = {"designer.*": {"queue": "site"}}

# Deploying: the site worker's queue, the local lab agent (a sandbox goes to the live lab agent
# with the most room, this one on a tie: designer.placement), and how long a host may take to
# answer one task before it is marked failed.
MVLAB_SITE_QUEUE = "site"
MVLAB_LAB_AGENT = env_str("MVLAB_LAB_AGENT", "lab")
MVLAB_DEPLOY_TIMEOUT = env_int("MVLAB_DEPLOY_TIMEOUT", 300)

# Event streams (designer.events): how long a websocket's Redis read may take before it fails
# (a follower blocks for 2/5 of it), and how long a torn-down deployment's stream is kept.
MVLAB_EVENTS_READ_TIMEOUT_MS = env_int("MVLAB_EVENTS_READ_TIMEOUT_MS", 5000)
MVLAB_EVENTS_RETENTION = env_int("MVLAB_EVENTS_RETENTION", 7 * 24 * 3600)

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
FRONTEND_DIST = BASE_DIR / "frontend" / "dist"
STATICFILES_DIRS = [FRONTEND_DIST] if FRONTEND_DIST.exists() else []
# WhiteNoise serves the built frontend; straight from frontend/dist when collectstatic has not run.
WHITENOISE_USE_FINDERS = True

# The student's class page shows the editor beside the checklist in a same-origin frame.
X_FRAME_OPTIONS = "SAMEORIGIN"

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# Sign-in throttling (django-axes, every sign-in: POST /api/session, /accounts/login/, the admin's):
# MVLAB_SIGNIN_FAILURES wrong passwords for one username from one address lock that pair out for
# MVLAB_SIGNIN_LOCKOUT_SECONDS, counted again from each refused attempt; a right one clears the count.
# By username and address together, so a class behind one NAT address is not locked out by one
# student's typos. Behind a proxy every address is the proxy's: the lock is then per username.
MVLAB_SIGNIN_FAILURES = env_count("MVLAB_SIGNIN_FAILURES", 5)
MVLAB_SIGNIN_LOCKOUT_SECONDS = env_count("MVLAB_SIGNIN_LOCKOUT_SECONDS", 300)
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = "designer.signin.failure_limit"
AXES_COOLOFF_TIME = "designer.signin.lockout"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # failures are kept (admin: Axes); successes need no row each
AXES_LOCKOUT_CALLABLE = "designer.signin.locked_out"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_count("MVLAB_PASSWORD_MIN_LENGTH", 10)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Served over TLS (MVLAB_TLS=true): session and CSRF cookies only over HTTPS, HSTS for
# MVLAB_HSTS_SECONDS, plain HTTP redirected to HTTPS. Behind a proxy that terminates TLS, name the
# header it sets in MVLAB_PROXY_SSL_HEADER ("X-Forwarded-Proto: https"), and only if the proxy
# always sets or strips it: a client could otherwise claim HTTPS.
MVLAB_TLS = env_bool("MVLAB_TLS", False)
SECURE_PROXY_SSL_HEADER = env_header("MVLAB_PROXY_SSL_HEADER")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = MVLAB_TLS
SECURE_HSTS_SECONDS = env_count("MVLAB_HSTS_SECONDS", 365 * 24 * 3600) if MVLAB_TLS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("MVLAB_HSTS_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("MVLAB_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [
    "security.W019",  # X_FRAME_OPTIONS is SAMEORIGIN on purpose: the class page frames the editor
    "security.W021",  # HSTS preload is the domain owner's choice (MVLAB_HSTS_PRELOAD)
]

# The admin site's path, or "off": on a site reached from outside the lab, move it to a path only
# administrators know, or turn it off (manage.py createsuperuser, lab grant ... do its work).
MVLAB_ADMIN_PATH = env_str("MVLAB_ADMIN_PATH", "admin/")
if MVLAB_ADMIN_PATH != "off" and not re.fullmatch(r"([A-Za-z0-9_.-]+/)+", MVLAB_ADMIN_PATH):
    raise ValueError(f"MVLAB_ADMIN_PATH={MVLAB_ADMIN_PATH!r}: expected a path like 'admin/' or 'off'")

# Per-user quotas (designer.quotas), refused with 409 naming the limit. Defaults fit one lab machine.
MVLAB_MAX_DESIGNS_PER_USER = env_count("MVLAB_MAX_DESIGNS_PER_USER", 50)
MVLAB_MAX_VERSIONS_PER_USER = env_count("MVLAB_MAX_VERSIONS_PER_USER", 2000)  # all designs' saves
MVLAB_MAX_DEPLOYMENTS_PER_USER = env_count("MVLAB_MAX_DEPLOYMENTS_PER_USER", 8)  # live: may hold hosts
MVLAB_MAX_SANDBOXES_PER_USER = env_count("MVLAB_MAX_SANDBOXES_PER_USER", 4)  # of those, lab sandboxes

# A design whose prediction would take more than about a second is refused with 422
# (designer.design_size): pairs = (endpoints - 1) x addresses, about 15 us each (bench/topology.py).
MVLAB_MAX_PREDICTED_PAIRS = env_count("MVLAB_MAX_PREDICTED_PAIRS", 60_000)

# Classes (classroom/, docs/classroom.md): what one student holds in sandboxes at once, a new
# class's defaults (each class may set its own), and how idle sandboxes go.
MVLAB_CLASS_MAX_HOSTS = env_count("MVLAB_CLASS_MAX_HOSTS", 6)  # hosts across their sandboxes
MVLAB_CLASS_MAX_CONTAINERS = env_count("MVLAB_CLASS_MAX_CONTAINERS", 16)  # containers and routers
MVLAB_CLASS_MAX_DEPLOYS = env_count("MVLAB_CLASS_MAX_DEPLOYS", 1)  # sandboxes (a redeploy replaces its own)
MVLAB_CLASS_IDLE_SECONDS = env_count("MVLAB_CLASS_IDLE_SECONDS", 3600)  # untouched this long: torn down
MVLAB_CLASS_SWEEP_SECONDS = env_count("MVLAB_CLASS_SWEEP_SECONDS", 30)  # how often the site worker looks
