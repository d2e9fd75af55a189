"""Three-level responsibility (三级负责联系制): who looks after which households, who granted
it, who ended it. A responsibility brings its role group (``accounts.services.role_group``: the
cadre's, the group leader's or the committee member's permissions) and takes it away when the
holder has no other responsibility of that level left.

The role group follows the responsibilities that are in force today or start later: a
responsibility ending on a future date keeps its group until then, and the daily job
``responsibility_roles_expire`` takes it away the day after (the scope itself follows the
dates on every request, see ``selectors.responsibility_active``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TypedDict

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import role_group
from core.locking import lock_row

from .. import selectors
from ..models import Community, GridGroup, Responsibility
from .common import (
    RegisterError,
    apply_changes,
    register_changed,
    require_permission,
    user_caches_forget,
)


class ResponsibilityChanges(TypedDict, total=False):
    """What may change on a responsibility once granted. Who holds it and at which level
    stay: to hand it over, end it and grant a new one (``responsibility_reassign``)."""

    community: Community | None
    grid_group: GridGroup | None
    start_date: date
    end_date: date | None


RESPONSIBILITY_CHANGES = frozenset(ResponsibilityChanges.__annotations__)
_LEVEL = Responsibility.Level


def responsibility_target_problem(
    *, level: str, community: Community | None, grid_group: GridGroup | None
) -> RegisterError | None:
    """What is wrong with the target of a responsibility of ``level``, or None. Mirrors the
    model's check constraint, with words a person can act on."""
    if level == _LEVEL.COMMITTEE_MEMBER and (community is None or grid_group is not None):
        return RegisterError(_("街道侨联委员负责社区：请选择社区，小组留空。"), field="community")
    if level == _LEVEL.GROUP_LEADER and (grid_group is None or community is not None):
        return RegisterError(_("侨眷小组长负责小组：请选择小组，社区留空。"), field="grid_group")
    if level == _LEVEL.CADRE and (community is None) == (grid_group is None):
        return RegisterError(
            _("社区侨务干部负责一个社区或一个小组：请在社区和小组中选一个。"), field="community"
        )
    if level not in _LEVEL.values:
        return RegisterError(_("请选择层级。"), field="level")
    return None


def _dates_check(start_date: date, end_date: date | None) -> None:
    if end_date is not None and end_date < start_date:
        raise RegisterError(
            _("结束日期不能早于开始日期（%(start)s）。") % {"start": start_date}, field="end_date"
        )


def _granter_check(actor: User | None, permission: str) -> None:
    """Responsibilities are the whole register's business: only those who see all of it grant,
    change or end them (their screens are staff's)."""
    if actor is None:
        return
    require_permission(actor, permission)
    if not selectors.register_scope_for(actor).everything:
        raise RegisterError(_("只有侨联工作人员可以安排联系责任。"))


def _responsibility_locked(actor: User, responsibility_id: int) -> Responsibility:
    """Outside the actor's scope (anyone not seeing the whole register) raises
    ``Responsibility.DoesNotExist``."""
    scope = selectors.register_object_scope_for(Responsibility, actor)
    return lock_row(scope.select_related("user"), of=("self",), pk=responsibility_id)


def _role_group_sync(*, user: User, level: str, today: date | None = None) -> None:
    """Give ``user`` the role group of ``level`` while they hold a responsibility of that level
    in force today or starting later; take it away otherwise."""

    today = today or timezone.localdate()
    holds = (
        Responsibility.objects.filter(user=user, level=level)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .exists()
    )
    if holds:
        user.groups.add(role_group(level))
    else:
        user.groups.remove(role_group(level))
    user_caches_forget(user)


@transaction.atomic
def responsibility_assign(
    *,
    user: User,
    level: str,
    community: Community | None = None,
    grid_group: GridGroup | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    actor: User | None = None,
) -> Responsibility:
    """Give ``user`` a responsibility and the role group of its level; record who granted it
    and when.

    ``actor`` is the person granting it: they need ``households.add_responsibility`` and the
    whole register (RegisterError / PermissionDenied otherwise). ``None`` is for set-up code
    only (demo data, test worlds): the grant is then recorded with no granter. Raises
    RegisterError (with the field) for a target that does not match the level, dates out of
    order or an inactive account."""
    _granter_check(actor, "households.add_responsibility")
    if problem := responsibility_target_problem(
        level=level, community=community, grid_group=grid_group
    ):
        raise problem
    if not user.is_active:
        raise RegisterError(_("这个账户已停用，不能安排联系责任。请选择其他账户。"), field="user")
    start_date = start_date or timezone.localdate()
    _dates_check(start_date, end_date)
    responsibility = Responsibility(
        user=user,
        level=level,
        community=community,
        grid_group=grid_group,
        start_date=start_date,
        end_date=end_date,
        granted_by=actor,
        granted_at=timezone.now(),
        ended_by=actor if end_date is not None else None,
    )
    responsibility.full_clean()
    responsibility.save()
    _role_group_sync(user=user, level=level)
    transaction.on_commit(register_changed)
    return responsibility


