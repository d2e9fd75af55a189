"""Wagtail's history screens, limited to the register scope.

Wagtail shows a log entry to anyone holding any permission on the entry's model, with the
object's name: a group leader (who may view households) would read every household's edits,
names included, in the site-history report and its CSV/XLSX export. The report is the one
Wagtail screen that lists entries across objects (per-object history views are scoped in
``admin_views``), so it is replaced at its own address (``portal/urls.py``, before Wagtail's
URLs) by the same view reading through ``selectors.log_entries_visible_to``.
"""

from __future__ import annotations

from wagtail.admin.auth import require_admin_access
from wagtail.admin.views.reports.audit_logging import LogEntriesView
from wagtail.models import ModelLogEntry

from core.spreadsheets import SafeSpreadsheetExportMixin

from . import selectors


class ScopedLogEntriesView(SafeSpreadsheetExportMixin, LogEntriesView):
    """Wagtail's site history with register entries only within the user's scope, and an
    export whose cells cannot run as formulas (object names are typed by people)."""

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if issubclass(queryset.model, ModelLogEntry):
            queryset = selectors.log_entries_visible_to(self.request.user, queryset)
        return queryset


site_history = require_admin_access(ScopedLogEntriesView.as_view())
site_history_results = require_admin_access(ScopedLogEntriesView.as_view(results_only=True))
