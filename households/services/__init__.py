"""Writes on the register. Keyword-only and typed; each states its side effects.

Split by what they write (the package grew past one module):

- ``common``: the error people see, dropping cached figures, pinyin, the access log;
- ``households``: create, edit, delete, move, merge;
- ``members``: add, edit, delete people;
- ``merging``: one person registered twice, merged into one record;
- ``places``: communities and grid groups;
- ``responsibilities``: grant, change, end, hand over; the role groups that follow them.

Every service that changes the register takes the ``actor`` and resolves what it changes
through the actor's scope (``selectors.household_access_for`` / ``member_access_for``, with
the row lock), so a screen cannot write past the scope it shows. Import from here:
``from households.services import household_update``.
"""

from .common import (
    RegisterError,
    access_log_record,
    household_refresh_householder,
    member_fill_derived,
    member_unmask,
    name_pinyin,
    register_changed,
)
from .households import (
    HouseholdFields,
    household_create,
    household_delete,
    household_merge,
    household_merge_problem,
    household_move,
    household_placement_check,
    household_update,
)
from .members import MemberFields, member_create, member_delete, member_update
from .merging import member_merge, member_merge_problem
from .places import (
    CommunityFields,
    GridGroupFields,
    community_create,
    community_delete,
    community_update,
    grid_group_create,
    grid_group_delete,
    grid_group_update,
)
from .responsibilities import (
    ResponsibilityChanges,
    responsibility_assign,
    responsibility_delete,
    responsibility_end,
    responsibility_reassign,
    responsibility_roles_expire,
    responsibility_target_problem,
    responsibility_update,
)

__all__ = [
    "CommunityFields",
    "GridGroupFields",
    "HouseholdFields",
    "MemberFields",
    "RegisterError",
    "ResponsibilityChanges",
    "access_log_record",
    "community_create",
    "community_delete",
    "community_update",
    "grid_group_create",
    "grid_group_delete",
    "grid_group_update",
    "household_create",
    "household_delete",
    "household_merge",
    "household_merge_problem",
    "household_move",
    "household_placement_check",
    "household_refresh_householder",
    "household_update",
    "member_create",
    "member_delete",
    "member_fill_derived",
    "member_merge",
    "member_merge_problem",
    "member_unmask",
    "member_update",
    "name_pinyin",
    "register_changed",
    "responsibility_assign",
    "responsibility_delete",
    "responsibility_end",
    "responsibility_reassign",
    "responsibility_roles_expire",
    "responsibility_target_problem",
    "responsibility_update",
]
