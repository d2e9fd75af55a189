"""Writes of the volunteers app, split by subject: ``team`` (applying and standing),
``requests`` (mutual help), ``shifts`` (slots per skill at volunteer events)."""

from .certificates import certificate_issue
from .common import VolunteerRefused, number_next
from .hours import hours_confirm, hours_correct, hours_log, hours_reverse, user_confirms_hours
from .requests import (
    help_request_assign,
    help_request_cancel,
    help_request_confirm,
    help_request_create,
    help_request_done,
    help_request_release,
    help_request_take,
    requester_household,
)
from .shifts import shift_slots_set, slot_cancel, slot_take
from .team import (
    SkillChoice,
    volunteer_apply,
    volunteer_approve,
    volunteer_decline,
    volunteer_enrol,
    volunteer_leave,
    volunteer_pause,
    volunteer_resume,
)

__all__ = [
    "SkillChoice",
    "VolunteerRefused",
    "certificate_issue",
    "help_request_assign",
    "help_request_cancel",
    "help_request_confirm",
    "help_request_create",
    "help_request_done",
    "help_request_release",
    "help_request_take",
    "hours_confirm",
    "hours_correct",
    "hours_log",
    "hours_reverse",
    "number_next",
    "requester_household",
    "shift_slots_set",
    "slot_cancel",
    "slot_take",
    "user_confirms_hours",
    "volunteer_apply",
    "volunteer_approve",
    "volunteer_decline",
    "volunteer_enrol",
    "volunteer_leave",
    "volunteer_pause",
    "volunteer_resume",
]
