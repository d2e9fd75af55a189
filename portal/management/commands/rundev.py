"""`make run`: the web server and, in embedded mode, one Celery worker with beat, together.

Ctrl-C (or SIGTERM) stops both. With CELERY_BROKER_URL set, no worker is started here: run
`celery -A portal worker -B` yourself against that broker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the portal with runserver plus an embedded Celery worker and beat."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument("--no-worker", action="store_true", help="do not start a worker")

    def handle(self, *args, addrport: str, no_worker: bool, **options):
        python = sys.executable
        children: list[subprocess.Popen] = []
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if settings.CELERY_EMBEDDED and not no_worker:
            worker = [python, "-m", "celery", "-A", "portal", "worker", "--beat",
                      "--pool=solo", "--without-mingle", "--without-gossip",
                      "--without-heartbeat", "--loglevel=INFO",
                      f"--schedule={settings.CELERY_BEAT_SCHEDULE_FILENAME}"]  # fmt: skip
            children.append(subprocess.Popen(worker, env=env))
            self.stdout.write("Background jobs: embedded Celery worker + beat (var/celery/).")
        elif not no_worker:
            self.stdout.write(
                f"Background jobs: broker {settings.CELERY_BROKER_URL} — start a worker with "
                "`celery -A portal worker -B`."
            )
        server = [python, "manage.py", "runserver", addrport]
        children.append(subprocess.Popen(server, env=env))

        def stop(*_args):
            for child in children:
                if child.poll() is None:
                    child.terminate()
            deadline = time.monotonic() + 10
            for child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()

        signal.signal(signal.SIGTERM, lambda *a: (stop(), sys.exit(0)))
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            self.stderr.write("A child process stopped; shutting down.")
        except KeyboardInterrupt:
            pass
        finally:
            stop()
