"""The portal's Celery app with the delivery job's autoretry taken off, for a negative control:
``celery -A tests.support.no_autoretry worker``. A database error then fails the job for good,
as it did before the outbox (issue 9), and only the sweeper can find its notice again."""

from __future__ import annotations

import django

from portal.celery import app

django.setup()

from core import tasks  # noqa: E402

_task = app.tasks[tasks.notice_deliver.name]
# celery.app.autoretry wraps ``run`` once, when the task is made, and keeps the original here.
_task.run = _task._orig_run

__all__ = ["app"]
