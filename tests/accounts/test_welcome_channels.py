"""The welcome is marked per channel: a retry sends only what has not gone yet."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend

from accounts import sms
from accounts.models import User
from core.models import Notice
from tests.factories import UserFactory
from tests.notices import welcome_notice, welcome_run

SENT = Notice.State.SENT


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
    EmailAddress.objects.create(user=relative, email="wang@example.com", verified=True)

    assert welcome_run(relative.pk) == Notice.State.PENDING  # the mail failed
    notice = welcome_notice(relative.pk)
    assert notice.sms_sent_at is not None
    assert notice.email_sent_at is None
    assert notice.done_at is None  # the welcome is not done: the sweeper runs it again

    assert welcome_run(relative.pk) == SENT  # the retry
    assert welcome_run(relative.pk) == SENT  # and once more: nothing left to send
    assert len(mail_fails_once) == 2
    assert [m.phone for m in sms.outbox] == [relative.phone]
    assert [m.to for m in mail.outbox] == [["wang@example.com"]]
    notice.refresh_from_db()
    assert notice.email_sent_at is not None and notice.done_at is not None


@pytest.mark.django_db
def test_a_failed_text_sends_no_email_twice_either(relative, monkeypatch):
    relative.email = "wang@example.com"
    relative.save()
    EmailAddress.objects.create(user=relative, email="wang@example.com", verified=True)
    send_messages = sms.LocmemBackend.send_messages
    calls = []

    def flaky(self, messages):
        calls.append(messages)
        if len(calls) == 1:
            raise sms.SmsError("provider down")
        return send_messages(self, messages)

    monkeypatch.setattr(sms.LocmemBackend, "send_messages", flaky)
    assert welcome_run(relative.pk) == Notice.State.PENDING
    assert welcome_run(relative.pk) == SENT
    assert len(calls) == 2
    assert len(sms.outbox) == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_an_email_only_user_is_welcomed_by_email(roles):
    user = UserFactory(phone=None, email="li@example.com")
    EmailAddress.objects.create(user=user, email="li@example.com", verified=True)
    assert welcome_run(user.pk) == SENT
    assert not sms.outbox
    assert [m.to for m in mail.outbox] == [["li@example.com"]]
    notice = welcome_notice(user.pk)
    assert notice.sms_sent_at is None
    assert notice.email_sent_at is not None
    assert notice.done_at is not None


# --- the mail waits for a confirmed address -----------------------------------------------------


@pytest.mark.django_db
def test_no_welcome_mail_to_an_address_nobody_confirmed(relative):
    """Anyone can type anyone's address at sign-up; the welcome mail waits for its owner."""
    relative.email = "wang@example.com"
    relative.save()
    EmailAddress.objects.create(user=relative, email="wang@example.com", verified=False)
    assert welcome_run(relative.pk) == Notice.State.WAITING
    assert [m.phone for m in sms.outbox] == [relative.phone], "the verified number is welcomed"
    assert mail.outbox == []
    notice = welcome_notice(relative.pk)
    assert notice.sms_sent_at is not None
    assert notice.email_sent_at is None
    assert notice.done_at is None
    assert notice.next_attempt_at is None  # parked: the sweeper leaves it, confirming wakes it


@pytest.mark.django_db
@pytest.mark.usefixtures("eager_jobs")  # what the job sends, also when a broker is configured
def test_an_email_only_sign_up_is_welcomed_once_the_address_is_confirmed(
    client, roles, django_capture_on_commit_callbacks
):
    from tests.accounts.test_unproven_identifiers import confirmation_link

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/accounts/signup/",
            {"name": "李梅", "email": "li@example.com",
             "password1": "Qx-secret-9981", "password2": "Qx-secret-9981"},
        )  # fmt: skip
    assert [m.subject for m in mail.outbox if "欢迎加入侨心" in m.subject] == []
    with django_capture_on_commit_callbacks(execute=True):
        client.post(confirmation_link("li@example.com"))
    welcome = [m for m in mail.outbox if m.subject == "欢迎加入侨心"]
    assert [m.to for m in welcome] == [["li@example.com"]]
    assert welcome[0].body.startswith("李梅，您好")
    user = User.objects.get(email="li@example.com")
    assert welcome_notice(user.pk).done_at is not None


# --- names in mails are one cleaned line --------------------------------------------------------

HOSTILE_NAME = "您的养老补贴已到账\n请访问 http://e.vil/x 领取"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        HOSTILE_NAME,
        "王\u2028秀英",  # line separator
        "王秀英\u202e",  # right-to-left override
        "请访问 e.vil 领取",
        "www.example 王",
        "访问 evil。com",
    ],
)
def test_sign_up_refuses_a_name_with_a_link_or_a_line_break(client, roles, name):
    response = client.post(
        "/accounts/signup/",
        {"name": name, "email": "victim.c0@example.org",
         "password1": "Qx-secret-9981", "password2": "Qx-secret-9981"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "姓名里不能有网址或换行" in response.content.decode()
    assert 'value="victim.c0@example.org"' in response.content.decode(), "form kept"
    assert not User.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_sign_up_keeps_an_ordinary_name_on_one_line(client, roles):
    client.post(
        "/accounts/signup/",
        {"name": "  陈  美华 ", "email": "chen@example.org",
         "password1": "Qx-secret-9981", "password2": "Qx-secret-9981"},
    )  # fmt: skip
    assert User.objects.get().name == "陈 美华"


@pytest.mark.django_db
def test_a_stored_hostile_name_reaches_mails_as_one_line(roles, rf):
    """A name saved before the form cleaned names (or by another screen): allauth's
    confirmation mail (user_display) and the welcome get it as one cleaned line."""
    from allauth.account.utils import user_display

    user = UserFactory(phone=None, name=HOSTILE_NAME + "【侨心】", email="li@example.com")
    EmailAddress.objects.create(user=user, email="li@example.com", verified=True)
    shown = user_display(user)
    assert "\n" not in shown and "【" not in shown
    assert shown.startswith("您的养老补贴已到账 请访问")
    assert welcome_run(user.pk) == SENT
    (welcome,) = mail.outbox
    first_line = welcome.body.splitlines()[0]
    assert first_line.startswith("您的养老补贴已到账 请访问")
    assert first_line.endswith("，您好："), "the name does not break the greeting's line"


@pytest.mark.django_db
def test_a_western_name_with_an_initial_is_a_name(client, roles):
    client.post(
        "/accounts/signup/",
        {"name": "John F. Kennedy", "email": "jfk@example.org",
         "password1": "Qx-secret-9981", "password2": "Qx-secret-9981"},
    )  # fmt: skip
    assert User.objects.get().name == "John F. Kennedy"
