"""Every read of a full number writes an access-log row: a walk over every register URL.

The URLs come from the URL resolver (every pattern of the register's namespaces, the import,
"my household" and the events staff and check-in screens), so a screen added later is walked
too. Each is requested by staff and by a superuser in the "two communities" world, whose
mobiles, ID numbers and home phones are known; a response (page, CSV, .xlsx) that holds one of
them in full must have written an AccessLog row during that request. ``households.access`` is
the mechanism that writes it.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver, reverse

from events.models import Signup
from households import access
from households.importing.batches import import_batch_create
from households.models import AccessLog
from tests.factories.events import event_create

pytestmark = pytest.mark.django_db

#: Namespaces of the register's screens (every pattern of each is walked).
NAMESPACES = (
    "households",  # /me/household/
    "households_household",
    "households_member",
    "households_community",
    "households_gridgroup",
    "households_responsibility",
    "households_accesslog",
    "households_import",
)
#: Prefixes of the events screens that show people (names of non-namespaced URL patterns).
EVENT_PREFIXES = ("events_staff_", "events_checkin_")


def _patterns() -> list[tuple[str, list[str]]]:
    """(URL name, its parameters) of every URL walked."""
    resolver = get_resolver()
    found = []
    for namespace in NAMESPACES:
        sub = resolver.namespace_dict[namespace][1]
        for name in {k for k in sub.reverse_dict if isinstance(k, str)}:
            found.append((f"{namespace}:{name}", _params(sub, name)))
    for name in {k for k in resolver.reverse_dict if isinstance(k, str)}:
        if name.startswith(EVENT_PREFIXES):
            found.append((name, _params(resolver, name)))
    return sorted(found)


def _params(resolver, name: str) -> list[str]:
    possibilities = resolver.reverse_dict.getlist(name)[0][0]
    return list(possibilities[0][1])


PATTERNS = _patterns()

#: Files that hold no register data: the import template's example row uses made-up numbers,
#: which happen to be the world's (138 1234 5678 is everyone's example).
NO_REGISTER_DATA = {"households_import:template"}


@pytest.fixture
def known(world, staff):
    """The world plus an event sign-up and an uploaded register holding the world's numbers,
    and the list of every number that must never be shown without a log row."""
    event = event_create(title="中秋茶话会", capacity=20)
    signup = Signup.objects.create(
        event=event,
        name=world.mA1.name,
        phone=world.mA1.mobile,
        member=world.mA1,
        status=Signup.Status.CONFIRMED,
    )
    lines = ["社区,户编号,户主姓名,姓名,类别,手机号码,身份证号"]
    for member in world.members:
        lines.append(
            f"东港社区,A1-001,陈家豪,{member.name},归侨,{member.mobile},{member.id_number}"
        )
    lines.append("东港社区,A1-009,某某,某某,归侨,13812349999,1234")  # a row to reject
    upload = SimpleUploadedFile("register.csv", "\n".join(lines).encode("utf-8"))
    batch = import_batch_create(user=staff, upload=upload)
    numbers = set()
    for member in world.members:
        numbers |= {member.mobile, member.mobile.removeprefix("+86"), member.id_number}
    for household in world.households.values():
        if household.home_phone:
            numbers |= {household.home_phone, household.home_phone.removeprefix("+86")}
    numbers.add("13812349999")
    values = {
        "pk": {
            "households": None,
            "households_household": world.hA1.pk,
            "households_member": world.mA1.pk,
            "households_community": world.community_a.pk,
            "households_gridgroup": world.a1.pk,
            "households_responsibility": world.leader_a1.pk,
            "households_import": batch.pk,
        },
        "event_id": event.pk,
        "signup_id": signup.pk,
    }
    return {"numbers": sorted(numbers), "values": values, "world": world}


def _paths(url_name: str, params: list[str], known) -> list[str]:
    namespace = url_name.partition(":")[0] if ":" in url_name else ""
    kwargs = {}
    for param in params:
        value = known["values"][param]
        if isinstance(value, dict):
            value = value[namespace]
        if url_name == "households_household:unmask":
            value = known["world"].mA1.pk  # a member's pk
        kwargs[param] = value
    path = reverse(url_name, kwargs=kwargs)
    paths = [path]
    mobile = known["world"].mA1.mobile.removeprefix("+86")
    if url_name.endswith(":index") and namespace in ("households_household", "households_member"):
        paths += [f"{path}?export=csv", f"{path}?export=xlsx", f"{path}?q={mobile}"]
    if url_name in ("events_checkin_event", "events_staff_signup_member"):
        paths += [f"{path}?q={mobile}", f"{path}?q={mobile[-4:]}"]
    return paths


def _text(response) -> str:
    """The response body as text; an .xlsx (a zip) as the text of its parts."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "".join(
                archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
            )
    return body.decode("utf-8", "replace")


def test_the_walk_covers_the_screens_that_show_numbers():
    names = {name for name, _params in PATTERNS}
    for expected in (
        "households_member:edit",
        "households_household:edit",
        "households_import:mapping",
        "households_import:rejected",
        "households:my_household",
        "events_checkin_event",
        "events_staff_signups_export",
    ):
        assert expected in names


@pytest.mark.parametrize("persona", ["staff", "admin"])
@pytest.mark.parametrize(("url_name", "params"), PATTERNS, ids=[name for name, _ in PATTERNS])
def test_no_full_number_leaves_without_a_log_row(known, client_for, persona, url_name, params):
    client = client_for(persona)
    for path in _paths(url_name, params, known):
        before = AccessLog.objects.count()
        response = client.get(path)
        assert response.status_code < 500, path
        text = _text(response)
        shown = [number for number in known["numbers"] if number in text]
        if shown and url_name not in NO_REGISTER_DATA:
            assert AccessLog.objects.count() > before, f"{path} shows {shown} and logs nothing"


def test_the_walk_sees_full_numbers_on_the_edit_forms(known, client_for):
    # a negative control: the check above is not empty, the edit form does hold the numbers
    world = known["world"]
    client = client_for("staff")
    last = AccessLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    text = _text(client.get(reverse("households_member:edit", args=[world.mA1.pk])))
    assert world.mA1.id_number in text
    row = AccessLog.objects.get(pk__gt=last)
    assert (row.action, row.object_type, row.object_id) == (
        AccessLog.Action.EDIT,
        "member",
        world.mA1.pk,
    )


def test_a_refused_or_missing_object_is_not_logged(known, client_for):
    world = known["world"]
    # a group leader may not edit: redirected, nothing shown, nothing logged
    response = client_for("group_leader").get(
        reverse("households_member:edit", args=[world.mA1.pk])
    )
    assert response.status_code == 302
    response = client_for("staff").get(reverse("households_member:edit", args=[999999]))
    assert response.status_code == 404
    assert not AccessLog.objects.filter(action=AccessLog.Action.EDIT).exists()


def test_mask_term():
    assert access.mask_term("13812345678") == "138****5678"
    assert access.mask_term("+86 138 1234 5678") == "138****5678"
    assert access.mask_term("330902194408081016") == "3309**********1016"
    assert access.mask_term("5678") == "****"
    assert access.mask_term("陈家豪") == "陈家豪"
