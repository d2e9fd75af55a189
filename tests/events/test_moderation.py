"""Staff publish events through Wagtail's moderation workflow: one submits, another approves."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from tests.factories import UserFactory
from tests.factories.events import event_create

pytestmark = pytest.mark.django_db


def test_a_submitted_event_is_approved_by_other_staff_and_goes_live(roles):
    writer, approver, relative = UserFactory(), UserFactory(), UserFactory()
    for user in (writer, approver):
        user.groups.add(roles[Role.STAFF])
    event = event_create(publish=False, title="重阳敬老活动")
    workflow = event.get_workflow()
    assert workflow is not None and workflow.active

    event.save_revision(user=writer)
    workflow.start(event, writer)
    task_state = event.current_workflow_task_state.specific
    task = task_state.task.specific
    assert "approve" in [name for name, *_ in task.get_actions(event, approver)]
    assert task.get_actions(event, relative) == []

    task.on_action(task_state, approver, "approve")

    event.refresh_from_db()
    assert event.live and event.title == "重阳敬老活动"
