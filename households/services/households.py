"""Writes on households: create, edit, delete (admin screens and any other caller), move to
another grid group, merge a duplicate. Each resolves the household through the actor's scope,
locks it, validates, writes the change history and drops cached figures after commit."""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from .. import normalize, selectors
from ..models import Community, GridGroup, Household, HouseholdChange
from .common import (
    RegisterError,
    apply_changes,
    field_labels,
    household_refresh_householder,
    register_changed,
    require_permission,
)
from .merging import born_text, member_merge, member_merge_problem, natural_key


class HouseholdFields(TypedDict, total=False):
    """What a person may set on a household (the admin form's fields)."""

    key: str
    community: Community
    grid_group: GridGroup | None
    address: str
    home_phone: str
    is_key: bool
    is_hardship: bool
    is_empty_nest: bool
    notes: str
    status: str
    status_date: date | None


HOUSEHOLD_FIELDS = frozenset(HouseholdFields.__annotations__)
#: Fields whose change is recorded as its own kind of history row.
_PLACE = {"community", "grid_group"}
_STATUS = {"status", "status_date"}


def _normalized(fields: HouseholdFields) -> HouseholdFields:
    fields = HouseholdFields(**fields)
    if "home_phone" in fields:
        try:
            fields["home_phone"] = normalize.parse_phone(fields["home_phone"]) or ""
        except normalize.NormalizeError as exc:
            raise RegisterError(str(exc), field="home_phone") from None
    return fields


def household_placement_check(*, household: Household) -> None:
    """Raise RegisterError when the household's grid group belongs to another community (the
    group decides who sees the household; see ``Household.clean``)."""
    if household.grid_group_id is None:
        return
    group_community = (
        GridGroup.objects.filter(pk=household.grid_group_id)
        .values_list("community_id", flat=True)
        .first()
    )
    if group_community != household.community_id:
        raise RegisterError(
            _("这个侨眷小组不属于所选的社区，请选择本社区的小组。"), field="grid_group"
        )


def _household_check(*, household: Household, changed: set[str], actor: User) -> None:
    """The register's rules for a household about to be saved (the model's own rules are
    checked by ``full_clean`` after these)."""
    if "status" in changed and household.status == Household.Status.MERGED:
        raise RegisterError(
            _("“已合并”要通过“合并”来设置：请打开要保留的那一户，点“合并”。"), field="status"
        )
    if changed & _PLACE:
        if household.community_id is None:
            raise RegisterError(_("请选择社区。"), field="community")
        household_placement_check(household=household)
        if not selectors.user_may_place_household(
            actor, community=household.community, grid_group=household.grid_group
        ):
            # A household without a group belongs to its community's cadres and committee
            # members: someone who covers only grid groups must choose one of theirs.
            raise RegisterError(_("请选择你负责的侨眷小组。"), field="grid_group")


@transaction.atomic
def household_create(*, actor: User, fields: HouseholdFields) -> Household:
    """Create a household in ``actor``'s scope. Needs ``households.add_household``; the
    community and grid group must be ones the actor may place a household in.

    Raises RegisterError (the register's rules, with the field) or ValidationError (the model's
    rules: a key already taken, …). Writes a "created" history row; drops cached figures after
    commit."""
    require_permission(actor, "households.add_household")
    household = Household()
    changed = apply_changes(household, _normalized(fields), HOUSEHOLD_FIELDS)
    _household_check(household=household, changed={*changed, *_PLACE}, actor=actor)
    household.full_clean()
    household.save()
    HouseholdChange.objects.create(
        household=household, kind=HouseholdChange.Kind.CREATED, actor=actor
    )
    transaction.on_commit(register_changed)
    return household


@transaction.atomic
def household_update(*, actor: User, household_id: int, changes: HouseholdFields) -> Household:
    """Change a household the actor may see (``households.change_household``). Takes the
    household's row lock. Outside the actor's scope raises ``Household.DoesNotExist``.

    History: a move between grid groups or communities as "moved", a status change as
    "status", other fields as "updated" with their names (never their values). Raises as
    ``household_create`` does; nothing is written when nothing changed."""
    require_permission(actor, "households.change_household")
    household = selectors.household_access_for(actor, household_id, lock=True)
    before = {
        "group": str(household.grid_group or household.community),
        "status": household.get_status_display(),
    }
    changed = set(apply_changes(household, _normalized(changes), HOUSEHOLD_FIELDS))
    if not changed:
        return household
    _household_check(household=household, changed=changed, actor=actor)
    household.full_clean()
    household.save()
    rows = []
    if changed & _PLACE:
        detail = {
            "from_group": before["group"],
            "to_group": str(household.grid_group or household.community),
        }
        rows.append((HouseholdChange.Kind.MOVED, detail))
    if changed & _STATUS:
        detail = {"from": before["status"], "to": household.get_status_display()}
        rows.append((HouseholdChange.Kind.STATUS, detail))
    if rest := sorted(changed - _PLACE - _STATUS):
        rows.append((HouseholdChange.Kind.UPDATED, {"fields": field_labels(Household, rest)}))
    HouseholdChange.objects.bulk_create(
        HouseholdChange(household=household, kind=kind, detail=detail, actor=actor)
        for kind, detail in rows
    )
    transaction.on_commit(register_changed)
    return household


