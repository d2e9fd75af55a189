"""Merging the same person registered twice (``member_merge``): everything that points at the
duplicate moves to the record kept, whatever app it is in."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User

from ..models import HouseholdChange, Member
from .common import RegisterError, household_refresh_householder, register_changed


def natural_key(member: Member) -> tuple:
    """What member_natural_key compares within a household."""
    return (member.name, member.birth_date)


def born_text(value: date | None) -> str:
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
            "born": born_text(keep.birth_date),
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
