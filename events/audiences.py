"""The audience extension point: other apps restrict who may sign up for events of a kind.

``events`` decides by the event's own audience (everyone, registered relatives, chosen
communities). An app that gives a kind of event a meaning of its own — ``volunteers`` makes
events of kind 志愿活动 shifts that only approved volunteers with the right skill may take —
registers a rule for that kind in its ``AppConfig.ready``, so that ``events`` never imports it::

    from events import audiences
    from events.choices import EventKind

    class ApprovedVolunteersOnly:
        def refusal(self, *, event, user, member) -> str | None:
            if not volunteer_is_approved(user=user, member=member):
                return _("这是义工服务活动，只有已通过审核的义工可以报名。")
            return None

        def describe(self, *, event) -> str | None:
            return _("仅限已通过审核的义工")

    audiences.register(EventKind.VOLUNTEER, ApprovedVolunteersOnly())

``refusal`` is asked by ``events.services.signup_check_audience`` inside the sign-up's
transaction, after the event's own audience check; a text refuses the sign-up with that message
(nothing is written), None lets it through. ``describe`` is shown on the event page next to the
audience. Rules should read, never write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from accounts.models import User
    from households.models import Member

    from .pages import EventPage


class AudienceRule(Protocol):
    def refusal(
        self, *, event: EventPage, user: User | None, member: Member | None
    ) -> str | None: ...

    def describe(self, *, event: EventPage) -> str | None: ...


_rules: dict[str, list[AudienceRule]] = {}


def register(kind: str, rule: AudienceRule) -> None:
    """Add ``rule`` for events of ``kind`` (an ``EventKind`` value). Registering the same rule
    object twice has no effect."""
    rules = _rules.setdefault(str(kind), [])
    if rule not in rules:
        rules.append(rule)


def unregister(kind: str, rule: AudienceRule) -> None:
    rules = _rules.get(str(kind), [])
    if rule in rules:
        rules.remove(rule)


def rules_for(kind: str) -> list[AudienceRule]:
    return list(_rules.get(str(kind), []))


def refusal_for(*, event: EventPage, user: User | None, member: Member | None) -> str | None:
    """The first refusal of the rules registered for the event's kind, or None."""
    for rule in rules_for(event.kind):
        refusal = rule.refusal(event=event, user=user, member=member)
        if refusal:
            return str(refusal)
    return None


def descriptions_for(event: EventPage) -> list[str]:
    """What the registered rules say about who may sign up, for the event page."""
    texts = []
    for rule in rules_for(event.kind):
        text = rule.describe(event=event)
        if text:
            texts.append(str(text))
    return texts
