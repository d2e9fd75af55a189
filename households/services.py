"""Writes on the register. Keyword-only and typed; each states its side effects."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin

from accounts.models import User

from .models import (
    AccessLog,
    Community,
    GridGroup,
    Household,
    HouseholdChange,
    Member,
    Responsibility,
)


class RegisterError(Exception):
    """A register change that cannot be made; the message is for the person who asked."""


def register_changed() -> None:
    """Drop cached register figures (statistics). Called by every write on the register."""
    from django.core.cache import cache

    from .selectors import REGISTER_VERSION_KEY

    try:
        cache.incr(REGISTER_VERSION_KEY)
    except ValueError:  # not in the cache yet
        cache.set(REGISTER_VERSION_KEY, 2, timeout=None)


@lru_cache(maxsize=200_000)
def name_pinyin(name: str) -> tuple[str, str]:
    """``张伟明`` → (``zhangweiming``, ``zwm``); other characters are kept lower-cased.

    Cached: a register of a million people repeats names often, and pypinyin is the slowest
    step of an import."""
    syllables = [
        part for chunk in lazy_pinyin(name, errors="default") for part in chunk.lower().split()
    ]
    initials = [s[0] for s in syllables]
    return "".join(syllables)[:160], "".join(initials)[:40]


def member_fill_derived(member: Member) -> None:
    """Set the search fields that follow from the name (no save)."""
    member.name_pinyin, member.name_initials = name_pinyin(member.name)


def household_refresh_householder(*, household: Household) -> None:
    """Denormalise the householder's name onto the household for listing and search."""
    members = list(household.members.order_by("id").values_list("name", "relation"))
    name = next((n for n, r in members if r == Member.Relation.HOUSEHOLDER), "")
    name = name or (members[0][0] if members else "")
    if household.householder_name != name:
        household.householder_name = name
        household.save(update_fields=["householder_name", "updated_at"])


def access_log_record(
    *,
    user: User | None,
    action: str,
    object_type: str = "",
    object_id: int | None = None,
    filters: dict[str, Any] | None = None,
    row_count: int | None = None,
) -> AccessLog:
    """One row per read of register data (list, detail, export, import, unmask, stats)."""
    clean = {k: v for k, v in (filters or {}).items() if v not in ("", None, [], ())}
    return AccessLog.objects.create(
        user=user if user is not None and user.is_authenticated else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        filters=clean,
        row_count=row_count,
    )


def member_unmask(*, user: User, member: Member) -> dict[str, str]:
    """The member's full numbers, for a user with the unmask permission. Logged."""
    from .selectors import user_may_unmask

    if not user_may_unmask(user):
        raise RegisterError(_("你没有查看完整号码的权限。"))
    access_log_record(
        user=user, action=AccessLog.Action.UNMASK, object_type="member", object_id=member.pk
    )
    return {"mobile": member.mobile, "id_number": member.id_number}


