"""Sign-ups and what happens to them, and each event's seat count. The event pages themselves
are in ``events.pages`` (this module does not import them: the foreign keys name
``"events.EventPage"``, so the pages can use these models)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.masking import mask_phone

# No 0/O, 1/I/L: the code is read aloud and typed at the door.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_signup_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


class SignupQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=Signup.ACTIVE)


class Signup(models.Model):
    """One person's place at an event (with the household members they bring).

    The person is a user, a register member, or both: relatives with an account sign up
    themselves; staff and group leaders sign up register members who have no account.
    """

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("已确认")
        WAITLISTED = "waitlisted", _("候补")
        CANCELLED = "cancelled", _("已取消")
        WALK_IN = "walk_in", _("现场登记")

    ACTIVE = (Status.CONFIRMED, Status.WAITLISTED)

    event = models.ForeignKey(
        "events.EventPage", verbose_name=_("活动"), on_delete=models.CASCADE, related_name="signups"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event_signups",
    )
    member = models.ForeignKey(
        "households.Member",
        verbose_name=_("登记人员"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event_signups",
    )
    name = models.CharField(_("姓名"), max_length=60)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    party_size = models.PositiveSmallIntegerField(_("人数"), default=1)
    answers = models.JSONField(_("问题回答"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices)
    code = models.CharField(
        _("签到码"), max_length=12, unique=True, default=new_signup_code, editable=False
    )
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签到登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Volunteer shifts count the time served from check-in to check-out.
    checked_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("报名登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("报名时间"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    objects = SignupQuerySet.as_manager()

    class Meta:
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        ordering = ["id"]
        permissions = [
            ("manage_signups", _("管理活动报名（全部活动）")),
            ("check_in", _("活动签到")),
            ("signup_register_members", _("为名册中的人报名")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "user"],
                condition=Q(status__in=["confirmed", "waitlisted"], user__isnull=False),
                name="signup_one_active_per_user",
            ),
            models.UniqueConstraint(
                fields=["event", "member"],
                condition=Q(status__in=["confirmed", "waitlisted"], member__isnull=False),
                name="signup_one_active_per_member",
            ),
            models.CheckConstraint(
                condition=Q(party_size__gte=1), name="signup_party_size_positive"
            ),
        ]
        indexes = [models.Index(fields=["event", "status"], name="signup_event_status")]

    def __str__(self) -> str:
        return f"{self.name} · {self.event_id}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def attended(self) -> bool:
        return self.checked_in_at is not None

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else ""


class SignupLog(models.Model):
    """The audit trail: one row for every change of a sign-up's state."""

    class Action(models.TextChoices):
        CREATE = "create", _("报名")
        PROMOTE = "promote", _("候补转正")
        CANCEL = "cancel", _("取消")
        CHECK_IN = "check_in", _("签到")
        UNDO_CHECK_IN = "undo_check_in", _("撤销签到")
        CHECK_OUT = "check_out", _("签退")
        WALK_IN = "walk_in", _("现场登记")

    signup = models.ForeignKey(Signup, on_delete=models.CASCADE, related_name="logs")
    action = models.CharField(_("操作"), max_length=16, choices=Action.choices)
    status = models.CharField(_("之后的状态"), max_length=12, choices=Signup.Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("报名记录")
        verbose_name_plural = _("报名记录")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.signup_id} {self.action}"


class EventSeatsQuerySet(models.QuerySet):
    def confirmed_for(self, *, event_id: int) -> int:
        """Seats taken at ``event_id`` (0 for an event nobody has signed up for yet)."""
        return self.filter(event_id=event_id).values_list("confirmed", flat=True).first() or 0


class EventSeats(models.Model):
    """How many seats of an event are taken, and how many sign-ups wait: the row every write
    that changes seats locks first (``events.services.seats_lock``).

    A table of its own, not fields on the page: Wagtail writes the whole page row when an editor
    publishes (from the revision, which may be hours old), which would put back an old count;
    and editors saving the page must not wait for sign-ups, nor sign-ups for editors. The
    counts change only under this row's lock, in the transaction that changes the sign-ups.
    """

    event = models.OneToOneField(
        "events.EventPage",
        verbose_name=_("活动"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="seats",
    )
    #: Seats of confirmed sign-ups (party sizes added up).
    confirmed = models.PositiveIntegerField(_("已确认人数"), default=0)
    #: Sign-ups on the waiting list (not people): when it is 0 nothing needs promoting.
    waiting = models.PositiveIntegerField(_("候补报名数"), default=0)

    objects = EventSeatsQuerySet.as_manager()

    class Meta:
        verbose_name = _("名额计数")
        verbose_name_plural = _("名额计数")

    def __str__(self) -> str:
        return f"{self.event_id}: {self.confirmed}"
