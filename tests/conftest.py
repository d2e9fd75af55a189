"""Personas and shared fixtures. Personas as in ../shared/STYLE.md: anonymous, relative,
volunteer, group_leader, cadre, committee_member, staff, admin and an outsider."""

from __future__ import annotations

import pytest
from django.http import HttpRequest
from django.test import Client

from accounts import sms
from accounts.roles import Role
from accounts.services import roles_sync
from tests.factories import UserFactory, with_totp

PASSWORD = "correct-horse-42"


@pytest.fixture(autouse=True)
def _clean_outboxes(settings):
    sms.outbox.clear()
    yield
    sms.outbox.clear()


@pytest.fixture(autouse=True)
def _default_language():
    # The locale middleware activates the request's language on the test's thread, and nothing
    # resets it after the response: a test that asked for zh-hant would leave it for the next.
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _broker_not_paused():
    # core.tasks.notices_enqueue leaves a failed broker alone for a while, per process: a test
    # that plays a broker outage must not leave the next test without one.
    from core.tasks import broker_pause_reset

    broker_pause_reset()
    yield
    broker_pause_reset()


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate limits live in the cache; each test starts with none used.
    from django.core.cache import caches

    caches["default"].clear()
    caches["limits"].clear()
    yield


@pytest.fixture
def roles(db):
    return roles_sync()


def _persona(roles, role: str | None, **extra):
    user = UserFactory(**extra)
    if role == "admin":
        user.is_staff = user.is_superuser = True
        user.save()
    elif role is not None:
        user.groups.add(roles[role])
        if role == Role.STAFF:
            user.is_staff = True
            user.save()
    if role in ("admin", Role.STAFF, Role.CADRE, Role.GROUP_LEADER):
        # They must sign in with a second factor: give them the authenticator app they set up.
        with_totp(user)
    return user


@pytest.fixture(autouse=True)
def _force_login_passes_mfa(monkeypatch):
    """``client.force_login(user)`` stands for a complete login: for a user with an
    authenticator app it also marks the session as having passed the second factor, as
    allauth's login flow does (without it accounts.middleware logs such a session out).
    A user who must use a second factor and has none is still sent to set it up."""
    from allauth.mfa.models import Authenticator

    from accounts.mfa import session_mark_mfa_passed

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        if Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists():
            request = HttpRequest()
            request.session = self.session
            session_mark_mfa_passed(request, user, type=Authenticator.Type.TOTP)
            request.session.save()

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def relative(roles):
    return _persona(roles, None, name="王秀英")


@pytest.fixture
def volunteer(roles):
    return _persona(roles, Role.VOLUNTEER, name="李建国")


@pytest.fixture
def group_leader(roles):
    return _persona(roles, Role.GROUP_LEADER, name="陈美华")


@pytest.fixture
def cadre(roles):
    return _persona(roles, Role.CADRE, name="林志强")


@pytest.fixture
def committee_member(roles):
    return _persona(roles, Role.COMMITTEE_MEMBER, name="周丽娟")


@pytest.fixture
def staff(roles):
    return _persona(roles, Role.STAFF, name="张晓燕")


@pytest.fixture
def admin(roles):
    return _persona(roles, "admin", name="管理员")


@pytest.fixture
def outsider(roles):
    return _persona(roles, None, name="外人")


PERSONAS = ["anonymous", "relative", "volunteer", "group_leader", "cadre", "committee_member",
            "staff", "admin", "outsider"]  # fmt: skip


@pytest.fixture
def client_for(request):
    """``client_for("staff")`` → a test client logged in as that persona."""

    def make(persona: str) -> Client:
        client = Client()
        if persona != "anonymous":
            client.force_login(request.getfixturevalue(persona))
        return client

    return make


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real Celery worker in its own process, on the configured broker and the test database.

    Only when CELERY_BROKER_URL is set (CI's PostgreSQL + Redis run): in embedded mode the
    suite runs jobs eagerly and the test database lives in memory. Tests using it must use
    ``transaction=True`` so the worker sees committed rows. Messages the worker sends land in
    the yielded folder (``sms/sms.jsonl``). Tests that need a worker of their own (to kill it,
    to slow it down) start one with ``tests.support.worker.CeleryWorker`` on their own queue.
    """
    from django.conf import settings

    from tests.support.worker import CeleryWorker, WorkerDidNotStart, database_url_for_worker

    if settings.CELERY_EMBEDDED:
        pytest.skip("needs CELERY_BROKER_URL: in embedded mode tests run jobs eagerly")
    folder = tmp_path_factory.mktemp("worker")
    worker = CeleryWorker(
        folder, queue=settings.CELERY_TASK_DEFAULT_QUEUE, database_url=database_url_for_worker()
    )
    try:
        worker.start()
    except WorkerDidNotStart as exc:
        pytest.fail(str(exc))
    yield folder
    worker.stop()


def wait_for(predicate, *, timeout: float = 30.0, what: str = "condition"):
    """Poll until ``predicate()`` is truthy (for work done by another process)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def eager_jobs():
    """Run Celery jobs in the test's own process and transaction, even when a broker is set:
    for tests that check what a job does, not how it travels (tests/accounts/test_tasks.py
    covers the real worker)."""
    from portal.celery import app

    saved = {key: app.conf[key] for key in ("task_always_eager", "task_eager_propagates")}
    app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    app.conf.update(saved)
