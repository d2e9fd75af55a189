"""Notices about sign-ups: every channel, exactly once (through the outbox, core.notices), and
what publishing an event sends."""

from __future__ import annotations

import datetime
import io
import json
import zoneinfo

import pytest
import segno
from django.core import mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import sms
from accounts.models import Message
from core import delivery
from core.models import Notice
from core.notices import notice_create
from core.tasks import notice_deliver
from events import notices as event_notices
from events.choices import NOTICE_TOPIC
from events.choices import NoticeKind as Kind
from events.models import Signup
from events.pages import EventPage
from events.qr import signup_qr_svg
from events.selectors import reminder_due_signup_ids
from events.services import signup_cancel, signup_create
from events.tasks import event_reminders_send
from events.wording import event_when_text, signup_qr_png
from tests.conftest import wait_for
from tests.factories import UserFactory
from tests.factories.events import event_create

pytestmark = pytest.mark.django_db


def _notices(**filters):
    return Notice.objects.filter(topic=NOTICE_TOPIC, **filters)


def _notice(signup: Signup, kind: str = Kind.CONFIRMED, key: str = "") -> Notice:
    return _notices(object_id=signup.pk, kind=kind, key=key).get()


def _sent_count() -> int:
    return len(sms.outbox) + len(mail.outbox) + Message.objects.count()


def deliver(*, signup_id: int, kind: str, key: str = "") -> bool:
    """Run the delivery job of the (sign-up, kind, key) notice now, as a worker would (owing it
    first if nothing owed it yet, as the beat or a publication does). True when something was
    sent by this run."""
    notice = _notices(object_id=signup_id, kind=kind, key=key).first()
    if notice is None:
        with transaction.atomic():
            notice = notice_create(topic=NOTICE_TOPIC, kind=kind, object_id=signup_id, key=key)
    before = _sent_count()
    delivery.notice_deliver(notice_id=notice.pk)
    return _sent_count() > before


@pytest.fixture
def sign_up(django_capture_on_commit_callbacks, eager_jobs):
    """Sign a user up as the site does: the notice job runs once the transaction commits."""

    def make(event: EventPage, user, **kwargs) -> Signup:
        with django_capture_on_commit_callbacks(execute=True):
            return signup_create(event_id=event.pk, actor=user, **kwargs)

    return make


@pytest.fixture
def publish(django_capture_on_commit_callbacks, eager_jobs):
    """Edit the event as an editor does (a new revision, then publish) and run the jobs."""

    def run(event: EventPage, **changes) -> EventPage:
        page = EventPage.objects.get(pk=event.pk)
        for name, value in changes.items():
            setattr(page, name, value)
        with django_capture_on_commit_callbacks(execute=True):
            page.save_revision().publish()
        page.refresh_from_db()
        return page

    return run


def _sms_to(phone: str) -> list[str]:
    return [m.text for m in sms.outbox if m.phone == phone]


def _mail_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def _clear_outboxes() -> None:
    sms.outbox.clear()
    mail.outbox.clear()


def test_when_is_written_as_people_say_it():
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    event = EventPage(starts_at=datetime.datetime(2026, 11, 28, 14, 30, tzinfo=shanghai))
    assert event_when_text(event) == "11月28日（周六）14:30"
    # Stored in UTC, told in local time: 06:30 UTC on Sunday is 14:30 in Shanghai.
    event.starts_at = datetime.datetime(2026, 11, 29, 6, 30, tzinfo=datetime.UTC)
    assert event_when_text(event) == "11月29日（周日）14:30"


