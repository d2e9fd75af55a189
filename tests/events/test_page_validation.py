"""The event editor's checks on times: wrong input comes back with a message, never a 500."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from events.pages import EventKind, EventPage
from tests.factories.events import events_index

pytestmark = pytest.mark.django_db

STARTS = timezone.now() + datetime.timedelta(days=7)


def _when(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _new_event_form(**overrides):
    data = {
        "title": "中秋茶话会",
        "slug": "mid-autumn-tea",
        "kind": EventKind.TEA_PARTY,
        "starts_at": _when(STARTS),
        "ends_at": _when(STARTS + datetime.timedelta(hours=2)),
        "place": "侨联活动室",
        "capacity": "20",
        "party_size_max": "2",
        "audience": "everyone",
        "questions": inline_formset([]),
    }
    data.update(overrides)
    form_class = EventPage.get_edit_handler().get_form_class()
    return form_class(nested_form_data(data), instance=EventPage(), parent_page=events_index())


def test_a_new_event_with_a_deadline_and_no_end_time_is_refused_with_a_message():
    form = _new_event_form(ends_at="", signup_closes_at=_when(STARTS - datetime.timedelta(days=1)))
    assert not form.is_valid()  # before the fix: TypeError comparing with None, a 500
    assert form.errors == {"ends_at": ["请填写活动结束时间。"]}  # the deadline itself is fine
    assert form.data["signup_closes_at"]  # the form comes back filled in


def test_a_deadline_after_the_end_is_refused():
    form = _new_event_form(signup_closes_at=_when(STARTS + datetime.timedelta(hours=3)))
    assert not form.is_valid()
    assert "报名截止时间不能晚于活动结束时间" in str(form.errors["signup_closes_at"])


def test_a_deadline_before_the_end_is_accepted():
    form = _new_event_form(signup_closes_at=_when(STARTS + datetime.timedelta(hours=1)))
    assert form.is_valid(), form.errors


@pytest.mark.parametrize("missing", ["starts_at", "ends_at"])
def test_the_page_clean_copes_with_a_missing_time(missing):
    event = EventPage(
        title="讲座",
        kind=EventKind.LECTURE,
        starts_at=STARTS,
        ends_at=STARTS + datetime.timedelta(hours=2),
        place="侨联活动室",
        capacity=10,
        signup_closes_at=STARTS - datetime.timedelta(days=1),
    )
    setattr(event, missing, None)
    event.clean()  # no TypeError; the missing time itself is the field's "required" error
    with pytest.raises(ValidationError) as error:
        event.full_clean(exclude=["path", "depth", "slug", "content_type"])
    assert missing in error.value.message_dict


def test_the_editor_answers_a_missing_end_time_with_the_form_not_a_500(client, staff):
    client.force_login(staff)
    response = client.post(
        f"/admin/pages/add/events/eventpage/{events_index().pk}/",
        _new_event_form(
            ends_at="", signup_closes_at=_when(STARTS - datetime.timedelta(days=1))
        ).data,
    )
    assert response.status_code == 200
    assert EventPage.objects.filter(title="中秋茶话会").count() == 0
    page = response.content.decode()
    assert "请填写活动结束时间。" in page
    assert "中秋茶话会" in page  # filled in again
