"""Register screens in the Wagtail admin, by what they do (the module grew past one file):

- ``lists``: the household and member lists (search, filters, masked exports, access log),
  the responsibilities' and the access log's lists;
- ``objects``: a household's page, Wagtail's history and usage screens, unmasking, moving,
  merging;
- ``writes``: create, edit and delete through the services.

Thin throughout: every queryset comes from the scope selector, every read is written to the
access log, every write goes through ``households.services``.
"""

from .lists import (
    AccessLogIndexView,
    HouseholdIndexView,
    LinkColumn,
    MaskedColumn,
    MemberIndexView,
    MemoColumn,
    ResponsibilityIndexView,
    RowsInPythonTable,
    ScopedIndexMixin,
    TextColumn,
)
from .objects import (
    HouseholdDetailView,
    RegisterHistoryView,
    RegisterUsageView,
    ScopedBaseObjectMixin,
    ScopedObjectMixin,
    ScopedSingleObjectMixin,
    household_merge,
    household_move,
    member_unmask,
)
from .writes import (
    HouseholdEditView,
    MemberEditView,
    RegisterCreateView,
    RegisterDeleteView,
    RegisterEditView,
    ServiceFormMixin,
    Writes,
    form_changes,
    form_fields,
    refusal_to_form,
)

__all__ = [
    "AccessLogIndexView",
    "HouseholdDetailView",
    "HouseholdEditView",
    "HouseholdIndexView",
    "LinkColumn",
    "MaskedColumn",
    "MemberEditView",
    "MemberIndexView",
    "MemoColumn",
    "RegisterCreateView",
    "RegisterDeleteView",
    "RegisterEditView",
    "RegisterHistoryView",
    "RegisterUsageView",
    "ResponsibilityIndexView",
    "RowsInPythonTable",
    "ScopedBaseObjectMixin",
    "ScopedIndexMixin",
    "ScopedObjectMixin",
    "ScopedSingleObjectMixin",
    "ServiceFormMixin",
    "TextColumn",
    "Writes",
    "form_changes",
    "form_fields",
    "household_merge",
    "household_move",
    "member_unmask",
    "refusal_to_form",
]