def test_confirmation_goes_by_site_message_sms_and_email(relative, sign_up):
    relative.email = "wang@example.com"
    relative.save()
    event = event_create(title="重阳茶话会", place="侨联活动室")

    signup = sign_up(event, relative)

    assert signup.status == Signup.Status.CONFIRMED
    [text] = _sms_to(relative.phone)
    assert "重阳茶话会" in text
    assert event_when_text(event) in text
    assert "侨联活动室" in text
    assert f"签到码 {signup.code}" in text
    # Where the QR is, instead of the event's address: one link keeps the SMS short.
    assert "二维码见“我的报名”：http://127.0.0.1:8000/me/events/" in text
    assert text.startswith("【侨心】")

    [email] = _mail_to("wang@example.com")
    assert email.subject == "报名成功：重阳茶话会"
    assert f"签到码 {signup.code}" in email.body
    assert "http://127.0.0.1:8000/me/events/" in email.body
    assert "王秀英，您好" in email.body
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert signup.code in html

    [message] = Message.objects.filter(user=relative)
    assert message.title == "报名成功：重阳茶话会"
    assert signup.code in message.body
    assert "http" not in message.body  # the in-site message links by its url
    assert message.url == reverse("events:my_signups") == "/me/events/"  # where the QR is
    assert message.read_at is None

    notice = _notice(signup)
    assert notice.state == Notice.State.SENT and notice.done_at is not None
    assert notice.site_sent_at and notice.sms_sent_at and notice.email_sent_at


def _inline_qr(email) -> tuple[str, str, bytes]:
    """The html part, and the Content-ID and bytes of the one inline PNG of a sent email."""
    root = email.message()
    [html] = [p for p in root.walk() if p.get_content_type() == "text/html"]
    [image] = [p for p in root.walk() if p.get_content_type() == "image/png"]
    assert root.get_content_type() == "multipart/related"
    assert image.get_content_disposition() == "inline"
    return (
        html.get_payload(decode=True).decode(),
        image["Content-ID"],
        image.get_payload(decode=True),
    )


def test_the_confirmation_email_shows_the_qr_code_inline(relative, sign_up):
    relative.email = "wang@example.com"
    relative.save()
    signup = sign_up(event_create(), relative)

    [email] = _mail_to("wang@example.com")
    html, content_id, png = _inline_qr(email)
    assert content_id == f"<qr-{signup.code}>"
    assert f'src="cid:qr-{signup.code}"' in html
    assert png.startswith(b"\x89PNG")
    assert png == signup_qr_png(signup.code)
    # Text-only clients get the code to read out.
    assert f"签到码 {signup.code}" in email.body


def test_the_emailed_qr_is_the_one_on_my_signups_page(relative):
    """One symbol, two drawings: the email's PNG and the page's SVG hold the same ``QX:<code>``."""
    signup = signup_create(event_id=event_create().pk, actor=relative)
    symbol = segno.make_qr(f"QX:{signup.code}", error="m")
    png = io.BytesIO()
    symbol.save(png, kind="png", scale=6, border=2)
    assert signup_qr_png(signup.code) == png.getvalue()
    modules = symbol.svg_inline(scale=5, border=2).split(' d="')[1].split('"')[0]
    assert f' d="{modules}"' in signup_qr_svg(signup)


def test_a_promotion_carries_the_qr_code_too(relative, outsider, sign_up):
    outsider.email = "li@example.com"
    outsider.save()
    event = event_create(capacity=1, party_size_max=1)
    first = sign_up(event, relative)
    waiting = sign_up(event, outsider)
    _clear_outboxes()

    # Outside django_capture_on_commit_callbacks: the promotion's job is run by hand below.
    signup_cancel(signup_id=first.pk, actor=relative)
    assert deliver(signup_id=waiting.pk, kind=Kind.PROMOTED) is True

    [email] = _mail_to("li@example.com")
    assert email.subject.startswith("候补转正")
    html, content_id, _png = _inline_qr(email)
    assert content_id == f"<qr-{waiting.code}>"
    assert f"cid:qr-{waiting.code}" in html
    [text] = _sms_to(outsider.phone)
    assert f"签到码 {waiting.code}" in text
    assert "http://127.0.0.1:8000/me/events/" in text
    assert Message.objects.get(user=outsider, title__startswith="候补转正").url == "/me/events/"


def test_other_notices_carry_no_qr_and_link_where_they_should(relative, outsider, sign_up):
    relative.email = "wang@example.com"
    relative.save()
    soon = timezone.now() + datetime.timedelta(hours=3)
    event = event_create(capacity=1, party_size_max=1, starts_at=soon)
    signup = sign_up(event, relative)
    waiting = sign_up(event, outsider)
    _clear_outboxes()

    assert deliver(signup_id=signup.pk, kind=Kind.REMINDER) is True

    [email] = _mail_to("wang@example.com")
    assert not [p for p in email.message().walk() if p.get_content_maintype() == "image"]
    reminder = Message.objects.get(user=relative, title__startswith="活动提醒")
    assert reminder.url == "/me/events/"
    # Being on the waiting list has no QR yet: that message links to the event.
    assert Message.objects.get(user=outsider).url == event.url
    assert waiting.status == Signup.Status.WAITLISTED


