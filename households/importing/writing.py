"""Comparing checked rows with the register and writing them in bulk."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User

from ..models import AccessLog, Household, HouseholdChange, Member
from ..services import access_log_record, name_pinyin, register_changed
from .base import (
    CHUNK,
    HOUSEHOLD_FIELDS,
    MEMBER_FIELDS,
    ImportFileError,
    Outcome,
    Rejected,
    Row,
    Table,
)
from .checking import _member_identity, check_rows
from .limits import Limits
from .reading import auto_mapping, mapping_problems, read_table

# --- planning and writing ----------------------------------------------------------------------


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _apply_member(member: Member, values: dict) -> bool:
    changed = False
    for source, target in MEMBER_FIELDS.items():
        if source in values and getattr(member, target) != values[source]:
            setattr(member, target, values[source])
            changed = True
    return changed


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


def run_import(
    rows: list[Row], outcome: Outcome, *, write: bool, actor: User | None, source: str = ""
) -> Outcome:
    """Compare the checked rows with the register and count what would change; with
    ``write=True`` make the changes in one transaction (bulk statements)."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.household_key, []).append(row)
    with transaction.atomic():
        existing: dict[str, Household] = {}
        for keys in _chunks(list(groups)):
            existing.update({h.key: h for h in Household.objects.filter(key__in=keys)})
        # a household key that is new and has no community cannot be created
        for key, group in list(groups.items()):
            if key not in existing and not group[0].community:
                for row in group:
                    outcome.rejected.append(
                        Rejected(
                            row.number,
                            _("户编号"),
                            _("户编号“%(key)s”在册里找不到；新建的户请填写社区。") % {"key": key},
                        )
                    )
                del groups[key]
        new_households = []
        changed_households = []
        for key, group in groups.items():
            household = existing.get(key)
            if household is None:
                household = Household(
                    key=key, community=group[0].community, grid_group=group[0].grid_group
                )
                _apply_household(household, group)
                new_households.append(household)
                existing[key] = household
            elif _apply_household(household, group):
                changed_households.append(household)
        outcome.households["created"] += len(new_households)
        outcome.households["updated"] += len(changed_households)
        outcome.households["unchanged"] += (
            len(groups) - len(new_households) - len(changed_households)
        )
        if write:
            Household.objects.bulk_create(new_households, batch_size=CHUNK)
            Household.objects.bulk_update(
                changed_households, ["community", "grid_group", *HOUSEHOLD_FIELDS], batch_size=CHUNK
            )
            if any(h.pk is None for h in new_households):
                # backends without RETURNING: read the new ids back
                ids = dict(
                    Household.objects.filter(key__in=[h.key for h in new_households]).values_list(
                        "key", "pk"
                    )
                )
                for household in new_households:
                    household.pk = ids[household.key]
        # members
        # A person is found by ID number, else by name and birth date, else by name alone
        # when only one person of that name lives in the household.
        known: dict[tuple, Member] = {}
        names: dict[tuple, list[Member]] = {}
        existing_ids = [h.pk for h in existing.values() if h.pk]
        for ids in _chunks(existing_ids):
            for member in Member.objects.filter(household_id__in=ids).select_related("household"):
                key = member.household.key
                values = {"name": member.name, "birth_date": member.birth_date}
                if member.id_number:
                    known[_member_identity(key, {"id_number": member.id_number})] = member
                known.setdefault(_member_identity(key, values), member)
                names.setdefault((key, member.name), []).append(member)
        to_create, to_update = [], []
        for row in rows:
            if row.household_key not in groups:
                continue
            key, values = row.household_key, row.values
            same_name = names.get((key, values.get("name")), [])
            member = (
                known.get(_member_identity(key, values))
                or known.get(_member_identity(key, {**values, "id_number": ""}))
                or (same_name[0] if len(same_name) == 1 else None)
            )
            if member is None:
                member = Member(
                    household=existing[row.household_key], category=row.values.get("category", "")
                )
                _apply_member(member, row.values)
                member.name_pinyin, member.name_initials = name_pinyin(member.name)
                to_create.append(member)
            elif _apply_member(member, row.values):
                member.name_pinyin, member.name_initials = name_pinyin(member.name)
                to_update.append(member)
            else:
                outcome.members["unchanged"] += 1
        outcome.members["created"] += len(to_create)
        outcome.members["updated"] += len(to_update)
        if not write:
            return outcome
        for member in to_create:
            member.household_id = member.household.pk
        Member.objects.bulk_create(to_create, batch_size=CHUNK)
        Member.objects.bulk_update(
            to_update, [*MEMBER_FIELDS.values(), "name_pinyin", "name_initials"], batch_size=CHUNK
        )
        _link_home_contacts(rows, existing)
        _refresh_householders([h.pk for h in existing.values()])
        changes = [(h, HouseholdChange.Kind.CREATED) for h in new_households] + [
            (h, HouseholdChange.Kind.IMPORTED) for h in changed_households
        ]
        HouseholdChange.objects.bulk_create(
            [
                HouseholdChange(household=h, kind=kind, actor=actor, detail={"source": source})
                for h, kind in changes
            ],
            batch_size=CHUNK,
        )
        transaction.on_commit(register_changed)
        access_log_record(
            user=actor,
            action=AccessLog.Action.IMPORT,
            object_type="household",
            filters={"file": source},
            row_count=outcome.rows,
        )
    return outcome


