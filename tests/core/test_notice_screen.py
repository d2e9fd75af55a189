"""The 未送达通知 admin screen: staff see notices the outbox has not delivered and send them
again; nobody else gets in."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from core import delivery
from core.models import Notice
from events.choices import NOTICE_TOPIC
from events.services import signup_create
from tests.factories.events import event_create

pytestmark = pytest.mark.django_db

URL = "/admin/notices/"


@pytest.fixture
def stuck(relative, monkeypatch):
    """A sign-up confirmation whose SMS failed ten times: given up."""
    from accounts import sms

    def down(self, messages):
        raise sms.SmsError("provider down")

    signup = signup_create(event_id=event_create(title="中秋联欢会").pk, actor=relative)
    notice = Notice.objects.get(topic=NOTICE_TOPIC, object_id=signup.pk)
    with monkeypatch.context() as patch:
        patch.setattr(sms.LocmemBackend, "send_messages", down)
        for _ in range(delivery.MAX_ATTEMPTS):
            delivery.notice_deliver(notice_id=notice.pk)
    notice.refresh_from_db()
    assert notice.state == Notice.State.FAILED
    return notice


@pytest.mark.parametrize(
    ("persona", "sees"),
    [("anonymous", False), ("relative", False), ("group_leader", False), ("cadre", False),
     ("committee_member", False), ("staff", True), ("admin", True)],
)  # fmt: skip
def test_who_sees_the_screen(client_for, persona, sees, stuck):
    response = client_for(persona).get(URL + "?tab=failed")
    # Wagtail answers a refusal with a redirect (to its login, or to the dashboard)
    assert response.status_code == (200 if sees else 302), persona
    assert ("中秋联欢会" in response.content.decode()) is sees


def test_staff_see_a_failed_notice_and_send_it_again(client_for, stuck, relative):
    from accounts import sms

    client = client_for("staff")
    page = client.get(URL + "?tab=failed").content.decode()
    assert "王秀英" in page and "中秋联欢会" in page and "报名成功" in page
    assert "provider down" in page
    assert "再次发送" in page

    response = client.post(reverse("core_notice_resend", args=[stuck.pk]), {"tab": "failed"})
    assert response.status_code == 302
    stuck.refresh_from_db()
    assert stuck.failed_at is None and stuck.attempts == 0
    # the job enqueued by "send again" (run here): the SMS goes, the site message not twice
    delivery.notice_deliver(notice_id=stuck.pk)
    stuck.refresh_from_db()
    assert stuck.state == Notice.State.SENT
    assert [m.phone for m in sms.outbox] == [relative.phone]
    assert relative.messages.count() == 1


def test_only_staff_may_send_again(client_for, stuck):
    response = client_for("group_leader").post(reverse("core_notice_resend", args=[stuck.pk]))
    assert response.status_code == 302 and response["Location"] == "/admin/"  # refused
    stuck.refresh_from_db()
    assert stuck.state == Notice.State.FAILED


def test_the_stuck_tab_lists_open_notices_past_their_time(client_for, relative):
    signup = signup_create(event_id=event_create(title="健康讲座").pk, actor=relative)
    Notice.objects.filter(object_id=signup.pk).update(next_attempt_at=timezone.now())
    page = client_for("staff").get(URL).content.decode()
    assert "健康讲座" in page