def test_only_the_channels_that_reach_the_person_are_used(relative, sign_up):
    relative.email = ""
    relative.save()
    signup = sign_up(event_create(), relative)
    notice = _notice(signup)
    assert notice.site_sent_at and notice.sms_sent_at
    assert notice.email_sent_at is None
    assert notice.state == Notice.State.SENT
    assert not mail.outbox


def test_running_the_same_job_again_sends_nothing(relative, sign_up):
    relative.email = "wang@example.com"
    relative.save()
    signup = sign_up(event_create(), relative)
    assert (len(sms.outbox), len(mail.outbox), Message.objects.count()) == (1, 1, 1)

    # A retry, a worker that died after sending, the broker delivering the message twice, the
    # sweeper sending it again.
    notice = _notice(signup)
    assert notice_deliver.apply(args=[notice.pk]).get() == Notice.State.SENT
    assert notice_deliver.apply(args=[notice.pk]).get() == Notice.State.SENT
    Notice.objects.filter(pk=notice.pk).update(done_at=None)  # even if it looked undone
    assert delivery.notice_deliver(notice_id=notice.pk) == Notice.State.SENT

    assert (len(sms.outbox), len(mail.outbox), Message.objects.count()) == (1, 1, 1)
    assert _notices(object_id=signup.pk).count() == 1


def test_a_run_that_waited_for_the_lock_sends_nothing(relative, monkeypatch):
    """Two workers on one job: the second read the notice before the first marked it, then
    waited for the row lock. Under the lock it must see the channels marked and send nothing."""
    relative.email = "wang@example.com"
    relative.save()
    signup = signup_create(event_id=event_create().pk, actor=relative)
    real_channels = event_notices.signup_channels
    other_worker: dict = {}

    def other_worker_gets_in_first(signup_):
        channels = real_channels(signup_)  # this run has planned: three channels to send
        if "sent" not in other_worker:
            other_worker["sent"] = None  # the other worker's own run goes straight through
            other_worker["sent"] = deliver(signup_id=signup.pk, kind=Kind.CONFIRMED)
        return channels

    monkeypatch.setattr(event_notices, "signup_channels", other_worker_gets_in_first)
    deliver(signup_id=signup.pk, kind=Kind.CONFIRMED)

    assert other_worker["sent"] is True  # the other run sent everything, this one nothing
    assert (len(sms.outbox), len(mail.outbox), Message.objects.count()) == (1, 1, 1)


def test_an_sms_failure_is_retried_without_sending_the_rest_again(relative, monkeypatch):
    relative.email = "wang@example.com"
    relative.save()
    # Outside django_capture_on_commit_callbacks: the notice job is left to this test.
    signup = signup_create(event_id=event_create().pk, actor=relative)
    assert not sms.outbox

    def provider_down(self, messages):
        raise sms.SmsError("provider down")

    with monkeypatch.context() as patched:
        patched.setattr(sms.LocmemBackend, "send_messages", provider_down)
        assert deliver(signup_id=signup.pk, kind=Kind.CONFIRMED) is True  # site and email went

    notice = _notice(signup)
    assert notice.sms_sent_at is None
    assert notice.site_sent_at and notice.email_sent_at
    assert notice.done_at is None and notice.attempts == 1
    assert "provider down" in notice.last_error
    assert notice.next_attempt_at > timezone.now()  # the sweeper tries again in a minute
    assert len(mail.outbox) == 1
    assert Message.objects.filter(user=relative).count() == 1

    # The retry: only the text message is missing.
    assert deliver(signup_id=signup.pk, kind=Kind.CONFIRMED) is True
    assert len(_sms_to(relative.phone)) == 1
    assert len(mail.outbox) == 1
    assert Message.objects.filter(user=relative).count() == 1
    notice.refresh_from_db()
    assert notice.sms_sent_at is not None
    assert notice.state == Notice.State.SENT


