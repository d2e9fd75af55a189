"""The volunteers app's fixed lists, shared by the models, the rules and the screens."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    """How well a volunteer knows a skill. Matching ranks professional first."""

    PROFESSIONAL = "professional", _("专业")
    EXPERIENCED = "experienced", _("有经验")
    LEARNER = "learner", _("愿意学习")


#: Rank of each level in matching (higher is better).
LEVEL_RANK = {Level.PROFESSIONAL: 3, Level.EXPERIENCED: 2, Level.LEARNER: 1}


class Status(models.TextChoices):
    """A volunteer's standing. ``pending`` is an application waiting for staff."""

    PENDING = "pending", _("待审核")
    ACTIVE = "active", _("在队")
    DECLINED = "declined", _("未通过")
    PAUSED = "paused", _("暂停服务")
    LEFT = "left", _("已退出")


#: Statuses from which a person may apply (again).
MAY_APPLY = {Status.DECLINED, Status.LEFT}


class TimeSlot(models.IntegerChoices):
    """When a volunteer can help: weekday/weekend × morning/afternoon/evening, stored as bits
    of one small integer so that matching filters them in SQL."""

    WEEKDAY_MORNING = 1, _("工作日上午")
    WEEKDAY_AFTERNOON = 2, _("工作日下午")
    WEEKDAY_EVENING = 4, _("工作日晚上")
    WEEKEND_MORNING = 8, _("周末上午")
    WEEKEND_AFTERNOON = 16, _("周末下午")
    WEEKEND_EVENING = 32, _("周末晚上")


ALL_TIMES = sum(TimeSlot.values)


def times_from(values) -> int:
    """The bit mask of chosen ``TimeSlot`` values (strings or ints, as a form gives them)."""
    mask = 0
    for value in values or ():
        bit = int(value)
        if bit not in TimeSlot.values:
            raise ValueError(f"unknown time slot {value!r}")
        mask |= bit
    return mask


def times_list(mask: int) -> list[int]:
    return [bit for bit in TimeSlot.values if mask & bit]


def times_display(mask: int) -> str:
    return "、".join(str(TimeSlot(bit).label) for bit in times_list(mask)) or "—"


#: The outbox topic of notices about a volunteer's application (object_id: the volunteer).
NOTICE_TOPIC = "volunteers.volunteer"


class NoticeKind(models.TextChoices):
    APPROVED = "approved", _("申请通过")
    DECLINED = "declined", _("申请未通过")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    SOON = "soon", _("较急")
    URGENT = "urgent", _("紧急")


#: How many days a request may stay open (unassigned) or unfinished before it counts as
#: overdue in the office's list.
URGENCY_DAYS = {Urgency.NORMAL: 7, Urgency.SOON: 3, Urgency.URGENT: 1}


class RequestStatus(models.TextChoices):
    OPEN = "open", _("待接单")
    ASSIGNED = "assigned", _("已接单")
    DONE = "done", _("已完成待确认")
    CONFIRMED = "confirmed", _("已确认")
    CANCELLED = "cancelled", _("已取消")


#: The outbox topic of notices about help requests (object_id: the request).
REQUEST_TOPIC = "volunteers.request"


class RequestNoticeKind(models.TextChoices):
    ASSIGNED = "assigned", _("已安排义工")  # to the requester
    TAKEN = "taken", _("新的互助任务")  # to the volunteer
    DONE = "done", _("义工已完成")  # to the requester: please confirm
    CANCELLED = "cancelled", _("需求已取消")  # to the volunteer
