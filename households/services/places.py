"""Writes on the places of the register: communities and grid groups. They decide who sees
which households, so each write checks the actor's scope and refuses what would move
households out from under their group (a group changing community) or leave them orphaned."""

from __future__ import annotations

from typing import TypedDict

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from accounts.models import User
from core.locking import lock_row

from .. import selectors
from ..models import Community, GridGroup
from .common import RegisterError, apply_changes, register_changed, require_permission


class CommunityFields(TypedDict, total=False):
    name: str
    kind: str
    sort_order: int


class GridGroupFields(TypedDict, total=False):
    community: Community
    name: str


COMMUNITY_FIELDS = frozenset(CommunityFields.__annotations__)
GRID_GROUP_FIELDS = frozenset(GridGroupFields.__annotations__)


def _community_locked(actor: User, community_id: int) -> Community:
    """A community the actor covers (or any, for the whole register), locked."""
    return lock_row(selectors.community_placement_scope_for(actor), pk=community_id)


def _grid_group_locked(actor: User, grid_group_id: int) -> GridGroup:
    return lock_row(selectors.grid_group_scope_for(actor).select_related(None), pk=grid_group_id)


@transaction.atomic
def community_create(*, actor: User, fields: CommunityFields) -> Community:
    """A new community (``households.add_community``). Only for those who see the whole
    register: a new community is in no one else's scope. Raises ValidationError for a name
    already taken."""
    require_permission(actor, "households.add_community")
    if not selectors.register_scope_for(actor).everything:
        raise PermissionDenied(_("只有侨联工作人员可以新建社区。"))
    community = Community()
    apply_changes(community, fields, COMMUNITY_FIELDS)
    community.full_clean()
    community.save()
    transaction.on_commit(register_changed)
    return community


@transaction.atomic
def community_update(*, actor: User, community_id: int, changes: CommunityFields) -> Community:
    """Rename or re-sort a community the actor covers (``households.change_community``).
    Outside their scope raises ``Community.DoesNotExist``."""
    require_permission(actor, "households.change_community")
    community = _community_locked(actor, community_id)
    if apply_changes(community, changes, COMMUNITY_FIELDS):
        community.full_clean()
        community.save()
        transaction.on_commit(register_changed)
    return community


@transaction.atomic
def community_delete(*, actor: User, community_id: int) -> None:
    """Delete a community that holds nothing (``households.delete_community``)."""
    require_permission(actor, "households.delete_community")
    community = _community_locked(actor, community_id)
    try:
        with transaction.atomic():
            community.delete()
    except ProtectedError:
        raise RegisterError(
            _("这个社区还有侨眷小组、侨户或联系责任，不能删除。请先把它们移走或结束。")
        ) from None
    transaction.on_commit(register_changed)


def _grid_group_community_check(actor: User, community: Community | None) -> None:
    if community is None:
        raise RegisterError(_("请选择社区。"), field="community")
    if not selectors.community_placement_scope_for(actor).filter(pk=community.pk).exists():
        raise RegisterError(_("请选择你负责的社区。"), field="community")


@transaction.atomic
def grid_group_create(*, actor: User, fields: GridGroupFields) -> GridGroup:
    """A new grid group in a community the actor covers (``households.add_gridgroup``).
    Raises RegisterError (community) or ValidationError (a name already used there)."""
    require_permission(actor, "households.add_gridgroup")
    _grid_group_community_check(actor, fields.get("community"))
    group = GridGroup()
    apply_changes(group, fields, GRID_GROUP_FIELDS)
    group.full_clean()
    group.save()
    transaction.on_commit(register_changed)
    return group


@transaction.atomic
def grid_group_update(*, actor: User, grid_group_id: int, changes: GridGroupFields) -> GridGroup:
    """Rename a grid group in the actor's scope, or give it to another community while it
    holds no households (``households.change_gridgroup``): a group's households must be in
    its community, and moving them is ``household_move``'s work, one household at a time with
    its history."""
    require_permission(actor, "households.change_gridgroup")
    group = _grid_group_locked(actor, grid_group_id)
    changed = apply_changes(group, changes, GRID_GROUP_FIELDS)
    if not changed:
        return group
    if "community" in changed:
        _grid_group_community_check(actor, group.community)
        if group.households.exists():
            raise RegisterError(
                _("这个小组里还有侨户，不能换到别的社区。请先把侨户调到别的小组。"),
                field="community",
            )
    group.full_clean()
    group.save()
    transaction.on_commit(register_changed)
    return group


@transaction.atomic
def grid_group_delete(*, actor: User, grid_group_id: int) -> None:
    """Delete a grid group that holds nothing (``households.delete_gridgroup``)."""
    require_permission(actor, "households.delete_gridgroup")
    group = _grid_group_locked(actor, grid_group_id)
    try:
        with transaction.atomic():
            group.delete()
    except ProtectedError:
        raise RegisterError(
            _("这个小组还有侨户或联系责任，不能删除。请先把侨户调走，并结束它的联系责任。")
        ) from None
    transaction.on_commit(register_changed)
