"""Embedded Celery keeps all of kombu's files under VAR_DIR, wherever the process starts.

kombu's filesystem transport writes its exchange tables to ``control_folder``, by default
``control`` relative to the working directory: a ``control/celery.exchange`` was once committed
from the repository root by accident."""

import json
import os
import subprocess
import sys
from pathlib import Path

BIND_A_QUEUE = """
import json, django
django.setup()
from django.conf import settings
from kombu import Exchange, Queue
from portal.celery import app

with app.connection_for_write() as connection:
    Queue("celery", Exchange("celery"), "celery")(connection.default_channel).declare()
print(json.dumps(settings.CELERY_BROKER_TRANSPORT_OPTIONS))
"""


def test_embedded_celery_keeps_its_control_folder_in_var_dir(tmp_path):
    var_dir, elsewhere = tmp_path / "var", tmp_path / "elsewhere"
    elsewhere.mkdir()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CELERY_")}
    environ.update(
        DJANGO_SETTINGS_MODULE="portal.settings.dev",
        VAR_DIR=str(var_dir),
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )
    result = subprocess.run(
        [sys.executable, "-c", BIND_A_QUEUE],
        cwd=elsewhere,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout.strip().splitlines()[-1])

    control = var_dir / "celery" / "control"
    assert not (elsewhere / "control").exists()  # nothing in the working directory
    assert (control / "celery.exchange").exists()
    assert Path(options.get("control_folder", "")) == control
