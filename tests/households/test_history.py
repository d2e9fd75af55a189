"""Wagtail's history screens show register edits only within the reader's scope.

Wagtail shows a log entry to anyone with any permission on its model; a group leader (who may
view households) read every household's edits with names in the site-history report and its
export. The world is the "two communities" world of conftest.py: the group leader covers A1
(hA1, hA1b); hB1 (郑海生) and its member 赵外人 are outside.
"""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse
from wagtail.log_actions import log

from .conftest import HOUSEHOLDER

pytestmark = pytest.mark.django_db

SITE_HISTORY = "/admin/reports/site-history/"


@pytest.fixture
def edits(world, staff):
    """Staff edited a household and a member on each side of the group leader's scope."""
    for obj in (world.hA1, world.mA1b, world.hB1, world.mB1_outsider):
        log(instance=obj, action="wagtail.edit", user=staff)


def _export_text(response, fmt: str) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "csv":
        return "\n".join(",".join(row) for row in csv.reader(io.StringIO(body.decode())))
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    return "\n".join(
        ",".join("" if v is None else str(v) for v in row)
        for row in sheet.iter_rows(values_only=True)
    )


def test_the_report_is_at_wagtails_address():
    assert reverse("wagtailadmin_reports:site_history") == SITE_HISTORY


@pytest.mark.parametrize("url", [SITE_HISTORY, SITE_HISTORY + "results/"])
def test_group_leader_sees_only_edits_in_scope(edits, client_for, url):
    response = client_for("group_leader").get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert HOUSEHOLDER["hA1"] in html and "刘雅琴" in html  # in scope
    assert HOUSEHOLDER["hB1"] not in html and "赵外人" not in html


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_group_leader_export_holds_only_edits_in_scope(edits, client_for, fmt):
    response = client_for("group_leader").get(SITE_HISTORY, {"export": fmt})
    assert response.status_code == 200
    text = _export_text(response, fmt)
    assert HOUSEHOLDER["hA1"] in text
    assert HOUSEHOLDER["hB1"] not in text and "赵外人" not in text


def test_filtering_by_name_finds_nothing_outside_scope(edits, client_for):
    # the filter echoes what was typed ("外人"), a row would show the whole name
    html = client_for("group_leader").get(SITE_HISTORY, {"label": "外人"}).content.decode()
    assert "赵外人" not in html


def test_staff_see_every_edit(edits, client_for):
    html = client_for("staff").get(SITE_HISTORY).content.decode()
    for name in (HOUSEHOLDER["hA1"], "刘雅琴", HOUSEHOLDER["hB1"], "赵外人"):
        assert name in html


def test_other_entries_are_left_alone(world, client_for, group_leader, staff):
    log(instance=world.community_a, action="wagtail.edit", user=staff)
    log(instance=world.community_b, action="wagtail.edit", user=staff)
    html = client_for("group_leader").get(SITE_HISTORY).content.decode()
    assert world.community_a.name in html
    assert world.community_b.name not in html  # a community outside the scope


@pytest.mark.parametrize("view", ["history", "history_results", "usage"])
@pytest.mark.parametrize(
    ("namespace", "target"), [("households_household", "hB1"), ("households_member", "mB1")]
)
def test_per_object_history_outside_scope_is_404(world, edits, client_for, view, namespace, target):
    url = reverse(f"{namespace}:{view}", args=[getattr(world, target).pk])
    assert client_for("group_leader").get(url).status_code == 404
    assert client_for("staff").get(url).status_code == 200
