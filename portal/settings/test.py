"""The test suite. Runs on SQLite with eager jobs by default; when DATABASE_URL,
REDIS_URL and CELERY_BROKER_URL are set it runs on them, and tests marked ``celery_worker``
start a real worker process (see tests/conftest.py)."""

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, CELERY_EMBEDDED, DATABASES

DEBUG = False
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "accounts.sms.LocmemBackend"
# With no broker, tasks run in the caller; with a broker they go to the real worker.
CELERY_TASK_ALWAYS_EAGER = CELERY_EMBEDDED
CELERY_TASK_EAGER_PROPAGATES = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # An in-memory test database: fast, and each xdist worker gets its own.
    DATABASES["default"]["TEST"] = {"NAME": ""}
