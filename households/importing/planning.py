"""Comparing checked rows with the register: what each row is (a new or a known household, a
new or a known person), and which rows must be refused because the register's rules of
uniqueness would not take them: one person per natural key in a household
(``member_natural_key``: name and birth date, a missing date counting as one value) and one
person per ID number (``member_unique_id_number``). Nothing is written here.

The plan then holds exactly what the database will accept, so a database error while writing
it can only mean that someone else wrote the same rows meanwhile (see ``writing.run_import``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init
from django.utils.translation import gettext as _

from ..models import Household, Member
from ..services import name_pinyin
from .base import CHUNK, HOUSEHOLD_FIELDS, MEMBER_FIELDS, Outcome, Rejected, Row
from .checking import _member_identity


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _apply_household(household: Household, rows: list[Row]) -> bool:
    changed = False
    first = rows[0]
    if first.community and household.community_id != first.community.pk:
        household.community = first.community
        changed = True
    if first.grid_group and household.grid_group_id != first.grid_group.pk:
        household.grid_group = first.grid_group
        changed = True
    for name in HOUSEHOLD_FIELDS:
        value = next((r.values[name] for r in rows if name in r.values), None)
        if value is None:
            continue
        if name.startswith("is_"):
            value = bool(value)
        if getattr(household, name) != value:
            setattr(household, name, value)
            changed = True
    return changed


def _born(value: date | None) -> str:
    return value.isoformat() if value else _("未填")


@dataclass
class Plan:
    households: dict[str, Household] = field(default_factory=dict)  # every one the rows name
    new_households: list[Household] = field(default_factory=list)
    changed_households: list[Household] = field(default_factory=list)
    renamed_households: list[Household] = field(default_factory=list)  # householder name only
    to_create: list[Member] = field(default_factory=list)
    created_in: list[str] = field(default_factory=list)  # each new person's household key
    to_update: list[Member] = field(default_factory=list)
    # each accepted row with its person, for the home contacts
    row_members: list[tuple[Row, Member]] = field(default_factory=list)
    # the people of each household the import touches, in id order (new ones last)
    people: dict[str, list[Member]] = field(default_factory=dict)


class _People:
    """The people of the households an import touches, indexed as the import finds them and
    as the database's unique rules see them, kept up to date as rows are planned."""

    def __init__(self, households: dict[str, Household], id_numbers: set[str]):
        self.known: dict[tuple, Member] = {}
        self.names: dict[tuple, list[Member]] = {}
        self.people: dict[str, list[Member]] = {key: [] for key in households}
        # what member_natural_key and member_unique_id_number will see: key → (member, row)
        self.natural: dict[tuple, tuple[Member, int | None]] = {}
        self.ids: dict[str, tuple[Member, int | None]] = {}
        by_pk = {h.pk: key for key, h in households.items() if h.pk}
        for pks in _chunks(list(by_pk)):
            for member in Member.objects.filter(household_id__in=pks).order_by("id"):
                key = by_pk[member.household_id]
                values = {"name": member.name, "birth_date": member.birth_date}
                if member.id_number:
                    self.known[_member_identity(key, {"id_number": member.id_number})] = member
                    self.ids[member.id_number] = (member, None)
                self.known.setdefault(_member_identity(key, values), member)
                self.names.setdefault((key, member.name), []).append(member)
                self.people[key].append(member)
                self.natural[(key, member.name, member.birth_date)] = (member, None)
        # ID numbers held by people in other households
        self.elsewhere: dict[str, tuple[str, str]] = {}
        wanted = sorted(id_numbers - set(self.ids))
        for numbers in _chunks(wanted):
            for number, household_id, household_key, name in Member.objects.filter(
                id_number__in=numbers
            ).values_list("id_number", "household_id", "household__key", "name"):
                if household_id not in by_pk:
                    self.elsewhere[number] = (household_key, name)

    def find(self, key: str, values: dict) -> Member | None:
        """A person is found by ID number, else by name and birth date, else by name alone
        when only one person of that name lives in the household."""
        same_name = self.names.get((key, values.get("name")), [])
        return (
            self.known.get(_member_identity(key, values))
            or self.known.get(_member_identity(key, {**values, "id_number": ""}))
            or (same_name[0] if len(same_name) == 1 else None)
        )

    def problem(
        self, member: Member, key: str, name: str, born: date | None, id_number: str
    ) -> Rejected | None:
        """Why ``member`` (new, or known and about to change) cannot have this name, birth
        date and ID number, as a refusal (row number and cells filled in by the caller)."""
        holder, row = self.natural.get((key, name, born), (member, None))
        if holder is not member:
            if row is not None:
                reason = _(
                    "与第 %(row)s 行是同一户里姓名和出生日期都相同的人。"
                    "同一个人只能登记一次，请核对这两行。"
                ) % {"row": row}
            else:
                reason = _(
                    "这一户已经登记了“%(name)s”（出生日期：%(born)s）。同一户里姓名和出生"
                    "日期都相同的人只能登记一次，请核对这一行的姓名和出生日期。"
                ) % {"name": name, "born": _born(born)}
            return Rejected(0, _("姓名"), reason)
        if not id_number:
            return None
        if id_number in self.elsewhere:
            other_key, other_name = self.elsewhere[id_number]
            reason = _("这个身份证号已经登记在另一户（户编号 %(key)s）的“%(name)s”名下，请核对。")
            return Rejected(0, _("身份证号"), reason % {"key": other_key, "name": other_name})
        holder, row = self.ids.get(id_number, (member, None))
        if holder is not member:
            if row is not None:
                reason = _("与第 %(row)s 行的身份证号相同，请核对。") % {"row": row}
            else:
                reason = _("这个身份证号已经登记在本户的“%(name)s”名下，请核对。") % {
                    "name": holder.name
                }
            return Rejected(0, _("身份证号"), reason)
        return None

    def place(self, member: Member, key: str, row: int, *, old: tuple | None = None) -> None:
        """Record that ``member`` now holds its natural key and ID number (after ``row``)."""
        if old is not None and self.natural.get(old, (None,))[0] is member:
            del self.natural[old]
        self.natural[(key, member.name, member.birth_date)] = (member, row)
        if member.id_number:
            self.ids[member.id_number] = (member, row)


