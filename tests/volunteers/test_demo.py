"""seed_demo fills the team: skills, about sixty volunteers in every standing, the demo
volunteer approved with a number, the demo relative left free to apply; twice changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from core.models import Notice
from volunteers.choices import Status
from volunteers.models import (
    Certificate,
    HelpRequest,
    ServiceHours,
    ShiftSlot,
    Skill,
    Volunteer,
    VolunteerLog,
)
from volunteers.selectors import slot_figures

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_a_team_once():
    call_command("seed_demo", households=120, stdout=io.StringIO())

    def counts():
        return (
            Skill.objects.count(),
            Volunteer.objects.count(),
            VolunteerLog.objects.count(),
            HelpRequest.objects.count(),
            ServiceHours.objects.count(),
            Certificate.objects.count(),
        )

    first = counts()
    call_command("seed_demo", households=120, stdout=io.StringIO())
    assert counts() == first
    # made-up people are told nothing: what the demo owed them is closed unsent
    owed = Notice.objects.filter(topic__startswith="volunteers.")
    assert owed.exists() and not owed.exclude(state=Notice.State.SKIPPED).exists()
    # the monthly clinic: some places filled, some open
    figures = [(f.taken, f.slot.places) for f in slot_figures(ShiftSlot.objects.first().event_id)]
    assert any(taken == places for taken, places in figures)
    assert any(taken < places for taken, places in figures)
    assert not Notice.objects.filter(topic="events.signup", done_at=None).exists()
    # a year of hours, most confirmed, the last week's waiting
    hours = set(ServiceHours.objects.values_list("status", flat=True))
    assert hours == {"confirmed", "logged"}
    assert Certificate.objects.count() == 2
    assert Certificate.objects.filter(volunteer=persona_record()).exists()
    states = set(HelpRequest.objects.values_list("status", flat=True))
    assert {"open", "assigned", "done", "confirmed", "cancelled"} <= states

    assert {"医疗护理", "法律咨询", "家电维修", "摄影", "书法"} <= set(
        Skill.objects.values_list("name", flat=True)
    )
    assert first[1] >= 50
    standings = set(Volunteer.objects.values_list("status", flat=True))
    assert {Status.ACTIVE, Status.PENDING} <= standings
    persona = Volunteer.objects.get(user__username="demo_volunteer")
    assert persona.status == Status.ACTIVE and persona.number.startswith("QX")
    assert not Volunteer.objects.filter(user__username="demo_relative").exists()
    numbers = list(Volunteer.objects.exclude(number=None).values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))


def persona_record():
    return Volunteer.objects.get(user__username="demo_volunteer")
