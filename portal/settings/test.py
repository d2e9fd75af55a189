"""The test suite. Runs on SQLite with eager jobs by default; when DATABASE_URL,
REDIS_URL and CELERY_BROKER_URL are set it runs on them, and tests marked ``celery_worker``
start a real worker process (see tests/conftest.py)."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import (
    ALLOWED_HOSTS,
    CACHES,
    CELERY_EMBEDDED,
    CELERY_TASK_DEFAULT_QUEUE,
    DATABASES,
    STORAGES,
)

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

# With pytest-xdist each test process starts its own worker on its own test database, so each
# needs its own queue: a job must never be picked up by another process's worker.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if _XDIST_WORKER:
    CELERY_TASK_DEFAULT_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}-{_XDIST_WORKER}"
# Tests clear the cache between them (rate limits live there): on Redis that empties the whole
# database, so the tests never use the one REDIS_URL names: each test process gets a database of
# its own (10, 11, …; 10 without xdist). TEST_REDIS_DB_BASE moves them (two checkouts testing
# on one Redis at the same time).
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    from urllib.parse import urlsplit, urlunsplit

    _number = int("".join(ch for ch in _XDIST_WORKER if ch.isdigit()) or 0)
    _number += int(os.environ.get("TEST_REDIS_DB_BASE", "10"))
    for _alias in ("default", "limits"):
        _parts = urlsplit(CACHES[_alias]["LOCATION"])
        CACHES[_alias]["LOCATION"] = urlunsplit(_parts._replace(path=f"/{_number}"))

# Uploaded files (public media and the private register uploads) go to a folder of this test
# run, never into var/. The folder is named in the environment so that a real worker started
# by the tests (a child process) reads the same files.
_FILES = Path(os.environ.setdefault("QIAOXIN_TEST_FILES", tempfile.mkdtemp(prefix="qiaoxin-test-")))
MEDIA_ROOT = _FILES / "media"
PRIVATE_MEDIA_ROOT = _FILES / "private"
STORAGES = {
    **STORAGES,
    "private": {**STORAGES["private"], "OPTIONS": {"location": PRIVATE_MEDIA_ROOT}},
}