@transaction.atomic
def responsibility_update(
    *, actor: User, responsibility_id: int, changes: ResponsibilityChanges
) -> Responsibility:
    """Change a responsibility's target or dates (``households.change_responsibility``, whole
    register). Setting the end date records ``actor`` as who ended it (clearing it forgets
    that); the role group follows (see the module docstring). Takes the row lock."""
    _granter_check(actor, "households.change_responsibility")
    responsibility = _responsibility_locked(actor, responsibility_id)
    changed = apply_changes(responsibility, changes, RESPONSIBILITY_CHANGES)
    if not changed:
        return responsibility
    if problem := responsibility_target_problem(
        level=responsibility.level,
        community=responsibility.community,
        grid_group=responsibility.grid_group,
    ):
        raise problem
    _dates_check(responsibility.start_date, responsibility.end_date)
    if "end_date" in changed:
        responsibility.ended_by = actor if responsibility.end_date is not None else None
    responsibility.full_clean()
    responsibility.save()
    _role_group_sync(user=responsibility.user, level=responsibility.level)
    transaction.on_commit(register_changed)
    return responsibility


def _end(responsibility: Responsibility, *, last_day: date, actor: User | None) -> None:
    if responsibility.end_date is not None and responsibility.end_date <= last_day:
        raise RegisterError(_("这条联系责任已经结束了。"))
    if last_day < responsibility.start_date:
        raise RegisterError(
            _("结束日期不能早于开始日期（%(start)s）。") % {"start": responsibility.start_date},
            field="end_date",
        )
    responsibility.end_date = last_day
    responsibility.ended_by = actor
    responsibility.save(update_fields=["end_date", "ended_by"])


@transaction.atomic
def responsibility_end(*, actor: User, responsibility_id: int, last_day: date) -> Responsibility:
    """End a responsibility after ``last_day`` (its last day in force; yesterday ends it at
    once). Records ``actor`` as who ended it. The holder loses the role group of the level
    once no other responsibility of that level is in force today or later (at once when
    ``last_day`` is past, otherwise by the daily job). Takes the row lock."""
    _granter_check(actor, "households.change_responsibility")
    responsibility = _responsibility_locked(actor, responsibility_id)
    _end(responsibility, last_day=last_day, actor=actor)
    _role_group_sync(user=responsibility.user, level=responsibility.level)
    transaction.on_commit(register_changed)
    return responsibility


@transaction.atomic
def responsibility_reassign(
    *, responsibility: Responsibility, to_user: User, on: date | None = None, actor: User
) -> Responsibility:
    """Hand a responsibility to someone else from ``on``: the old row ends the day before
    (ended by ``actor``), the new one is granted by ``actor``."""
    on = on or timezone.localdate()
    _granter_check(actor, "households.change_responsibility")
    old = _responsibility_locked(actor, responsibility.pk)
    if old.end_date is not None and old.end_date < on:
        raise RegisterError(_("这条联系责任已经结束了。"))
    if old.start_date >= on:
        raise RegisterError(_("交接日期要晚于原来的开始日期。"))
    _end(old, last_day=on - timedelta(days=1), actor=actor)
    _role_group_sync(user=old.user, level=old.level)
    return responsibility_assign(
        user=to_user,
        level=old.level,
        community=old.community,
        grid_group=old.grid_group,
        start_date=on,
        actor=actor,
    )


@transaction.atomic
def responsibility_delete(*, actor: User, responsibility_id: int) -> None:
    """Delete a responsibility entered by mistake (``households.delete_responsibility``;
    superusers in the admin). Ending it keeps the record and is the usual way."""
    _granter_check(actor, "households.delete_responsibility")
    responsibility = _responsibility_locked(actor, responsibility_id)
    user, level = responsibility.user, responsibility.level
    responsibility.delete()
    _role_group_sync(user=user, level=level)
    transaction.on_commit(register_changed)


@transaction.atomic
def responsibility_roles_expire(*, today: date | None = None) -> int:
    """Take the role group of a level from everyone whose responsibilities of that level have
    all ended before ``today``. Only people who held such a responsibility are touched: a role
    group given by hand, without one, stays. Idempotent; run daily. Returns how many groups
    were taken away."""

    today = today or timezone.localdate()
    removed = 0
    for level in _LEVEL.values:
        group = role_group(level)
        current = Responsibility.objects.filter(level=level).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=today)
        )
        expired = (
            User.objects.filter(groups=group, responsibilities__level=level)
            .exclude(pk__in=current.values("user_id"))
            .distinct()
        )
        users = list(expired)
        group.user_set.remove(*users)
        removed += len(users)
    return removed
