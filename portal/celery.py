"""The Celery app. Workers: ``celery -A portal worker``; beat: ``celery -A portal beat``.

Settings come from Django settings with the CELERY_ prefix (portal/settings/base.py).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.dev")

app = Celery("portal", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
