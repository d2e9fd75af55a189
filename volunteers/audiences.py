"""Volunteer shifts through the events audience extension point (``events.audiences``).

An event of kind 志愿活动 with slots (``ShiftSlot``) is a shift: people join it by taking a slot
for a skill they have (``volunteers.services.slot_take``), which signs them up to the event
through ``events.services.signup_create`` with this module's permission. The event's own
sign-up form refuses everyone else with a pointer to the slots. A 志愿活动 event without slots
(a day the public comes to be served) stays an ordinary event.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from django.utils.translation import gettext as _

from .choices import Status
from .models import ShiftSlot, Volunteer

_slot_sign_up: ContextVar[bool] = ContextVar("volunteers_slot_sign_up", default=False)


@contextmanager
def slot_sign_up():
    """Within it, sign-ups to shifts come from a slot being taken (and were checked there)."""
    token = _slot_sign_up.set(True)
    try:
        yield
    finally:
        _slot_sign_up.reset(token)


class ShiftsTakenBySlot:
    """Audience rule for events of kind 志愿活动 (registered in ``VolunteersConfig.ready``)."""

    def refusal(self, *, event, user, member) -> str | None:
        if not ShiftSlot.objects.filter(event_id=event.pk).exists():
            return None
        if _slot_sign_up.get():
            return None
        volunteer = None
        if user is not None:
            volunteer = Volunteer.objects.filter(user=user).first()
        if volunteer is None and member is not None:
            volunteer = Volunteer.objects.filter(member=member).first()
        if volunteer is None or volunteer.status != Status.ACTIVE:
            return _("这是义工服务活动，只有在队的义工可以按技能岗位报名。")
        return _("这是义工服务活动，请到“义工岗位”页面选择与您技能相符的岗位报名。")

    def describe(self, *, event) -> str | None:
        if not ShiftSlot.objects.filter(event_id=event.pk).exists():
            return None
        return _("义工服务活动：在队义工按技能岗位报名")