def _link_home_contacts(rows: list[Row], households: dict[str, Household]) -> None:
    wanted = [
        (r.household_key, r.values["name"], r.values["home_contact"])
        for r in rows
        if r.values.get("home_contact") and r.household_key in households
    ]
    if not wanted:
        return
    ids = [households[key].pk for key, _name, _contact in wanted]
    by_name: dict[tuple[int, str], Member] = {}
    for member in Member.objects.filter(household_id__in=ids):
        by_name.setdefault((member.household_id, member.name), member)
    changed = []
    for key, name, contact in wanted:
        household_id = households[key].pk
        member, target = by_name.get((household_id, name)), by_name.get((household_id, contact))
        if member and target and member.home_contact_id != target.pk:
            member.home_contact = target
            changed.append(member)
    Member.objects.bulk_update(changed, ["home_contact"], batch_size=CHUNK)


def _refresh_householders(household_ids: list[int]) -> None:
    for ids in _chunks(household_ids):
        first: dict[int, str] = {}
        heads: dict[int, str] = {}
        for household_id, name, relation in (
            Member.objects.filter(household_id__in=ids)
            .order_by("id")
            .values_list("household_id", "name", "relation")
        ):
            first.setdefault(household_id, name)
            if relation == "householder":
                heads.setdefault(household_id, name)
        names = {**first, **heads}
        households = list(Household.objects.filter(pk__in=ids))
        for household in households:
            household.householder_name = names.get(household.pk, "")
        Household.objects.bulk_update(households, ["householder_name"], batch_size=CHUNK)


def import_file(
    path: Path,
    *,
    mapping: dict[str, str] | None = None,
    write: bool,
    actor: User | None,
    header_row: int | None = None,
    progress: Callable[[int], None] | None = None,
    limits: Limits | None = None,
) -> tuple[Table, Outcome]:
    """Read (within ``limits``, the settings by default), check and (with ``write``) import one
    file. Used by the CLI and the benchmarks."""
    table = read_table(path, header_row, limits=limits)
    outcome = import_table(
        table, mapping=mapping, write=write, actor=actor, source=path.name, progress=progress
    )
    return table, outcome


def import_table(
    table: Table,
    *,
    mapping: dict[str, str] | None = None,
    write: bool,
    actor: User | None,
    source: str,
    progress: Callable[[int], None] | None = None,
) -> Outcome:
    """Check and (with ``write``) import a table already read."""
    mapping = mapping or auto_mapping(table.headers)
    problems = mapping_problems(mapping)
    if problems:
        raise ImportFileError(" ".join(problems))
    rows, outcome = check_rows(table, mapping, progress=progress)
    run_import(rows, outcome, write=write, actor=actor, source=source)
    outcome.rejected.sort(key=lambda r: r.row)
    return outcome
