"""When a service is away: Redis down → the site keeps serving (pages, login, sign-ups);
the database down → a 503 page in the site's look, and the site recovers by itself."""

from __future__ import annotations

import logging
import socket

import pytest
from django.core.cache import caches
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

from core.models import Notice
from events.choices import NOTICE_TOPIC
from events.models import Signup
from portal.celery import app
from tests.factories.events import event_create

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-42"  # tests.factories.UserFactory's


def closed_port() -> int:
    """A local port nobody listens on: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_down(settings, monkeypatch):
    """The cache (and its rate limits) and the broker all point at a closed port, as when
    Redis is stopped: the production layout, with Redis gone."""
    dead = f"redis://127.0.0.1:{closed_port()}"
    options = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.DegradingRedisCache", "LOCATION": f"{dead}/0",
                    "OPTIONS": options},
        "limits": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                   "LOCATION": f"{dead}/0", "OPTIONS": options},
    }  # fmt: skip
    caches._settings = None  # Django reads CACHES again on the next access of a cache
    for alias in ("default", "limits"):
        monkeypatch.delitem(caches._connections.__dict__, alias, raising=False)
    # the broker: real publishing to the dead address (not the tests' eager mode)
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    # broker_write_url: broker_url itself is read from CELERY_BROKER_URL first (CI's run)
    monkeypatch.setitem(app.conf, "broker_write_url", f"{dead}/1")
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    yield dead
    for alias in ("default", "limits"):
        caches._connections.__dict__.pop(alias, None)
    app._pool = None
    app.amqp._producer_pool = None


def test_public_journeys_work_with_redis_down(
    redis_down, relative, caplog, django_capture_on_commit_callbacks
):
    event = event_create(title="中秋联欢会", capacity=5)
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.WARNING):
        # Wagtail's site-root lookup goes through the cache: it falls back to the database
        assert client.get("/").status_code == 200
        assert client.get("/events/").status_code == 200
        page = client.get(event.url)
        assert page.status_code == 200
        assert "中秋联欢会" in page.content.decode()
        # login (allauth's rate limits live in the cache)
        response = client.post("/accounts/login/", {"login": relative.phone, "password": PASSWORD})
        assert response.status_code == 302, response.content.decode()[:500]
        # sign-up: saved and answered as a success; its notice waits in the outbox
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/me/events/join/{event.pk}/", {"party_size": "1"})
        assert response.status_code == 302
        assert response["Location"] == event.url
        page = client.get(event.url).content.decode()
        assert "报名成功" in page
    signup = Signup.objects.get(event=event, user=relative)
    assert signup.status == Signup.Status.CONFIRMED
    notice = Notice.objects.get(topic=NOTICE_TOPIC, object_id=signup.pk)
    assert notice.done_at is None and notice.next_attempt_at is not None  # for the sweeper
    assert "cache unavailable" in caplog.text
    assert "not enqueued (the sweeper will)" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and "500" in r.message]


def test_sms_limits_fail_closed_with_redis_down(redis_down, relative):
    """What must not degrade does not: with the limits uncountable, no text goes out."""
    from accounts import sms

    with pytest.raises(sms.SmsError):
        sms.send_sms(phone=relative.phone, text="测试", purpose=sms.SmsPurpose.ACCOUNT)
    assert sms.outbox == []


# -- the database ----------------------------------------------------------------------------


class DatabaseSwitch:
    """Every new cursor fails as when PostgreSQL is restarting, between ``down()`` and ``up()``."""

    def __init__(self):
        self.patch = pytest.MonkeyPatch()

    def down(self, message="connection refused: the database system is shutting down"):
        def refuse(wrapper, name=None):
            raise OperationalError(message)

        self.patch.setattr(BaseDatabaseWrapper, "_cursor", refuse)

    def up(self):
        self.patch.undo()


@pytest.fixture
def database():
    switch = DatabaseSwitch()
    yield switch
    switch.up()


def test_a_database_outage_is_a_503_page_and_the_site_recovers(relative, client_for, database):
    event = event_create(title="重阳敬老宴")
    client = client_for("relative")
    client.raise_request_exception = False
    assert client.get(event.url).status_code == 200

    database.down()
    for response in (
        client.get("/"),
        client.get(event.url),
        client.post(f"/me/events/join/{event.pk}/", {"party_size": "1"}),
    ):
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        body = response.content.decode()
        assert "网站正在恢复，请稍后再试" in body
        assert "没有保存" in body
    database.up()

    # back by itself: the next requests are served, and nothing was written meanwhile
    assert client.get(event.url).status_code == 200
    assert not Signup.objects.filter(event=event).exists()


def test_a_lock_that_stays_taken_is_a_busy_page(relative, client_for, database):
    """SQLite's "database is locked" (a writer waited past its timeout) is "busy", not broken."""
    client = client_for("relative")
    client.raise_request_exception = False
    database.down("database is locked")
    response = client.get("/")
    database.up()
    assert response.status_code == 503
    assert "系统繁忙，请稍后再试" in response.content.decode()
    assert response["Retry-After"] == "5"


def test_the_error_handler_tells_outages_from_bugs(rf):
    from portal.views import server_error

    def answer(exc):
        try:
            raise exc
        except Exception:
            return server_error(rf.get("/"))

    assert answer(OperationalError("could not connect to server")).status_code == 503
    assert answer(OperationalError("database is locked"))["Retry-After"] == "5"
    bug = answer(ValueError("a bug"))
    assert bug.status_code == 500
    assert "服务器出错了" in bug.content.decode()
