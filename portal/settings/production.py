"""Production: gunicorn behind a reverse proxy, PostgreSQL, Redis, Celery workers + beat.

Refuses to start without the things production cannot do without, naming the variable.
"""

from core import env

from .base import *  # noqa: F403
from .base import CELERY_EMBEDDED, DATABASES, REDIS_URL

DEBUG = env.boolean("DEBUG", False)
SECRET_KEY = env.string("SECRET_KEY")
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise env.EnvError("SECRET_KEY", "must be at least 50 characters of random text.")
ALLOWED_HOSTS = env.csv_list("ALLOWED_HOSTS", [])
if not ALLOWED_HOSTS:
    raise env.EnvError("ALLOWED_HOSTS", "is required in production (comma-separated host names).")
if REDIS_URL is None:
    # Rate limits and caches must be shared by every web process.
    raise env.EnvError("REDIS_URL", "is required in production (rate limits need a shared cache).")
if CELERY_EMBEDDED and not env.boolean("ALLOW_EMBEDDED_JOBS", False):
    raise env.EnvError("CELERY_BROKER_URL", "is required in production (e.g. redis://…/1).")
if DATABASES["default"]["ENGINE"].endswith("sqlite3") and not env.boolean("ALLOW_SQLITE", False):
    raise env.EnvError("DATABASE_URL", "is required in production (postgres://…).")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # Uploaded registers: outside MEDIA_ROOT, no URL (an S3 bucket with private ACLs also fits).
    "private": STORAGES["private"],  # noqa: F405
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.boolean("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env.boolean("SECURE_HSTS_PRELOAD", True)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Cookies only over HTTPS. SECURE_COOKIES=false is for benchmarks on plain HTTP on loopback.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = env.boolean(
    "SECURE_COOKIES", True
)