@transaction.atomic
def household_delete(*, actor: User, household_id: int) -> None:
    """Delete a household with no members (``households.delete_household``; superusers in the
    admin). Its change history goes with it; Wagtail's log keeps the deletion. A household
    still holding members, or one a merged duplicate points at, is refused (RegisterError):
    mark it dissolved instead."""
    require_permission(actor, "households.delete_household")
    household = selectors.household_access_for(actor, household_id, lock=True)
    if household.members.exists():
        raise RegisterError(
            _("这户还有成员，不能删除。请先把成员移到别的户，或把这户的状态改为“已注销”。")
        )
    try:
        with transaction.atomic():
            household.delete()
    except ProtectedError:
        raise RegisterError(
            _("有别的记录指向这户（例如并入这户的重复户），不能删除；可以把状态改为“已注销”。")
        ) from None
    transaction.on_commit(register_changed)


@transaction.atomic
def household_move(*, household: Household, grid_group: GridGroup, actor: User) -> Household:
    """Move a household to another grid group (and that group's community). History kept.
    Both must be in the actor's scope (``Household.DoesNotExist`` / RegisterError)."""
    require_permission(actor, "households.change_household")
    household = selectors.household_access_for(actor, household.pk, lock=True)
    if not selectors.grid_group_scope_for(actor).filter(pk=grid_group.pk).exists():
        raise RegisterError(_("请选择你负责的侨眷小组。"), field="grid_group")
    if household.grid_group_id == grid_group.pk:
        raise RegisterError(_("这户已经在这个小组里了。"), field="grid_group")
    detail = {
        "from_group": str(household.grid_group) if household.grid_group else "",
        "to_group": str(grid_group),
    }
    household.grid_group = grid_group
    household.community_id = grid_group.community_id
    household.save(update_fields=["grid_group", "community", "updated_at"])
    HouseholdChange.objects.create(
        household=household, kind=HouseholdChange.Kind.MOVED, detail=detail, actor=actor
    )
    transaction.on_commit(register_changed)
    return household


def household_merge_problem(*, keep: Household, duplicate: Household) -> str:
    """Why these two cannot be merged, or "" when they can (checked before asking to confirm
    and again under the row locks)."""
    if keep.pk == duplicate.pk:
        return _("不能把一户和它自己合并。")
    if duplicate.status == Household.Status.MERGED:
        return _("这户已经合并到别的户了。")
    if keep.status == Household.Status.MERGED:
        return _("本户已经合并到别的户了，请在它并入的那一户上操作。")
    return ""


@transaction.atomic
def household_merge(*, keep: Household, duplicate: Household, actor: User) -> Household:
    """Merge ``duplicate`` into ``keep``: members and history move, flags add up, empty fields
    are filled from the duplicate, notes are joined. The duplicate stays as a record marked
    "merged" that points at ``keep``, so nothing is lost and old links still resolve. Both
    must be in the actor's scope (``Household.DoesNotExist``)."""
    require_permission(actor, "households.change_household")
    if keep.pk == duplicate.pk:
        raise RegisterError(household_merge_problem(keep=keep, duplicate=duplicate))
    # lock both in a fixed order so two merges cannot deadlock
    first, second = sorted([keep.pk, duplicate.pk])
    locked = {pk: selectors.household_access_for(actor, pk, lock=True) for pk in (first, second)}
    keep, duplicate = locked[keep.pk], locked[duplicate.pk]
    if problem := household_merge_problem(keep=keep, duplicate=duplicate):
        raise RegisterError(problem)
    # The same person in both households (one family registered twice) is merged first: a
    # household holds a person once (member_natural_key).
    merged = 0
    in_keep = {natural_key(m): m for m in keep.members.order_by("pk")}
    for member in duplicate.members.order_by("pk"):
        twin = in_keep.get(natural_key(member))
        if twin is None:
            continue
        if problem := member_merge_problem(keep=twin, duplicate=member):
            raise RegisterError(
                _("两户都登记了“%(name)s”（出生日期：%(born)s）：%(problem)s")
                % {"name": member.name, "born": born_text(member.birth_date), "problem": problem}
            )
        member_merge(keep=twin, duplicate=member, actor=actor)
        merged += 1
    moved = list(duplicate.members.values_list("pk", flat=True))
    duplicate.members.update(household=keep)
    HouseholdChange.objects.filter(household=duplicate).update(household=keep)
    for flag in ("is_key", "is_hardship", "is_empty_nest"):
        setattr(keep, flag, getattr(keep, flag) or getattr(duplicate, flag))
    for field in ("address", "home_phone"):
        if not getattr(keep, field):
            setattr(keep, field, getattr(duplicate, field))
    if duplicate.notes:
        keep.notes = "\n".join(filter(None, [keep.notes, duplicate.notes]))
    keep.save()
    duplicate.status = Household.Status.MERGED
    duplicate.status_date = timezone.localdate()
    duplicate.merged_into = keep
    duplicate.save(update_fields=["status", "status_date", "merged_into", "updated_at"])
    HouseholdChange.objects.create(
        household=keep,
        kind=HouseholdChange.Kind.MERGED,
        detail={
            "merged_household": duplicate.key,
            "members_moved": len(moved),
            **({"members_merged": merged} if merged else {}),
        },
        actor=actor,
    )
    household_refresh_householder(household=keep)
    transaction.on_commit(register_changed)
    return keep
