"""A real Celery worker in a process of its own, for the tests that need the production path
(commit → broker → worker → provider) and for the fault tests that kill it.

    worker = CeleryWorker(folder, queue="…", database_url="…").start()
    …
    worker.kill()   # kill -9: what it held is lost with it
    worker.stop()   # SIGTERM, as a deployment does

The worker runs ``--pool=solo`` on one queue, with development settings, the given database
and a file SMS backend in ``folder/sms/sms.jsonl`` (``sms_sent``). Its own enqueues (the
sweeper's, a job's retry) go to the same queue.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

#: How long a worker may take to say "ready." (Django and Wagtail load first).
START_TIMEOUT = 60.0


class WorkerDidNotStart(RuntimeError):
    pass


def database_url_for_worker() -> str:
    """The test database (as pytest-django made it) as a URL, for another process."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return postgres_url(
        name=db["NAME"],
        host=db.get("HOST") or "127.0.0.1",
        port=int(db.get("PORT") or 5432),
        user=db.get("USER") or "",
        password=db.get("PASSWORD") or "",
    )


def postgres_url(*, name: str, host: str, port: int, user: str = "", password: str = "") -> str:
    auth = user + (f":{password}" if password else "")
    return f"postgres://{auth}@{host}:{port}/{name}"


def cache_url_for_worker() -> str | None:
    """The Redis database the test process caches in, or None (local memory). A worker on the
    same one counts SMS limits where the tests reset them, not in the shared database."""
    from django.conf import settings

    cache = settings.CACHES["default"]
    return cache["LOCATION"] if cache["BACKEND"].endswith("RedisCache") else None


class CeleryWorker:
    def __init__(
        self,
        folder: Path,
        *,
        queue: str,
        database_url: str,
        env: dict[str, str] | None = None,
        app: str = "portal",
        cwd: Path | None = None,
    ):
        self.folder = Path(folder)
        self.queue = queue
        self.database_url = database_url
        self.extra_env = dict(env or {})
        self.app = app
        self.cwd = cwd
        self.process: subprocess.Popen | None = None
        self.starts = 0
        self.log_path: Path | None = None
        self._log = None

    @property
    def sms_path(self) -> Path:
        return self.folder / "sms" / "sms.jsonl"

    def environment(self) -> dict[str, str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "portal.settings.dev",
            "DATABASE_URL": self.database_url,
            "SMS_BACKEND": "file",
            "SMS_FILE_PATH": str(self.folder / "sms"),
            "EMAIL_BACKEND": "locmem",
            "VAR_DIR": str(self.folder / "var"),
            "DEBUG": "false",
            # What the worker enqueues itself (the sweeper, retries) must come back to it.
            "CELERY_QUEUE": self.queue,
        }
        cache_url = cache_url_for_worker()
        if cache_url:
            env["REDIS_URL"] = cache_url
        env.update(self.extra_env)
        return env

    def start(self, timeout: float = START_TIMEOUT) -> CeleryWorker:
        """Start the worker and wait until it consumes."""
        return self.launch().wait_ready(timeout)

    def launch(self) -> CeleryWorker:
        """Start the worker process and return at once (``wait_ready`` waits for it to
        consume). Each start logs to its own file."""
        from django.conf import settings

        if self.process is not None and self.process.poll() is None:
            raise RuntimeError("the worker is already running")
        self.starts += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        self.log_path = self.folder / f"worker-{self.starts}.log"
        self._log = self.log_path.open("w")
        command = [
            sys.executable, "-m", "celery", "-A", self.app, "worker",
            "--pool=solo", "--without-mingle", "--without-gossip",
            "--loglevel=INFO", "-Q", self.queue, "-n", f"{self.queue}-{self.starts}@%h",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            cwd=self.cwd or settings.BASE_DIR,
            env=self.environment(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        return self

    def wait_ready(self, timeout: float = START_TIMEOUT) -> CeleryWorker:
        deadline = time.monotonic() + timeout
        while "ready." not in self.log_path.read_text():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                self.process.wait()
                raise WorkerDidNotStart(
                    "Celery worker did not start:\n" + self.log_path.read_text()
                )
            time.sleep(0.1)
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """kill -9: no goodbye to the broker; the job it held stays with the broker, unacked."""
        if self.running:
            self.process.send_signal(signal.SIGKILL)
        self._reap()

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM (warm shutdown), then SIGKILL if it does not end in time."""
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._reap()

    def _reap(self) -> None:
        if self.process is not None:
            self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log(self) -> str:
        """Everything every start of this worker logged, in order."""
        return "".join(
            (self.folder / f"worker-{n}.log").read_text() for n in range(1, self.starts + 1)
        )

    def sms_sent(self) -> list[dict]:
        """The texts the provider took: ``{"phone", "text", "sent_at"}`` each."""
        if not self.sms_path.exists():
            return []
        return [json.loads(line) for line in self.sms_path.read_text().splitlines() if line]


def broker_forget(queue: str) -> None:
    """Delete what the broker keeps for ``queue``: its messages and the ones a killed worker
    held (kombu's Redis transport keeps them in the ``unacked`` hash until its visibility
    timeout, then puts them back), so that nothing of a test reaches a later one. Redis only."""
    from django.conf import settings

    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
        return
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    separator, steps = "\x06\x16", (3, 6, 9)  # kombu's priority queues: "name\x06\x163", …
    client.delete(queue, *[f"{queue}{separator}{step}" for step in steps])
    # Its exchange's bindings (the queue's name: Celery's default for a default queue).
    client.delete(f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    for tag, payload in client.hscan_iter("unacked"):
        with contextlib.suppress(ValueError, TypeError, IndexError):
            _message, _exchange, routing_key = json.loads(payload)
            if routing_key == queue:
                client.hdel("unacked", tag)
                client.zrem("unacked_index", tag)
