"""A masked ID beside the full birth date rebuilds the ID (red-team finding 2).

An ID is 6 region digits + the 8-digit birth date + 3 sequence digits + a check digit. Shown as
``3309**********1234`` beside 出生日期 in full, only 2 district digits were left to guess, and
the check digit leaves about one of those. Who may not unmask (the committee member) now sees
the birth year and the ID's province and city only, on every screen and in every file; who
may unmask (the cadre) still sees the full date. The world is the "two communities" world of
conftest.py, each member's birth date set to the one in their ID number, as in a real register.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from households.models import Member
from households.normalize import id_check_char, id_number_birth_date

from .test_views import export

pytestmark = pytest.mark.django_db

MEMBERS = reverse("households_member:index")
IN_SCOPE = ("mA1", "mA1_relative", "mA1b", "mA2")  # community A: the committee member's


@pytest.fixture
def born(world) -> dict[str, Member]:
    """The world's members with the birth date their ID number holds."""
    for member in world.members:
        member.birth_date = id_number_birth_date(member.id_number)
        Member.objects.filter(pk=member.pk).update(birth_date=member.birth_date)
    return {name: getattr(world, name) for name in IN_SCOPE}


def _date_texts(day: date) -> list[str]:
    """The ways a page or a file may write a full date."""
    return [
        day.isoformat(),
        f"{day.year}年{day.month}月{day.day}日",
        f"{day:%Y/%m/%d}",
        f"{day:%Y%m%d}",
    ]


def _shows_a_full_date(text: str, members) -> list[str]:
    return [t for m in members for t in _date_texts(m.birth_date) if t in text]


def _inspect(household) -> str:
    return reverse("households_household:inspect", args=[household.pk])


# --- what each role sees ---------------------------------------------------------------------


def test_committee_member_sees_no_full_birth_date_in_the_member_list(born, client_for):
    html = client_for("committee_member").get(MEMBERS).content.decode()
    assert "陈家豪" in html
    assert "1944年" in html  # the year
    assert _shows_a_full_date(html, born.values()) == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_committee_member_export_holds_the_birth_year_only(born, client_for, fmt):
    rows = export(client_for("committee_member"), MEMBERS, fmt)
    assert {row["姓名"] for row in rows} == {m.name for m in born.values()}
    for row in rows:
        assert "出生日期" not in row
        assert row["出生年份"] == "1944年"
        assert _shows_a_full_date(" ".join(row.values()), born.values()) == []


def test_committee_member_sees_no_full_birth_date_on_the_household_page(born, world, client_for):
    html = client_for("committee_member").get(_inspect(world.hA1)).content.decode()
    assert "陈家豪" in html
    assert "1944年" in html
    assert _shows_a_full_date(html, born.values()) == []


def test_committee_member_cannot_sort_by_birth_date(born, world, client_for):
    # the order within a year would tell the dates apart: the ordering is ignored
    Member.objects.filter(pk=world.mA1.pk).update(birth_date=date(1944, 12, 31))
    Member.objects.filter(pk=world.mA2.pk).update(birth_date=date(1944, 1, 1))
    client = client_for("committee_member")
    html = client.get(MEMBERS, {"ordering": "birth_date"}).content.decode()
    assert html.index(world.mA1.name) < html.index(world.mA2.name)  # by id, as without it
    html = client_for("cadre").get(MEMBERS, {"ordering": "birth_date"}).content.decode()
    assert html.index(world.mA2.name) < html.index(world.mA1.name)


def test_cadre_still_sees_the_full_birth_date(born, world, client_for):
    client = client_for("cadre")
    day = world.mA1.birth_date
    assert _shows_a_full_date(client.get(MEMBERS).content.decode(), [world.mA1])
    assert _shows_a_full_date(client.get(_inspect(world.hA1)).content.decode(), [world.mA1])
    for fmt in ("csv", "xlsx"):
        rows = {row["姓名"]: row for row in export(client, MEMBERS, fmt)}
        assert rows[world.mA1.name]["出生日期"].startswith(day.isoformat())


# --- the attack: rebuild the IDs from what the committee member sees ----------------------------


def _candidates(shown_id: str, shown_birth: str, *, region: str, limit: int) -> int:
    """How many valid ID numbers agree with what is shown, counting up to ``limit``.

    The attacker is given the full region code (as the red team filled in the district):
    only the birth date, the sequence and the check digit are left to what is shown.
    """
    full = re.fullmatch(r"(\d{4})\D?(\d{1,2})\D?(\d{1,2})\D?.*", shown_birth)
    if full:
        days = [date(*map(int, full.groups()))]
    else:
        year = int(re.match(r"(\d{4})", shown_birth).group(1))
        days = [
            date(year, 1, 1) + timedelta(n) for n in range(366 if calendar.isleap(year) else 365)
        ]
    count = 0
    for day in days:
        for sequence in range(1000):
            first17 = f"{region}{day:%Y%m%d}{sequence:03d}"
            number = first17 + id_check_char(first17)
            if all(s in ("*", c) for s, c in zip(shown_id, number, strict=True)):
                count += 1
                if count >= limit:
                    return count
    return count


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_ids_cannot_be_rebuilt_from_a_committee_members_export(born, client_for, fmt):
    rows = export(client_for("committee_member"), MEMBERS, fmt)
    by_name = {m.name: m for m in born.values()}
    assert len(rows) == len(by_name)
    for row in rows:
        member = by_name[row["姓名"]]
        shown_birth = row.get("出生日期") or row["出生年份"]
        left = _candidates(row["身份证号"], shown_birth, region=member.id_number[:6], limit=2_001)
        # the gender halves them: still more than 1,000, far more than 20 searches an hour try
        assert left > 2_000, (row["身份证号"], shown_birth, left)


def test_the_candidate_count_finds_the_old_mask_out(born):
    # the control: with the old mask and the full date, one candidate is left (the ID itself)
    member = born["mA1"]
    shown = member.id_number[:4] + "*" * 10 + member.id_number[-4:]
    left = _candidates(
        shown, member.birth_date.isoformat(), region=member.id_number[:6], limit=2_001
    )
    assert left == 1
