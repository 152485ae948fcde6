"""Django settings: every value comes from an environment variable, with a safe local default."""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ZLV_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
DEMO_MODE = env_bool("ZLV_DEMO", False)
# Signs sessions and links. Required outside demo mode; the demo makes a random one under var/.
SECRET_KEY = os.environ.get("SECRET_KEY", "").strip()
if not SECRET_KEY and DEMO_MODE:
    from zlv.utils.secret_key import demo_secret_key

    SECRET_KEY = demo_secret_key(VAR_DIR / "secret_key")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "La variable d’environnement SECRET_KEY est obligatoire hors du mode démonstration "
        "(ZLV_DEMO=1) : définissez une valeur longue et aléatoire, par exemple "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`. "
        "/ SECRET_KEY must be set outside demo mode."
    )
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "dsfr",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "zlv.geo",
    "zlv.accounts",
    "zlv.housing",
    "zlv.lovac",
    "zlv.api",
    "zlv.teamwork",
    "zlv.campaigns",
    "zlv.www",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Control characters in any input: refused before a view sees them.
    "zlv.www.middleware.ControlCharactersMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "zlv" / "www" / "templates"],
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

# Database: DATABASE_URL, or the embedded PostgreSQL under var/pgdata.
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
else:
    from zlv.utils.embedded_db import ensure_embedded_server

    DATABASES = {"default": ensure_embedded_server(VAR_DIR / "pgdata")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# Several suites may share one server (parallel sessions): ZLV_TEST_DATABASE names the test database.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("ZLV_TEST_DATABASE") or None}
DATABASES["default"].setdefault("OPTIONS", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# E-mail login; refuses system and inactive accounts (also on every request).
AUTHENTICATION_BACKENDS = ["zlv.accounts.backends.EmailBackend"]
LOGIN_URL = "/connexion"
LOGIN_REDIRECT_URL = "/parc-de-logements"
# Brute-force lockout: this many failures for one e-mail within the window lock it for the window.
SIGN_IN_MAX_FAILURES = int(os.environ.get("SIGN_IN_MAX_FAILURES", "5"))
SIGN_IN_LOCKOUT_MINUTES = int(os.environ.get("SIGN_IN_LOCKOUT_MINUTES", "15"))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr-fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# Background export files (and their jobs) are deleted this many days after their creation.
EXPORT_RETENTION_DAYS = int(os.environ.get("EXPORT_RETENTION_DAYS", "7"))

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Address of the service, for the absolute links of e-mails and messages built outside a request
# (management commands, background tasks).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Zéro Logement Vacant <ne-pas-repondre@zlv.local>")

# "Je donne mon avis" button in the header.
FEEDBACK_URL = os.environ.get(
    "FEEDBACK_URL",
    "mailto:contact@zerologementvacant.beta.gouv.fr?subject=Mon%20avis%20sur%20Z%C3%A9ro%20Logement%20Vacant",
)

# Content Security Policy (django-csp 4): everything from our own origin (DSFR, htmx, fonts are
# served by whitenoise), inline scripts only with the per-request nonce, no inline styles.
# DSFR's CSS uses data: URIs for some icons. Hosts a feature needs (map tiles…) are added here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# Base map of the dwellings map (MapLibre style JSON). Empty: no base map, the points and the
# perimeter are drawn on a plain background (offline installs, tests).
MAP_STYLE_URL = os.environ.get(
    "MAP_STYLE_URL",
    "https://data.geopf.fr/annexes/ressources/vectorTiles/styles/PLAN.IGN/standard.json",
)
# MapLibre runs its worker from our static files and decodes tiles into blob:/data: images; the
# base map's tiles, glyphs and sprites come from the style's host.
CONTENT_SECURITY_POLICY["DIRECTIVES"]["worker-src"] = ["'self'", "blob:"]
CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"] = ["'self'", "data:", "blob:"]
if MAP_STYLE_URL:
    from urllib.parse import urlsplit

    _map_style = urlsplit(MAP_STYLE_URL)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["connect-src"].append(f"{_map_style.scheme}://{_map_style.netloc}")
if os.environ.get("CSP_REPORT_URI"):
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["report-uri"] = [os.environ["CSP_REPORT_URI"]]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Demo accounts' password (demo mode only).
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "demo-zlv-2026!")
# Attribution of automatic changes (LOVAC import…).
SYSTEM_USER_EMAIL = "systeme@zlv.local"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