# A new person is built from a blank person's attributes (each field's default) with the row's
# values put in. The household is set when it has an id (writing.py).
_BLANK = {
    f.attname: None if f.primary_key else getattr(default := f.get_default(), "value", default)
    for f in Member._meta.concrete_fields
}
_FROM_ROW = list(MEMBER_FIELDS.items())


def _quick_members() -> bool:
    """Whether new people may skip ``Model.__init__``: only while nothing listens to its
    signals (nothing does today). The quick way sets the attributes and the state that
    ``Member(**attributes)`` would set, in a tenth of the time, which counts for a million
    people: ``Model.__init__`` sends two signals and walks every field for each."""
    return not (pre_init.has_listeners(Member) or post_init.has_listeners(Member))


def _new_member(values: dict, *, quick: bool) -> Member:
    attributes = dict(_BLANK)
    for source, target in _FROM_ROW:
        if source in values:
            attributes[target] = values[source]
    if not quick:
        return Member(**attributes)
    member = Member.__new__(Member)
    member.__dict__.update(attributes, _state=ModelState())
    return member


def _refuse(outcome: Outcome, row: Row, rejected: Rejected, cells: list) -> None:
    rejected.row, rejected.cells = row.number, cells
    outcome.rejected.append(rejected)


def plan_rows(rows: list[Row], outcome: Outcome, cells: dict[int, list]) -> Plan:
    """Compare the checked rows with the register: count what would be created, updated and
    left unchanged in ``outcome``, add the rows refused here (with their ``cells``) to it, and
    return what to write. Reads only."""
    plan = Plan()
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.household_key, []).append(row)
    existing: dict[str, Household] = {}
    for keys in _chunks(list(groups)):
        existing.update({h.key: h for h in Household.objects.filter(key__in=keys)})
    for key, group in list(groups.items()):
        if key not in existing and not group[0].community:
            # a household key that is new and has no community cannot be created
            for row in group:
                outcome.rejected.append(
                    Rejected(
                        row.number,
                        _("户编号"),
                        _("户编号“%(key)s”在册里找不到；新建的户请填写社区。") % {"key": key},
                        cells.get(row.number, []),
                    )
                )
            del groups[key]
            continue
        plan.households[key] = existing.get(key) or Household(
            key=key, community=group[0].community, grid_group=group[0].grid_group
        )
    id_numbers = {r.values["id_number"] for r in rows if r.values.get("id_number")}
    people = _People({k: h for k, h in plan.households.items() if h.pk}, id_numbers)
    for key in plan.households:
        people.people.setdefault(key, [])
    new_keys = {key for key, household in plan.households.items() if household.pk is None}
    accepted: dict[str, list[Row]] = {}
    queued: set[int] = set()
    quick = _quick_members()
    for row in rows:
        key, values = row.household_key, row.values
        if key not in plan.households:
            continue
        # no one is known yet in a household the register does not hold
        member = None if key in new_keys else people.find(key, values)
        if member is None:
            member = _new_member(values, quick=quick)
            refusal = people.problem(member, key, member.name, member.birth_date, member.id_number)
            if refusal:
                _refuse(outcome, row, refusal, cells.get(row.number, []))
                continue
            member.name_pinyin, member.name_initials = name_pinyin(member.name)
            people.place(member, key, row.number)
            people.people[key].append(member)
            plan.to_create.append(member)
            plan.created_in.append(key)
        else:
            changes = {
                target: values[source]
                for source, target in MEMBER_FIELDS.items()
                if source in values and getattr(member, target) != values[source]
            }
            if changes:
                old = (key, member.name, member.birth_date)
                refusal = people.problem(
                    member,
                    key,
                    changes.get("name", member.name),
                    changes.get("birth_date", member.birth_date),
                    changes.get("id_number", ""),
                )
                if refusal:
                    _refuse(outcome, row, refusal, cells.get(row.number, []))
                    continue
                for target, value in changes.items():
                    setattr(member, target, value)
                member.name_pinyin, member.name_initials = name_pinyin(member.name)
                people.place(member, key, row.number, old=old)
                if id(member) not in queued:
                    queued.add(id(member))
                    plan.to_update.append(member)
            else:
                outcome.members["unchanged"] += 1
        accepted.setdefault(key, []).append(row)
        plan.row_members.append((row, member))
    outcome.members["created"] += len(plan.to_create)
    outcome.members["updated"] += len(plan.to_update)
    # households: only those with a row accepted; a new one whose every row was refused is
    # not created
    for key, group in accepted.items():
        household = plan.households[key]
        changed = _apply_household(household, group)
        name = _householder_name(people.people[key])
        renamed = household.householder_name != name
        household.householder_name = name
        if household.pk is None:
            plan.new_households.append(household)
        elif changed:
            plan.changed_households.append(household)
        elif renamed:
            plan.renamed_households.append(household)
    plan.households = {key: plan.households[key] for key in accepted}
    plan.people = {key: people.people[key] for key in accepted}
    outcome.households["created"] += len(plan.new_households)
    outcome.households["updated"] += len(plan.changed_households)
    outcome.households["unchanged"] += (
        len(accepted) - len(plan.new_households) - len(plan.changed_households)
    )
    return plan


def _householder_name(people: list[Member]) -> str:
    """The householder's name as the lists show it: the first person (in id order) marked
    householder, else the first person."""
    head = next((m for m in people if m.relation == Member.Relation.HOUSEHOLDER), None)
    head = head or (people[0] if people else None)
    return head.name if head else ""