def test_the_sweeper_retries_a_failed_sms_by_itself(relative, monkeypatch, eager_jobs):
    relative.email = "wang@example.com"
    relative.save()
    signup = signup_create(event_id=event_create().pk, actor=relative)
    attempts = []
    real_send = sms.LocmemBackend.send_messages

    def flaky(self, messages):
        attempts.append(messages)
        if len(attempts) == 1:
            raise sms.SmsError("timeout")
        return real_send(self, messages)

    monkeypatch.setattr(sms.LocmemBackend, "send_messages", flaky)
    notice = _notice(signup)
    assert notice_deliver.apply(args=[notice.pk]).get() == Notice.State.PENDING
    assert delivery.notices_due() == []  # not before its time
    later = timezone.now() + delivery.backoff(1) + datetime.timedelta(seconds=1)
    assert delivery.notices_due(now=later) == [notice.pk]  # the sweeper's query
    assert notice_deliver.apply(args=[notice.pk]).get() == Notice.State.SENT

    assert len(attempts) == 2
    assert len(_sms_to(relative.phone)) == 1
    assert len(mail.outbox) == 1
    assert Message.objects.filter(user=relative).count() == 1


def test_waitlisted_notice_tells_the_position(relative, outsider, volunteer, sign_up):
    event = event_create(capacity=1, party_size_max=1)
    sign_up(event, relative)
    sign_up(event, outsider)
    third = sign_up(event, volunteer)
    assert third.status == Signup.Status.WAITLISTED
    [text] = _sms_to(volunteer.phone)
    assert "候补" in text
    assert "第 2 位" in text
    assert Message.objects.get(user=volunteer).title.startswith("已进入候补")


def test_a_cancelled_signup_gets_no_stale_notice(relative):
    signup = signup_create(event_id=event_create().pk, actor=relative)
    signup_cancel(signup_id=signup.pk, actor=relative)
    assert deliver(signup_id=signup.pk, kind=Kind.CONFIRMED) is False
    assert not sms.outbox
    assert _notice(signup).state == Notice.State.SKIPPED


def test_a_job_for_a_signup_that_is_gone_ends_quietly(relative, eager_jobs):
    signup = signup_create(event_id=event_create().pk, actor=relative)
    signup_id = signup.pk
    signup.delete()

    assert deliver(signup_id=signup_id, kind=Kind.CONFIRMED) is False
    notice = _notices(object_id=signup_id).get()
    assert notice_deliver.apply(args=[notice.pk]).get() == Notice.State.SKIPPED
    assert deliver(signup_id=10**9, kind=Kind.REMINDER) is False
    assert notice_deliver.apply(args=[10**9]).get() == "missing"
    assert not sms.outbox
    assert not Message.objects.exists()
    assert not _notices(done_at__isnull=True).exists()


def test_a_signup_deleted_while_its_notice_is_sent_ends_quietly(relative, monkeypatch):
    """Deleted after the job planned it: no error, and the message (worded from what the job
    read) still goes, once: the person signed up and was confirmed."""
    signup = signup_create(event_id=event_create().pk, actor=relative)
    real_channels = event_notices.signup_channels

    def deleted_meanwhile(signup_):
        channels = real_channels(signup_)
        Signup.objects.filter(pk=signup.pk).delete()
        return channels

    monkeypatch.setattr(event_notices, "signup_channels", deleted_meanwhile)
    assert deliver(signup_id=signup.pk, kind=Kind.CONFIRMED) is True
    assert len(sms.outbox) == 1
    assert _notices(object_id=signup.pk).get().state == Notice.State.SENT
    # and a later run (the sweeper) finds nothing to send: the sign-up is gone
    Notice.objects.filter(object_id=signup.pk).update(done_at=None, state=Notice.State.PENDING)
    assert deliver(signup_id=signup.pk, kind=Kind.CONFIRMED) is False
    assert len(sms.outbox) == 1


# -- reminders ---------------------------------------------------------------------------------


def _confirmed_days_ago() -> None:
    """As if everyone had signed up a week ago, before the reminder window opened."""
    Signup.objects.exclude(confirmed_at=None).update(
        confirmed_at=timezone.now() - datetime.timedelta(days=7)
    )


