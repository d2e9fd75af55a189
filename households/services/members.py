"""Writes on the people of the register: add, edit, delete. Each resolves the person (and
their household) through the actor's scope and locks them, normalises the numbers, keeps the
pinyin and the householder's name in step, writes the household's history and drops cached
figures after commit."""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from accounts.models import User

from .. import normalize, selectors
from ..models import Household, HouseholdChange, Member
from .common import (
    RegisterError,
    apply_changes,
    field_labels,
    household_refresh_householder,
    member_fill_derived,
    register_changed,
    require_permission,
)


class MemberFields(TypedDict, total=False):
    """What a person may set on a register member (the admin form's fields)."""

    household: Household
    name: str
    gender: str
    birth_date: date | None
    relation: str
    category: str
    country: str
    lives_abroad: bool
    home_contact: Member | None
    mobile: str
    id_number: str
    consent_contact: bool
    is_deceased: bool
    user: User | None
    notes: str


MEMBER_FIELDS = frozenset(MemberFields.__annotations__)
_NUMBERS = {"mobile": normalize.parse_mobile, "id_number": normalize.parse_id_number}


def _normalized(fields: MemberFields) -> MemberFields:
    fields = MemberFields(**fields)
    for name, parse in _NUMBERS.items():
        if name in fields:
            try:
                fields[name] = parse(fields[name]) or ""
            except normalize.NormalizeError as exc:
                raise RegisterError(str(exc), field=name) from None
    return fields


def _member_check(*, member: Member, changed: set[str], actor: User) -> None:
    if "user" in changed:
        # The linked account decides who sees the household ("my household"): only those who
        # see the whole register set it, and only to an active account not linked yet.
        if not selectors.register_scope_for(actor).everything:
            raise RegisterError(_("只有侨联工作人员可以关联账户。"), field="user")
        if member.user_id is not None and not (
            selectors.member_account_choices(member=member).filter(pk=member.user_id).exists()
        ):
            raise RegisterError(
                _("这个账户不能关联：它已停用，或已关联了别的成员。请选择其他账户。"),
                field="user",
            )


def _household_locked(actor: User, household: Household | None) -> Household:
    if household is None:
        raise RegisterError(_("请选择侨户。"), field="household")
    return selectors.household_access_for(actor, household.pk, lock=True)


def _member_locked(
    actor: User, member_id: int, *, moving_to: Household | None = None
) -> tuple[Member, dict[int, Household]]:
    """Lock the member's household (and the one they move to), then the member: households
    first, in id order, as a merge does, so the two cannot deadlock."""
    current = selectors.member_access_for(actor, member_id)
    ids = {current.household_id} | ({moving_to.pk} if moving_to is not None else set())
    households = {pk: selectors.household_access_for(actor, pk, lock=True) for pk in sorted(ids)}
    member = selectors.member_access_for(actor, member_id, lock=True)
    if member.household_id not in households:
        raise RegisterError(_("这位成员刚被移到了别的户，请刷新页面后再改。"))
    return member, households


@transaction.atomic
def member_create(*, actor: User, fields: MemberFields) -> Member:
    """Add a person to a household in ``actor``'s scope (``households.add_member``). Locks the
    household (its householder's name follows its members). A household outside the scope
    raises ``Household.DoesNotExist``.

    Raises RegisterError (numbers that cannot be read, an account the actor may not link, with
    the field) or ValidationError (the model's rules: an ID number already in the register, a
    home contact from another household). History: "member added" on the household."""
    require_permission(actor, "households.add_member")
    fields = _normalized(fields)
    household = _household_locked(actor, fields.get("household"))
    member = Member()
    changed = apply_changes(member, {**fields, "household": household}, MEMBER_FIELDS)
    _member_check(member=member, changed=set(changed), actor=actor)
    member_fill_derived(member)
    member.full_clean()
    member.save()
    household_refresh_householder(household=household)
    HouseholdChange.objects.create(
        household=household,
        kind=HouseholdChange.Kind.MEMBER_ADDED,
        detail={"member": member.name},
        actor=actor,
    )
    transaction.on_commit(register_changed)
    return member


@transaction.atomic
def member_update(*, actor: User, member_id: int, changes: MemberFields) -> Member:
    """Change a person the actor may see (``households.change_member``). Locks their
    household(s), then the person: moving someone to another household needs that household in scope
    too. Outside the scope raises ``Member.DoesNotExist`` / ``Household.DoesNotExist``.

    Raises as ``member_create``. History: "member changed" with the fields' names (never the
    values) on each household concerned. Nothing is written when nothing changed."""
    require_permission(actor, "households.change_member")
    changes = _normalized(changes)
    if "household" in changes and changes["household"] is None:
        raise RegisterError(_("请选择侨户。"), field="household")
    member, households = _member_locked(actor, member_id, moving_to=changes.get("household"))
    old_household_id = member.household_id
    if "household" in changes:
        changes["household"] = households[changes["household"].pk]
    changed = set(apply_changes(member, changes, MEMBER_FIELDS))
    if not changed:
        return member
    _member_check(member=member, changed=changed, actor=actor)
    if "name" in changed:
        member_fill_derived(member)
    member.full_clean()
    member.save()
    if member.household_id != old_household_id:
        # whoever named this person as their home contact stays behind: the contact is
        # always someone of the same household
        Member.objects.filter(home_contact=member).exclude(household_id=member.household_id).update(
            home_contact=None
        )
    detail = {"member": member.name, "fields": field_labels(Member, sorted(changed))}
    for each in households.values():
        household_refresh_householder(household=each)
        HouseholdChange.objects.create(
            household=each, kind=HouseholdChange.Kind.MEMBER_CHANGED, detail=detail, actor=actor
        )
    transaction.on_commit(register_changed)
    return member


@transaction.atomic
def member_delete(*, actor: User, member_id: int) -> None:
    """Delete a person from the register (``households.delete_member``; superusers in the
    admin). Someone still referred to by records that must stay is refused (RegisterError):
    mark them deceased or move them instead. History: "member removed" on the household."""
    require_permission(actor, "households.delete_member")
    member, households = _member_locked(actor, member_id)
    household = households[member.household_id]
    name = member.name
    try:
        with transaction.atomic():
            member.delete()
    except ProtectedError:
        raise RegisterError(
            _("还有别的记录指向这位成员，不能删除；可以把他（她）标记为“已故”，或移到别的户。")
        ) from None
    household_refresh_householder(household=household)
    HouseholdChange.objects.create(
        household=household,
        kind=HouseholdChange.Kind.MEMBER_REMOVED,
        detail={"member": name},
        actor=actor,
    )
    transaction.on_commit(register_changed)
