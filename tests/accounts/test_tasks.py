"""The welcome message: sent once, after commit, by SMS and/or email."""

import json

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts import sms
from accounts.models import User
from accounts.services import user_welcome_send
from accounts.tasks import welcome_send
from tests.conftest import wait_for


@pytest.mark.django_db
def test_welcome_goes_by_sms_and_email_once(relative):
    relative.email = "wang@example.com"
    relative.save()
    EmailAddress.objects.create(user=relative, email="wang@example.com", verified=True)
    assert user_welcome_send(user_id=relative.pk) is True
    assert [m.phone for m in sms.outbox] == [relative.phone]
    assert "欢迎加入侨心" in sms.outbox[0].text
    assert mail.outbox[0].to == ["wang@example.com"]
    assert mail.outbox[0].subject == "欢迎加入侨心"

    assert user_welcome_send(user_id=relative.pk) is False
    assert len(sms.outbox) == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_task_runs_the_service_and_is_idempotent(relative):
    assert welcome_send.apply(args=[relative.pk]).get() is True
    assert welcome_send.apply(args=[relative.pk]).get() is False
    assert len(sms.outbox) == 1


@pytest.mark.django_db
def test_failed_delivery_leaves_it_unsent_for_the_retry(relative, monkeypatch):
    def refuse(self, messages):
        raise sms.SmsError("provider down")

    monkeypatch.setattr(sms.LocmemBackend, "send_messages", refuse)
    with pytest.raises(sms.SmsError):
        user_welcome_send(user_id=relative.pk)
    relative.refresh_from_db()
    assert relative.welcomed_at is None


@pytest.mark.django_db
def test_unknown_or_inactive_user_gets_nothing(relative):
    relative.is_active = False
    relative.save()
    assert user_welcome_send(user_id=relative.pk) is False
    assert user_welcome_send(user_id=999_999) is False
    assert not sms.outbox


def _welcomes(folder, phone):
    path = folder / "sms" / "sms.jsonl"
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return [m for m in lines if m["phone"] == phone and "欢迎" in m["text"]]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_sign_up_welcome_is_sent_by_a_real_worker(celery_worker, client):
    """The production path: commit → broker → worker process → SMS backend."""
    password = "Qx-secret-9981"
    client.post(
        "/accounts/signup/",
        {"name": "钱阿姨", "phone": "13712345678", "password1": password, "password2": password},
    )
    code = sms.outbox[-1].text.split("验证码是 ")[1][:6]
    client.post("/accounts/phone/verify/", {"code": code})
    wait_for(lambda: _welcomes(celery_worker, "+8613712345678"), what="the welcome SMS")
    user = User.objects.get(phone="+8613712345678")
    wait_for(lambda: User.objects.get(pk=user.pk).welcomed_at, what="welcomed_at")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_job_enqueued_twice_sends_once_on_a_real_worker(celery_worker, relative, outsider):
    welcome_send.delay(relative.pk)
    welcome_send.delay(relative.pk)
    # One solo worker takes jobs in order: once this later job is done, both above are too.
    welcome_send.delay(outsider.pk)
    wait_for(lambda: _welcomes(celery_worker, outsider.phone), what="the sentinel welcome SMS")
    assert len(_welcomes(celery_worker, relative.phone)) == 1
    assert User.objects.get(pk=relative.pk).welcomed_at is not None