def test_no_reminder_for_someone_confirmed_within_12_hours_of_the_start(relative, outsider):
    event = event_create(starts_at=timezone.now() + datetime.timedelta(hours=20))
    early = signup_create(event_id=event.pk, actor=relative)
    late = signup_create(event_id=event.pk, actor=outsider)
    Signup.objects.filter(pk=early.pk).update(
        confirmed_at=event.starts_at - datetime.timedelta(hours=13)
    )
    Signup.objects.filter(pk=late.pk).update(
        confirmed_at=event.starts_at - datetime.timedelta(hours=11)
    )
    assert reminder_due_signup_ids() == [early.pk]


def test_the_reminder_beat_reminds_each_confirmed_signup_once(
    relative, outsider, volunteer, eager_jobs, django_capture_on_commit_callbacks
):
    soon = event_create(
        title="书法讲座", starts_at=timezone.now() + datetime.timedelta(hours=3), capacity=1,
        party_size_max=1,
    )  # fmt: skip
    later = event_create(starts_at=timezone.now() + datetime.timedelta(days=3))
    confirmed = signup_create(event_id=soon.pk, actor=relative)
    waitlisted = signup_create(event_id=soon.pk, actor=outsider)
    signup_create(event_id=later.pk, actor=volunteer)
    assert waitlisted.status == Signup.Status.WAITLISTED
    _confirmed_days_ago()

    with django_capture_on_commit_callbacks(execute=True):
        assert event_reminders_send.apply().get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert event_reminders_send.apply().get() == 0

    [text] = _sms_to(relative.phone)
    assert text.startswith("【侨心】提醒")
    assert "书法讲座" in text
    assert confirmed.code in text
    assert not _sms_to(outsider.phone)
    assert not _sms_to(volunteer.phone)
    assert _notices(kind=Kind.REMINDER).count() == 1


