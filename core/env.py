"""The one place settings read the environment.

Every helper names the variable in its error, so a typo in production stops start-up with a
message an operator can act on instead of a stack trace deep inside a database driver.
An optional ``.env`` file in the project root is read first; real environment variables win.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


class EnvError(ImproperlyConfigured):
    """A variable is set to something the portal cannot use."""

    def __init__(self, name: str, problem: str):
        self.name = name
        super().__init__(f"Environment variable {name}: {problem}")


def load_dotenv(path: Path) -> None:
    """Read KEY=VALUE lines from ``path`` into os.environ without overriding what is set."""
    if not path.is_file():
        return
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        match = _LINE.match(raw)
        if not match:
            raise ImproperlyConfigured(f"{path}:{number}: expected KEY=VALUE, got {raw!r}")
        key, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(key, value)


def is_set(name: str) -> bool:
    return bool(os.environ.get(name, "").strip())


def string(name: str, default: str | None = None, *, choices: tuple[str, ...] = ()) -> str:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        if default is None:
            raise EnvError(name, "is required but not set.")
        return default
    value = value.strip()
    if choices and value not in choices:
        raise EnvError(name, f"must be one of {', '.join(choices)}; got {value!r}.")
    return value


def boolean(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise EnvError(name, f"must be true or false (1/0, yes/no, on/off); got {value!r}.")


def integer(name: str, default: int, *, minimum: int | None = None) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise EnvError(name, f"must be a whole number; got {value!r}.") from None
    if minimum is not None and number < minimum:
        raise EnvError(name, f"must be at least {minimum}; got {number}.")
    return number


def csv_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def url(name: str, default: str | None = None, *, schemes: tuple[str, ...]) -> str | None:
    """A URL whose scheme is one of ``schemes`` and that names a host or a path."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    value = value.strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise EnvError(name, f"is not a valid URL ({exc}).") from None
    if parts.scheme not in schemes:
        raise EnvError(
            name, f"must start with one of {', '.join(s + '://' for s in schemes)}; got {value!r}."
        )
    if not (parts.netloc or parts.path.strip("/")):
        raise EnvError(name, f"names no host or database; got {value!r}.")
    return value


DATABASE_SCHEMES = ("postgres", "postgresql", "pgsql", "sqlite")


def database(name: str, default_sqlite_path: Path) -> dict:
    """Django DATABASES['default'] from a URL; SQLite in var/ when unset.

    SQLite runs in WAL mode with IMMEDIATE transactions so that concurrent writers (the web
    process and the embedded worker) queue on the write lock instead of failing with
    'database is locked' half-way through a transaction.
    """
    import dj_database_url

    value = url(name, schemes=DATABASE_SCHEMES)
    if value is None:
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(default_sqlite_path)}
    else:
        try:
            config = dj_database_url.parse(value, conn_max_age=600, conn_health_checks=True)
        except (ValueError, KeyError) as exc:
            raise EnvError(name, f"could not be parsed ({exc}).") from None
        if config["ENGINE"] != "django.db.backends.sqlite3" and not config.get("NAME"):
            raise EnvError(name, f"names no database; got {value!r}.")
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config.setdefault("OPTIONS", {}).update(
            {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
                ),
            }
        )
        config["CONN_MAX_AGE"] = 0
        config["CONN_HEALTH_CHECKS"] = False
    return config
