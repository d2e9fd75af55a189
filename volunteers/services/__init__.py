"""Writes of the volunteers app, split by subject: ``team`` (applying and standing),
``requests`` (mutual help), ``shifts`` (slots per skill at volunteer events)."""

from .common import VolunteerRefused, number_next
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
    "help_request_assign",
    "help_request_cancel",
    "help_request_confirm",
    "help_request_create",
    "help_request_done",
    "help_request_release",
    "help_request_take",
    "number_next",
    "requester_household",
    "shift_slots_set",
    "slot_cancel",
    "slot_take",
    "volunteer_apply",
    "volunteer_approve",
    "volunteer_decline",
    "volunteer_enrol",
    "volunteer_leave",
    "volunteer_pause",
    "volunteer_resume",
]
