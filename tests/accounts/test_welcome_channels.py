"""The welcome is marked per channel: a retry sends only what has not gone yet."""

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from accounts import sms
from accounts.models import User
from accounts.services import user_welcome_send
from accounts.tasks import welcome_send
from tests.factories import UserFactory


@pytest.fixture
def mail_fails_once(monkeypatch):
    """Django's mail backend raises on its first call (the mail server is down), then works."""
    send_messages = EmailBackend.send_messages
    calls = []

    def flaky(self, messages):
        calls.append(messages)
        if len(calls) == 1:
            raise OSError("mail server down")
        return send_messages(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    return calls


@pytest.mark.django_db
def test_a_failed_email_is_retried_without_texting_again(relative, mail_fails_once):
    relative.email = "wang@example.com"
    relative.save()

    # The first run fails on the email and is retried inline, as a worker would later
    # (throw=False lets the eager apply() follow Celery's Retry instead of raising it).
    assert welcome_send.apply(args=[relative.pk], throw=False).get() is True

    assert len(mail_fails_once) == 2
    assert [m.phone for m in sms.outbox] == [relative.phone]
    assert [m.to for m in mail.outbox] == [["wang@example.com"]]
    user = User.objects.get(pk=relative.pk)
    assert user.welcome_sms_at is not None
    assert user.welcome_email_at is not None
    assert user.welcomed_at is not None


@pytest.mark.django_db
def test_the_text_stays_marked_when_the_email_fails(relative, mail_fails_once):
    relative.email = "wang@example.com"
    relative.save()

    with pytest.raises(OSError):
        user_welcome_send(user_id=relative.pk)
    user = User.objects.get(pk=relative.pk)
    assert user.welcome_sms_at is not None
    assert user.welcome_email_at is None
    assert user.welcomed_at is None  # the welcome is not done: the job will run again

    assert user_welcome_send(user_id=relative.pk) is True
    assert user_welcome_send(user_id=relative.pk) is False
    assert len(sms.outbox) == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failed_text_sends_no_email_twice_either(relative, monkeypatch):
    relative.email = "wang@example.com"
    relative.save()
    send_messages = sms.LocmemBackend.send_messages
    calls = []

    def flaky(self, messages):
        calls.append(messages)
        if len(calls) == 1:
            raise sms.SmsError("provider down")
        return send_messages(self, messages)

    monkeypatch.setattr(sms.LocmemBackend, "send_messages", flaky)
    assert welcome_send.apply(args=[relative.pk], throw=False).get() is True
    assert len(calls) == 2
    assert len(sms.outbox) == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_an_email_only_user_is_welcomed_by_email(roles):
    user = UserFactory(phone=None, email="li@example.com")
    assert user_welcome_send(user_id=user.pk) is True
    assert not sms.outbox
    assert [m.to for m in mail.outbox] == [["li@example.com"]]
    user.refresh_from_db()
    assert user.welcome_sms_at is None
    assert user.welcome_email_at is not None
    assert user.welcomed_at is not None
