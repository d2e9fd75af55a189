"""Shared tables with no domain in them: who holds a named lock, and the notice outbox."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LockHolder(models.Model):
    """Who holds a named lock (``core.locking.named_lock``) and since when, so that whoever is
    refused can be told. ``pid`` is empty once the lock is released."""

    name = models.CharField(max_length=100, primary_key=True)
    holder = models.CharField(max_length=200, blank=True)
    since = models.DateTimeField(null=True, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    host = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("锁")
        verbose_name_plural = _("锁")

    def __str__(self) -> str:
        return self.name


class NoticeQuerySet(models.QuerySet):
    def open(self):
        """Not delivered yet (waiting, retrying or given up)."""
        return self.filter(done_at__isnull=True)

    def undelivered(self):
        """What staff should look at: given up, or open for longer than a sweep or two."""
        return self.open().filter(
            Q(failed_at__isnull=False) | Q(next_attempt_at__lte=timezone.now())
        )


class Notice(models.Model):
    """One message the portal owes someone: the outbox (see ``core.notices``).

    Written in the same transaction as the change that causes it; delivered by a job that sends
    each channel inside this row's lock and marks it sent in the same transaction; found again
    by the sweeper when its job is lost. ``(topic, kind, object_id, key)`` is unique, so the
    same notice cannot be owed twice.
    """

    CHANNELS = ("site", "sms", "email")

    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        WAITING = "waiting", _("等待条件")
        SENT = "sent", _("已发送")
        SKIPPED = "skipped", _("无需发送")
        FAILED = "failed", _("发送失败")

    #: Which app's handler delivers it (``core.notices.register``): "events.signup", …
    topic = models.CharField(_("来源"), max_length=40)
    kind = models.CharField(_("类型"), max_length=20)
    #: What it is about in the topic's own table (a sign-up, a user); not a foreign key, so the
    #: outbox depends on no app.
    object_id = models.BigIntegerField(_("对象编号"))
    #: Tells repeated notices of one kind apart (each change of an event gets its own).
    key = models.CharField(_("批次"), max_length=40, blank=True, default="")
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    site_sent_at = models.DateTimeField(_("站内信发送时间"), null=True, blank=True)
    sms_sent_at = models.DateTimeField(_("短信发送时间"), null=True, blank=True)
    email_sent_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    #: Every channel due has gone, or nothing is due any more (``state`` says which).
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    #: Given up after too many failures; staff may send it again.
    failed_at = models.DateTimeField(_("放弃时间"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("失败次数"), default=0)
    #: When the sweeper should look at it next; empty when done, given up or waiting for
    #: something only the person can do (verify a number).
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=300, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "kind", "object_id", "key"], name="notice_once"
            ),
        ]
        indexes = [
            # the sweeper's query: open notices whose time has come
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(done_at__isnull=True, next_attempt_at__isnull=False),
                name="notice_sweep_idx",
            ),
            models.Index(fields=["topic", "object_id"], name="notice_object_idx"),
        ]
        permissions = [("resend_notice", _("再次发送未送达的通知"))]

    def __str__(self) -> str:
        return f"{self.topic}:{self.kind} #{self.object_id}"

    def sent_at(self, channel: str):
        return getattr(self, f"{channel}_sent_at")

    @property
    def sent_channels(self) -> list[str]:
        return [channel for channel in self.CHANNELS if self.sent_at(channel)]
