"""The welcome message: owed at sign-up, delivered once through the outbox, by SMS and/or
email; on a real worker too."""

import json

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts import sms
from accounts.models import User
from core.models import Notice
from core.tasks import notice_deliver
from tests.conftest import wait_for
from tests.notices import welcome_notice, welcome_run

SENT = Notice.State.SENT


@pytest.mark.django_db
def test_welcome_goes_by_sms_and_email_once(relative):
    relative.email = "wang@example.com"
    relative.save()
    EmailAddress.objects.create(user=relative, email="wang@example.com", verified=True)
    assert welcome_run(relative.pk) == SENT
    assert [m.phone for m in sms.outbox] == [relative.phone]
    assert "欢迎加入侨心" in sms.outbox[0].text
    assert mail.outbox[0].to == ["wang@example.com"]
    assert mail.outbox[0].subject == "欢迎加入侨心"

    assert welcome_run(relative.pk) == SENT
    assert len(sms.outbox) == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_job_is_idempotent(relative):
    welcome_run(relative.pk)
    notice = welcome_notice(relative.pk)
    assert notice_deliver.apply(args=[notice.pk]).get() == SENT
    assert notice_deliver.apply(args=[notice.pk]).get() == SENT
    assert len(sms.outbox) == 1


@pytest.mark.django_db
def test_failed_delivery_leaves_it_unsent_for_the_retry(relative, monkeypatch):
    def refuse(self, messages):
        raise sms.SmsError("provider down")

    monkeypatch.setattr(sms.LocmemBackend, "send_messages", refuse)
    assert welcome_run(relative.pk) == Notice.State.PENDING
    notice = welcome_notice(relative.pk)
    assert notice.done_at is None and notice.sms_sent_at is None
    assert notice.attempts == 1 and "provider down" in notice.last_error


@pytest.mark.django_db
def test_unknown_or_inactive_user_gets_nothing(relative):
    welcome_run(relative.pk)  # owed while active …
    sms.outbox.clear()
    Notice.objects.all().update(done_at=None, state=Notice.State.PENDING, sms_sent_at=None)
    relative.is_active = False
    relative.save()
    # … delivered after the account was closed: nothing goes
    assert welcome_run(relative.pk) == Notice.State.SKIPPED
    assert welcome_run(999_999) == "missing"
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
    wait_for(lambda: welcome_notice(user.pk).done_at, what="the welcome marked done")
    assert len(_welcomes(celery_worker, "+8613712345678")) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_job_enqueued_twice_sends_once_on_a_real_worker(celery_worker, relative, outsider):
    from django.db import transaction

    from accounts.services import user_welcome_owe

    with transaction.atomic():
        user_welcome_owe(user=relative)  # enqueued once on commit …
    notice = welcome_notice(relative.pk)
    notice_deliver.delay(notice.pk)  # … and twice more, as redeliveries would
    notice_deliver.delay(notice.pk)
    # One solo worker takes jobs in order: once this later job is done, those above are too.
    with transaction.atomic():
        user_welcome_owe(user=outsider)
    wait_for(lambda: _welcomes(celery_worker, outsider.phone), what="the sentinel welcome SMS")
    wait_for(lambda: welcome_notice(relative.pk).done_at, what="the welcome marked done")
    assert len(_welcomes(celery_worker, relative.phone)) == 1
