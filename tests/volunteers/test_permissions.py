"""Who may open which volunteers screen: every volunteers URL × every persona.

Outcomes as in tests/households/test_permissions.py: ``LOGIN`` (to the login page or the
admin's gate), ``DENIED`` (Wagtail's "permission denied": a redirect to the dashboard),
``NOT_FOUND`` (outside the user's scope), ``OK`` (200, or a redirect back to the volunteer's
page after a POST). The matrix fails when a URL of the app is missing from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone

from events.choices import EventKind
from tests.conftest import PERSONAS
from tests.factories.events import event_create
from tests.factories.volunteers import application

pytestmark = pytest.mark.django_db

OK, LOGIN, DENIED, NOT_FOUND, FORBIDDEN = "ok", "login", "denied", "not found", "forbidden"


@dataclass(frozen=True)
class Case:
    name: str  # the URL name
    method: str
    #: outcome per persona, in PERSONAS order: anonymous, relative, volunteer, group_leader,
    #: cadre, committee_member, staff, admin, outsider
    expect: tuple[str, ...]
    #: the URL's arguments: names of ``targets`` (their pk) or literal texts
    args: tuple[str, ...] = ()


PUBLIC = (LOGIN, OK, OK, OK, OK, OK, OK, OK, OK)
ADMIN_READ = (LOGIN, LOGIN, LOGIN, OK, OK, OK, OK, OK, LOGIN)
ADMIN_READ_OUTSIDE = (LOGIN, LOGIN, LOGIN, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK, OK, LOGIN)
STAFF_ONLY = (LOGIN, LOGIN, LOGIN, DENIED, DENIED, DENIED, OK, OK, LOGIN)

CASES = [
    Case("volunteers:apply", "get", PUBLIC),
    Case("volunteers:mine", "get", PUBLIC),
    # only one's own record: none → 404; the relative's pending one → back with a message;
    # the outsider, an approved volunteer, pauses
    Case(
        "volunteers:mine_standing",
        "post",
        (LOGIN, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK),
        args=("=pause",),
    ),
    # volunteers see their tasks; anyone else is sent to "my volunteering"
    Case("volunteers:tasks", "get", PUBLIC),
    Case("volunteers:requests", "get", PUBLIC),
    # asking needs a household of one's own or the right to ask for others
    Case(
        "volunteers:request_new",
        "get",
        (LOGIN, OK, FORBIDDEN, OK, OK, FORBIDDEN, OK, OK, OK),
    ),
    # hA1's request, taken by the outsider (a volunteer from community B)
    Case(
        "volunteers:request_detail",
        "get",
        (LOGIN, OK, NOT_FOUND, OK, OK, OK, OK, OK, OK),
        args=("request",),
    ),
    # the matched pair only: the requesting household and the assigned volunteer
    Case(
        "volunteers:request_contact",
        "post",
        (LOGIN, OK, *[NOT_FOUND] * 6, OK),
        args=("request",),
    ),
    # "done": the assigned volunteer or staff; the household's side may not
    Case(
        "volunteers:request_action",
        "post",
        (LOGIN, FORBIDDEN, NOT_FOUND, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK, OK, OK),
        args=("request", "=done"),
    ),
    Case("volunteers:shifts", "get", (OK,) * 9),
    Case("volunteers:shift", "get", (OK,) * 9, args=("clinic",)),
    Case("volunteers:slot_take", "post", (LOGIN, *(OK,) * 8), args=("slot",)),
    # the outsider's place: theirs, or staff's to cancel; anyone else sees nothing there
    Case(
        "volunteers:taking_cancel",
        "post",
        (LOGIN, *[NOT_FOUND] * 5, OK, OK, OK),
        args=("taking",),
    ),
    Case("volunteers_admin_shifts", "get", STAFF_ONLY),
    Case("volunteers_admin_shift", "get", STAFF_ONLY, args=("clinic",)),
    Case("volunteers_admin_shift_take", "post", STAFF_ONLY, args=("clinic",)),
    Case("volunteers_admin_shift_cancel", "post", STAFF_ONLY, args=("clinic", "taking")),
    Case("volunteers:hours", "get", PUBLIC),
    # the outsider's place was not checked in: nothing to propose, for anyone
    Case("volunteers:hours_from_checkin", "post", (LOGIN, *[NOT_FOUND] * 8), args=("taking",)),
    Case(
        "volunteers:hours_confirmations",
        "get",
        (LOGIN, FORBIDDEN, FORBIDDEN, OK, OK, FORBIDDEN, OK, OK, FORBIDDEN),
    ),
    # the outsider's hours for hA1's request: hA1's leaders and staff confirm; not the
    # volunteer themself, not the household, not a committee member
    Case(
        "volunteers:hours_confirm",
        "post",
        (LOGIN, NOT_FOUND, NOT_FOUND, OK, OK, NOT_FOUND, OK, OK, NOT_FOUND),
        args=("hours",),
    ),
    Case("volunteers_admin_hours", "get", STAFF_ONLY),
    Case("volunteers_admin_hours_confirm", "post", STAFF_ONLY, args=("hours",)),
    Case("volunteers_admin_hours_reverse", "post", STAFF_ONLY, args=("hours",)),
    Case("volunteers_admin_hours_correct", "get", STAFF_ONLY, args=("hours",)),
    Case("volunteers:verify", "get", (OK,) * 9, args=("=certificate",)),
    Case(
        "volunteers:my_certificate",
        "get",
        (LOGIN, *[NOT_FOUND] * 7, OK),
        args=("=certificate",),
    ),
    Case("volunteers_admin_certificate_issue", "post", STAFF_ONLY, args=("theirs",)),
    Case(
        "volunteers_admin_certificate",
        "get",
        STAFF_ONLY,
        args=("theirs", "=certificate"),
    ),
    Case("volunteers_admin_reports", "get", ADMIN_READ),
    Case("volunteers_admin_list", "get", ADMIN_READ),
    Case("volunteers_admin_enrol", "get", STAFF_ONLY),
    Case("volunteers_admin_detail", "get", ADMIN_READ, args=("mine",)),
    Case("volunteers_admin_detail", "get", ADMIN_READ_OUTSIDE, args=("theirs",)),
    Case("volunteers_admin_approve", "post", STAFF_ONLY, args=("mine",)),
    Case("volunteers_admin_decline", "post", STAFF_ONLY, args=("mine",)),
    Case("volunteers_admin_standing", "post", STAFF_ONLY, args=("mine", "=pause")),
    Case("volunteers_admin_proof", "get", STAFF_ONLY, args=("mine", "skill")),
    Case("volunteers_admin_requests", "get", STAFF_ONLY),
    Case("volunteers_admin_request", "get", STAFF_ONLY, args=("request",)),
    Case("volunteers_admin_request_assign", "post", STAFF_ONLY, args=("request",)),
    Case("volunteers_admin_request_cancel", "post", STAFF_ONLY, args=("request",)),
]


@pytest.fixture
def targets(world, relative, outsider, staff, skills):
    from volunteers.services import (
        certificate_issue,
        help_request_create,
        help_request_take,
        hours_confirm,
        hours_log,
        shift_slots_set,
        slot_take,
        volunteer_approve,
    )

    mine = application(
        relative, skills=[(skills["repair"], "experienced")], communities=[world.community_a]
    )
    # the outsider is an approved volunteer (community B): they may pause themselves
    theirs = application(
        outsider, skills=[(skills["repair"], "experienced")], communities=[world.community_b]
    )
    volunteer_approve(actor=staff, volunteer_id=theirs.pk)
    request = help_request_create(
        actor=relative,
        household_id=world.hA1.pk,
        skill_id=skills["repair"].pk,
        title="洗衣机不脱水",
        times=1,
    )
    help_request_take(actor=outsider, request_id=request.pk)
    clinic = event_create(kind=EventKind.VOLUNTEER, capacity=10, party_size_max=1)
    shift_slots_set(actor=staff, event_id=clinic.pk, places={skills["repair"].pk: 3})
    slot = clinic.volunteer_slots.get()
    taking = slot_take(actor=outsider, slot_id=slot.pk)
    now = timezone.now()
    hours = hours_log(
        actor=outsider,
        request_id=request.pk,
        started_at=now - timedelta(hours=3),
        ended_at=now - timedelta(hours=1),
        description="修洗衣机",
    )
    hours_confirm(actor=staff, entry_id=hours.pk)
    today = timezone.localdate()
    certificate = certificate_issue(
        actor=staff,
        volunteer_id=theirs.pk,
        period_start=today - timedelta(days=30),
        period_end=today,
    )
    return {
        "certificate": certificate,
        "hours": hours,
        "mine": mine,
        "theirs": theirs,
        "skill": skills["repair"],
        "request": request,
        "clinic": clinic,
        "slot": slot,
        "taking": taking,
    }


def _url(case: Case, targets) -> str:
    def value(arg: str):
        if arg == "=certificate":
            return targets["certificate"].serial
        return arg[1:] if arg.startswith("=") else targets[arg].pk

    args = [value(arg) for arg in case.args]
    return reverse(case.name, args=args)


def _outcome(response) -> str:
    if response.status_code == 404:
        return NOT_FOUND
    if response.status_code == 403:
        return FORBIDDEN
    if response.status_code == 200:
        return OK
    if response.status_code == 302:
        location = response["Location"]
        if "/login/" in location:
            return LOGIN
        if location.rstrip("/").endswith("/admin"):
            return DENIED
        return OK
    return f"status {response.status_code}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.name}-{c.method}-{'-'.join(c.args)}")
def test_matrix(case, targets, client_for, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "core.storage.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    if case.name == "volunteers_admin_proof":
        from django.core.files.base import ContentFile

        row = targets["mine"].skills.get()
        row.proof_file.save("proof.pdf", ContentFile(b"%PDF"), save=True)
    url = _url(case, targets)
    got = {}
    for persona in PERSONAS:
        client = client_for(persona)
        response = client.post(url) if case.method == "post" else client.get(url)
        got[persona] = _outcome(response)
    assert got == dict(zip(PERSONAS, case.expect, strict=True))


def test_every_volunteers_url_is_in_the_matrix():
    names = set()
    for pattern in get_resolver().url_patterns:
        namespace = getattr(pattern, "namespace", None)
        if namespace == "volunteers":
            names |= {f"volunteers:{p.name}" for p in pattern.url_patterns}
    from wagtail import hooks

    for fn in hooks.get_hooks("register_admin_urls"):
        names |= {
            p.name for p in fn() if getattr(p, "name", None) and p.name.startswith("volunteers_")
        }
    assert names == {case.name for case in CASES}
