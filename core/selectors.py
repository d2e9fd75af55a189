"""Reads on the outbox for the staff screen of undelivered notices."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from .delivery import notice_describe
from .models import Notice

#: The tabs of the 未送达通知 screen.
NOTICE_TABS = ("stuck", "failed", "waiting", "sent")


def user_sees_notices(user) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm("core.view_notice")


def user_resends_notices(user) -> bool:
    return user.is_authenticated and user.is_active and user.has_perm("core.resend_notice")


def notices_in_tab(tab: str) -> QuerySet[Notice]:
    """``stuck``: open and past their time (lost jobs, retries due; the sweeper is on them);
    ``failed``: given up; ``waiting``: parked until the person does something (verify a
    number); ``sent``: done, newest first."""
    now = timezone.now()
    notices = Notice.objects.all()
    if tab == "failed":
        return notices.filter(failed_at__isnull=False, done_at__isnull=True).order_by("-failed_at")
    if tab == "waiting":
        return notices.filter(state=Notice.State.WAITING, done_at__isnull=True).order_by("-pk")
    if tab == "sent":
        return notices.filter(done_at__isnull=False).order_by("-done_at", "-pk")
    return notices.filter(
        done_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=now
    ).order_by("next_attempt_at")


def notice_tab_counts() -> dict[str, int]:
    return {tab: notices_in_tab(tab).count() for tab in NOTICE_TABS if tab != "sent"}


@dataclass
class NoticeRow:
    notice: Notice
    description: str

    @property
    def channels_sent(self) -> list[str]:
        return self.notice.sent_channels


def notice_rows(notices: list[Notice]) -> list[NoticeRow]:
    """Each notice with what it is about, in the words of its app's handler."""
    return [NoticeRow(notice, notice_describe(notice)) for notice in notices]