@transaction.atomic
def household_move(*, household: Household, grid_group: GridGroup, actor: User) -> Household:
    """Move a household to another grid group (and that group's community). History kept."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    if household.grid_group_id == grid_group.pk:
        raise RegisterError(_("这户已经在这个小组里了。"))
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


def _natural_key(member: Member) -> tuple:
    """What member_natural_key compares within a household."""
    return (member.name, member.birth_date)


def _born(value: date | None) -> str:
    return value.isoformat() if value else _("未填")


def member_merge_problem(*, keep: Member, duplicate: Member) -> str:
    """Why these two records cannot be merged as one person, or "" when they can."""
    if keep.pk == duplicate.pk:
        return _("不能把一个人和自己合并。")
    if keep.id_number and duplicate.id_number and keep.id_number != duplicate.id_number:
        return _("两条记录的身份证号不同，可能不是同一个人。请核对后改正其中一条，再合并。")
    if keep.user_id and duplicate.user_id and keep.user_id != duplicate.user_id:
        return _("两条记录关联了不同的账户。请先取消其中一条的账户关联，再合并。")
    return ""


# Filled from the duplicate when empty on the record kept. Not: the identity (household, name,
# birth date is the same or empty), derived search fields, flags (no "empty" value), times.
_MERGE_FILL = (
    "gender",
    "birth_date",
    "country",
    "mobile",
    "id_number",
    "user_id",
)


def _move_references(*, keep: Member, duplicate: Member) -> dict[str, int]:
    """Point everything that points at ``duplicate`` at ``keep``, whatever app it is in:
    the relations are read from the model at run time, so this module names no feature app.
    Returns {what: how many} for the history. Raises RegisterError when a record would then
    be held twice by ``keep`` (say both signed up for the same event)."""
    moved: dict[str, int] = {}
    for relation in Member._meta.related_objects:
        if relation.many_to_many:
            field = relation.field
            through = field.remote_field.through._base_manager
            to_member, other = field.m2m_reverse_field_name(), field.m2m_field_name()
            # a link both records have is kept once
            shared = through.filter(**{to_member: keep}).values(other)
            through.filter(**{to_member: duplicate, f"{other}__in": shared}).delete()
            rows = through.filter(**{to_member: duplicate})
            what = field.model._meta.verbose_name
        else:
            to_member = relation.field.name
            rows = relation.related_model._base_manager.filter(**{to_member: duplicate})
            what = relation.related_model._meta.verbose_name
        try:
            with transaction.atomic():
                count = rows.update(**{to_member: keep})
        except IntegrityError as exc:
            raise RegisterError(
                _(
                    "两条记录在“%(what)s”里有重复的内容（例如都报名了同一个活动），"
                    "合并后会重复。请先在那里处理掉其中一条，再合并。"
                )
                % {"what": what}
            ) from exc
        if count:
            moved[str(what)] = moved.get(str(what), 0) + count
    return moved


@transaction.atomic
def member_merge(*, keep: Member, duplicate: Member, actor: User | None) -> Member:
    """Merge ``duplicate`` into ``keep``: the same person registered twice. Everything that
    points at the duplicate (sign-ups, home contacts, anything a feature app adds) moves to
    ``keep``; ``keep``'s empty fields are filled from the duplicate and the notes joined; a
    "merged" change is recorded on ``keep``'s household; the duplicate is deleted.

    Locks both member rows, in id order, so that two merges cannot deadlock. Raises
    RegisterError, changing nothing, when they cannot be merged (``member_merge_problem``) or
    when a record would end up twice on ``keep``. Side effects: the householder's name of the
    households involved is refreshed; cached register figures are dropped after commit."""
    locked = {
        m.pk: m
        for m in Member.objects.select_for_update()
        .filter(pk__in=[keep.pk, duplicate.pk])
        .order_by("pk")
    }
    if keep.pk == duplicate.pk or len(locked) != 2:
        raise RegisterError(
            member_merge_problem(keep=keep, duplicate=duplicate)
            or _("要合并的成员已经不在名册里了（可能刚被别人合并或删除），请刷新后再看。")
        )
    keep, duplicate = locked[keep.pk], locked[duplicate.pk]
    if problem := member_merge_problem(keep=keep, duplicate=duplicate):
        raise RegisterError(problem)
    moved = _move_references(keep=keep, duplicate=duplicate)
    keep.refresh_from_db(fields=["home_contact"])  # moved above when it was the duplicate
    filled = [f for f in _MERGE_FILL if not getattr(keep, f) and getattr(duplicate, f)]
    for name in filled:
        setattr(keep, name, getattr(duplicate, name))
    if keep.relation == Member.Relation.OTHER and duplicate.relation != Member.Relation.OTHER:
        keep.relation = duplicate.relation
        filled.append("relation")
    if keep.home_contact_id in (None, keep.pk):
        contact = duplicate.home_contact_id
        keep.home_contact_id = contact if contact not in (keep.pk, duplicate.pk) else None
    if duplicate.notes and duplicate.notes not in keep.notes:
        keep.notes = "\n".join(filter(None, [keep.notes, duplicate.notes]))
    duplicate_household = duplicate.household
    duplicate_pk = duplicate.pk
    # the duplicate goes first: it still holds the ID number and account moving to keep
    duplicate.delete()
    keep.save()
    detail = {
        "merged_member": _(
            "%(name)s（出生日期：%(born)s）：重复登记的 #%(duplicate)s 并入 #%(keep)s"
        )
        % {
            "name": keep.name,
            "born": _born(keep.birth_date),
            "duplicate": duplicate_pk,
            "keep": keep.pk,
        }
    }
    if moved:
        detail["moved"] = "、".join(f"{what} {count}" for what, count in moved.items())
    if filled:
        detail["filled"] = "、".join(str(Member._meta.get_field(f).verbose_name) for f in filled)
    HouseholdChange.objects.create(
        household=keep.household, kind=HouseholdChange.Kind.MERGED, detail=detail, actor=actor
    )
    household_refresh_householder(household=keep.household)
    if duplicate_household.pk != keep.household_id:
        household_refresh_householder(household=duplicate_household)
    transaction.on_commit(register_changed)
    return keep


@transaction.atomic
def household_merge(*, keep: Household, duplicate: Household, actor: User) -> Household:
    """Merge ``duplicate`` into ``keep``: members and history move, flags add up, empty fields
    are filled from the duplicate, notes are joined. The duplicate stays as a record marked
    "merged" that points at ``keep``, so nothing is lost and old links still resolve."""
    if keep.pk == duplicate.pk:
        raise RegisterError(household_merge_problem(keep=keep, duplicate=duplicate))
    # lock both in a fixed order so two merges cannot deadlock
    locked = {
        h.pk: h
        for h in Household.objects.select_for_update()
        .filter(pk__in=[keep.pk, duplicate.pk])
        .order_by("pk")
    }
    keep, duplicate = locked[keep.pk], locked[duplicate.pk]
    if problem := household_merge_problem(keep=keep, duplicate=duplicate):
        raise RegisterError(problem)
    # The same person in both households (one family registered twice) is merged first: a
    # household holds a person once (member_natural_key).
    merged = 0
    in_keep = {_natural_key(m): m for m in keep.members.order_by("pk")}
    for member in duplicate.members.order_by("pk"):
        twin = in_keep.get(_natural_key(member))
        if twin is None:
            continue
        if problem := member_merge_problem(keep=twin, duplicate=member):
            raise RegisterError(
                _("两户都登记了“%(name)s”（出生日期：%(born)s）：%(problem)s")
                % {"name": member.name, "born": _born(member.birth_date), "problem": problem}
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


@transaction.atomic
def responsibility_assign(
    *,
    user: User,
    level: str,
    community: Community | None = None,
    grid_group: GridGroup | None = None,
    start_date: date | None = None,
    actor: User | None = None,
) -> Responsibility:
    """Give ``user`` a responsibility and the matching role group."""
    from accounts.services import role_group

    responsibility = Responsibility.objects.create(
        user=user,
        level=level,
        community=community,
        grid_group=grid_group,
        start_date=start_date or timezone.localdate(),
    )
    user.groups.add(role_group(level))
    transaction.on_commit(register_changed)
    return responsibility


@transaction.atomic
def responsibility_reassign(
    *, responsibility: Responsibility, to_user: User, on: date | None = None, actor: User
) -> Responsibility:
    """Hand a responsibility to someone else from ``on``: the old row ends the day before."""
    on = on or timezone.localdate()
    old = Responsibility.objects.select_for_update().get(pk=responsibility.pk)
    if old.end_date is not None and old.end_date < on:
        raise RegisterError(_("这条联系责任已经结束了。"))
    if old.start_date >= on:
        raise RegisterError(_("交接日期要晚于原来的开始日期。"))
    old.end_date = on - timezone.timedelta(days=1)
    old.save(update_fields=["end_date"])
    return responsibility_assign(
        user=to_user,
        level=old.level,
        community=old.community,
        grid_group=old.grid_group,
        start_date=on,
        actor=actor,
    )


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
        raise RegisterError(_("这个侨眷小组不属于所选的社区，请选择本社区的小组。"))


@transaction.atomic
def register_after_admin_save(*, instance) -> None:
    """What a save through the admin's edit forms must also do: check a household's place,
    fill a member's pinyin, keep the householder's name on the household, and drop cached
    figures. Raises RegisterError (the caller's transaction then rolls the save back)."""
    if isinstance(instance, Household):
        household_placement_check(household=instance)
    if isinstance(instance, Member):
        member_fill_derived(instance)
        Member.objects.filter(pk=instance.pk).update(
            name_pinyin=instance.name_pinyin, name_initials=instance.name_initials
        )
        household_refresh_householder(household=instance.household)
    elif isinstance(instance, Household):
        household_refresh_householder(household=instance)
    transaction.on_commit(register_changed)