def test_the_reminder_beat_finds_the_signups_in_a_few_queries(
    relative,
    outsider,
    volunteer,
    django_assert_max_num_queries,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    event = event_create(starts_at=timezone.now() + datetime.timedelta(hours=5))
    for user in (relative, outsider, volunteer, UserFactory()):
        signup_create(event_id=event.pk, actor=user)
    _confirmed_days_ago()
    queued = []
    monkeypatch.setattr(notice_deliver, "delay", lambda *args: queued.append(args))

    # Whatever their number: find them, see which are owed already, owe the rest in one
    # insert, read the new ids back (and the transaction's savepoint and release).
    with django_capture_on_commit_callbacks(execute=True), django_assert_max_num_queries(6):
        assert event_reminders_send.apply().get() == 4
    reminders = _notices(kind=Kind.REMINDER)
    assert sorted(reminders.values_list("object_id", flat=True)) == sorted(
        Signup.objects.values_list("pk", flat=True)
    )
    assert sorted(queued) == sorted((pk,) for pk in reminders.values_list("pk", flat=True))


def test_no_reminder_for_a_cancelled_or_started_event(relative, outsider, eager_jobs):
    cancelled = event_create(starts_at=timezone.now() + datetime.timedelta(hours=2))
    started = event_create(starts_at=timezone.now() + datetime.timedelta(hours=2))
    to_cancel = signup_create(event_id=cancelled.pk, actor=relative)
    too_late = signup_create(event_id=started.pk, actor=outsider)
    _confirmed_days_ago()
    EventPage.objects.filter(pk=cancelled.pk).update(cancelled=True)
    EventPage.objects.filter(pk=started.pk).update(
        starts_at=timezone.now() - datetime.timedelta(minutes=5)
    )

    assert event_reminders_send.apply().get() == 0
    # Nor when a reminder owed before the change is delivered afterwards.
    assert deliver(signup_id=to_cancel.pk, kind=Kind.REMINDER) is False
    assert deliver(signup_id=too_late.pk, kind=Kind.REMINDER) is False

    assert not sms.outbox
    assert not _notices(kind=Kind.REMINDER, state=Notice.State.SENT).exists()


# -- publishing an event -----------------------------------------------------------------------


def test_a_new_time_is_told_once_to_each_active_signup(relative, outsider, volunteer, sign_up,
                                                       publish):  # fmt: skip
    event = event_create(capacity=1, party_size_max=1)
    confirmed = sign_up(event, relative)
    waitlisted = sign_up(event, outsider)
    gone = sign_up(event, volunteer)
    with_cancel = signup_cancel(signup_id=gone.pk, actor=volunteer)
    assert with_cancel.status == Signup.Status.CANCELLED
    _clear_outboxes()

    new_start = event.starts_at + datetime.timedelta(days=1, hours=2)
    event = publish(event, starts_at=new_start, ends_at=new_start + datetime.timedelta(hours=2))

    changed = _notices(kind=Kind.CHANGED)
    assert sorted(changed.values_list("object_id", flat=True)) == [confirmed.pk, waitlisted.pk]
    assert changed.values("key").distinct().count() == 1
    for user in (relative, outsider):
        [text] = _sms_to(user.phone)
        assert event_when_text(event) in text
    assert not _sms_to(volunteer.phone)

    # Published again with nothing changed (or only the summary): nobody is told anything.
    _clear_outboxes()
    publish(event)
    publish(event, summary="欢迎带家人")
    assert not sms.outbox
    assert changed.count() == 2

    # A second real change is a second notice.
    publish(event, place="社区文化中心")
    assert changed.count() == 4
    [text] = _sms_to(relative.phone)
    assert "社区文化中心" in text


def test_more_seats_promote_the_waiting_list_and_tell_them(relative, outsider, sign_up, publish):
    event = event_create(capacity=1, party_size_max=1)
    sign_up(event, relative)
    waiting = sign_up(event, outsider)
    assert waiting.status == Signup.Status.WAITLISTED
    _clear_outboxes()

    publish(event, capacity=2)

    waiting.refresh_from_db()
    assert waiting.status == Signup.Status.CONFIRMED
    [text] = _sms_to(outsider.phone)
    assert "候补转正" in text
    assert waiting.code in text
    assert _notices(object_id=waiting.pk, kind=Kind.PROMOTED).count() == 1
    # Seats alone are no news for those who already had one.
    assert not _sms_to(relative.phone)
    assert not _notices(kind=Kind.CHANGED).exists()


def test_cancelling_the_event_tells_every_active_signup_once(
    relative, outsider, volunteer, sign_up, publish
):
    event = event_create(capacity=1, party_size_max=1)
    confirmed = sign_up(event, relative)
    waitlisted = sign_up(event, outsider)
    gone = sign_up(event, volunteer)
    signup_cancel(signup_id=gone.pk, actor=volunteer)
    _clear_outboxes()

    new_start = event.starts_at + datetime.timedelta(days=1)
    publish(
        event,
        cancelled=True,
        cancel_reason="场地维修",
        # Moved and cancelled at once: only the cancellation is news.
        starts_at=new_start,
        ends_at=new_start + datetime.timedelta(hours=2),
    )

    cancelled = _notices(kind=Kind.CANCELLED)
    assert sorted(cancelled.values_list("object_id", flat=True)) == [confirmed.pk, waitlisted.pk]
    revision_id = EventPage.objects.get(pk=event.pk).live_revision_id
    assert set(cancelled.values_list("key", flat=True)) == {str(revision_id)}
    [text] = _sms_to(relative.phone)
    assert "已取消" in text
    assert "场地维修" in text
    assert _sms_to(outsider.phone)
    assert not _sms_to(volunteer.phone)
    assert not _notices(kind=Kind.CHANGED).exists()

    _clear_outboxes()
    publish(event, cancel_reason="场地维修，改期另行通知")
    assert not sms.outbox
    assert cancelled.count() == 2


# -- the messages on "my page" -----------------------------------------------------------------


def test_my_page_lists_messages_and_marks_them_read(relative, sign_up, client_for):
    event = event_create(title="元宵联欢会")
    sign_up(event, relative)
    client = client_for("relative")

    page = client.get("/me/").content.decode()
    assert "报名成功：元宵联欢会" in page
    assert "未读" in page
    assert "全部标为已读" in page

    response = client.post("/me/")
    assert response.status_code == 302
    assert not Message.objects.filter(user=relative, read_at__isnull=True).exists()
    page = client.get("/me/").content.decode()
    assert "报名成功：元宵联欢会" in page
    assert "未读</span>" not in page
    assert "全部标为已读</button>" not in page


def test_my_page_shows_only_my_own_newest_twenty(relative, outsider, client_for):
    from accounts.services import message_send

    for number in range(25):
        message_send(user=relative, title=f"消息{number:02d}", body="")
    message_send(user=outsider, title="别人的消息", body="")

    page = client_for("relative").get("/me/").content.decode()
    assert "消息24" in page
    assert "消息05" in page
    assert "消息04" not in page
    assert "别人的消息" not in page


# -- the real worker (CI with a broker) ----------------------------------------------------------


def _worker_sms(folder, phone: str) -> list[str]:
    path = folder / "sms" / "sms.jsonl"
    if not path.exists():
        return []
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return [m["text"] for m in lines if m["phone"] == phone]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_confirmation_sent_once_by_a_real_worker(celery_worker, relative, outsider):
    """The production path: commit → broker → worker → SMS; the same job queued again (as a
    redelivery would) sends nothing more."""
    event = event_create()
    signup = signup_create(event_id=event.pk, actor=relative)
    notice_deliver.delay(_notice(signup).pk)  # as a redelivery or the sweeper would
    # One solo worker takes jobs in order: once this later job is done, those above are too.
    sentinel = signup_create(event_id=event.pk, actor=outsider)
    wait_for(lambda: _worker_sms(celery_worker, outsider.phone), what="the sentinel SMS")
    assert len(_worker_sms(celery_worker, relative.phone)) == 1
    assert _notice(signup).sms_sent_at is not None
    wait_for(lambda: _notice(sentinel).done_at, what="the sentinel's notice marked done")


def test_calling_an_event_on_again_fills_freed_seats_and_says_it_goes_ahead(
    relative, outsider, volunteer, sign_up, publish
):
    outsider.email = "li@example.com"
    outsider.save()
    volunteer.email = "zhao@example.com"
    volunteer.save()
    event = event_create(capacity=2, party_size_max=1)
    leaving = sign_up(event, relative)
    staying = sign_up(event, volunteer)
    waiting = sign_up(event, outsider)
    assert waiting.status == Signup.Status.WAITLISTED
    event = publish(event, cancelled=True, cancel_reason="暴雨预警")
    # While the event is off, someone gives up a seat: nobody moves up yet.
    signup_cancel(signup_id=leaving.pk, actor=relative)
    waiting.refresh_from_db()
    assert waiting.status == Signup.Status.WAITLISTED
    _clear_outboxes()

    event = publish(event, cancelled=False, cancel_reason="")

    waiting.refresh_from_db()
    assert waiting.status == Signup.Status.CONFIRMED
    [text] = _sms_to(outsider.phone)
    assert "候补转正" in text  # the promotion says it all: no second message
    [email] = _mail_to("li@example.com")
    assert email.subject.startswith("候补转正")

    [text] = _sms_to(volunteer.phone)
    assert "不再取消，照常举办" in text
    assert event_when_text(event) in text
    [email] = _mail_to("zhao@example.com")
    assert email.subject == f"活动照常举办：{event.title}"
    assert "将照常举办" in email.body
    assert "时间或地点有变更" not in email.body
    resumed = _notices(kind=Kind.CHANGED).get()
    assert resumed.object_id == staying.pk
    assert resumed.key == f"resumed:{event.live_revision_id}"
    assert not _sms_to(relative.phone)  # cancelled their own sign-up: not told


def test_cancelling_again_after_calling_it_on_is_told_again(relative, sign_up, publish):
    event = event_create()
    sign_up(event, relative)
    event = publish(event, cancelled=True, cancel_reason="暴雨预警")
    event = publish(event, cancelled=False, cancel_reason="")
    _clear_outboxes()

    event = publish(event, cancelled=True, cancel_reason="场地停电")

    [text] = _sms_to(relative.phone)
    assert "已取消" in text
    assert "场地停电" in text
    assert _notices(kind=Kind.CANCELLED).count() == 2
    assert _notices(kind=Kind.CHANGED).count() == 1  # the "goes ahead"


def test_a_goes_ahead_notice_is_not_sent_once_cancelled_again(relative):
    signup = signup_create(event_id=event_create().pk, actor=relative)
    EventPage.objects.filter(pk=signup.event_id).update(cancelled=True)
    key = "resumed:1"
    assert deliver(signup_id=signup.pk, kind=Kind.CHANGED, key=key) is False
    assert not sms.outbox
