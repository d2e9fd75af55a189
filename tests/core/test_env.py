import os
import subprocess
import sys

import pytest

from core import env


@pytest.fixture
def environ(monkeypatch):
    def set_(**values):
        for key, value in values.items():
            monkeypatch.setenv(key, value)

    return set_


def test_boolean_accepts_common_spellings(environ):
    environ(FLAG_A="yes", FLAG_B="0", FLAG_C="On")
    assert env.boolean("FLAG_A", False) is True
    assert env.boolean("FLAG_B", True) is False
    assert env.boolean("FLAG_C", False) is True
    assert env.boolean("FLAG_UNSET_XYZ", True) is True


def test_malformed_boolean_names_the_variable(environ):
    environ(DEBUG="maybe")
    with pytest.raises(env.EnvError, match="DEBUG"):
        env.boolean("DEBUG", False)


def test_integer_rejects_text_and_small_values(environ):
    environ(EMAIL_PORT="twenty-five")
    with pytest.raises(env.EnvError, match=r"EMAIL_PORT.*whole number"):
        env.integer("EMAIL_PORT", 25)
    environ(EMAIL_PORT="0")
    with pytest.raises(env.EnvError, match="at least 1"):
        env.integer("EMAIL_PORT", 25, minimum=1)


def test_database_defaults_to_sqlite_with_wal_and_immediate(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    config = env.database("DATABASE_URL", tmp_path / "db.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]


def test_database_url_for_postgres(environ, tmp_path):
    environ(DATABASE_URL="postgres://postgres@127.0.0.1:5432/qiaoxin")
    config = env.database("DATABASE_URL", tmp_path / "x")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "qiaoxin"
    assert config["HOST"] == "127.0.0.1"


@pytest.mark.parametrize(
    "value",
    ["mysql://root@localhost/x", "postgres://host:notaport/db", "not a url", "postgres://"],
)
def test_malformed_database_url_names_the_variable(environ, tmp_path, value):
    environ(DATABASE_URL=value)
    with pytest.raises(env.EnvError, match="DATABASE_URL"):
        env.database("DATABASE_URL", tmp_path / "x")


def test_dotenv_fills_unset_variables_only(tmp_path, monkeypatch):
    monkeypatch.setenv("QX_ALREADY", "from-environment")
    monkeypatch.delenv("QX_NEW", raising=False)
    dotenv = tmp_path / ".env"
    dotenv.write_text('# comment\nQX_ALREADY=from-file\nexport QX_NEW="quoted value"\n')
    env.load_dotenv(dotenv)
    assert os.environ["QX_ALREADY"] == "from-environment"
    assert os.environ["QX_NEW"] == "quoted value"
    monkeypatch.delenv("QX_NEW")


def _start(settings_module: str, **variables: str) -> subprocess.CompletedProcess:
    """Start Django in a fresh interpreter with the given environment, as a server would."""
    ours = {*PRODUCTION, "DEBUG", "DJANGO_SETTINGS_MODULE"}
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    clean.update(variables, DJANGO_SETTINGS_MODULE=settings_module)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


PRODUCTION = {
    "SECRET_KEY": "k" * 20 + "abcdefghij0123456789ABCDEFGHIJ",
    "ALLOWED_HOSTS": "qiaoxin.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/qiaoxin",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/1",
}


def test_start_up_stops_on_malformed_database_url():
    result = _start("portal.settings.dev", DATABASE_URL="postgres://db:port/x")
    assert result.returncode != 0
    assert "Environment variable DATABASE_URL" in result.stderr


def test_production_requires_secret_key():
    variables = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = _start("portal.settings.production", **variables)
    assert result.returncode != 0
    assert "Environment variable SECRET_KEY: is required" in result.stderr


@pytest.mark.parametrize("missing", ["ALLOWED_HOSTS", "REDIS_URL", "CELERY_BROKER_URL"])
def test_production_requires_shared_services(missing):
    variables = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = _start("portal.settings.production", **variables)
    assert result.returncode != 0
    assert f"Environment variable {missing}" in result.stderr


def test_production_starts_with_everything_set():
    result = _start("portal.settings.production", **PRODUCTION)
    assert result.returncode == 0, result.stderr
