"""The register's lists in the Wagtail admin: every queryset from the scope selector, every
read written to the access log, numbers masked unless the user may unmask, exports formula-safe,
and the table built in Python (a register page is mostly its table)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import Count, IntegerField, Model, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.forms.utils import flatatt
from django.http import QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import localize
from django.utils.functional import cached_property
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.ui.tables import Column, Table
from wagtail.admin.views.generic import (
    IndexView,
)

from core.masking import mask_phone
from core.pagination import CappedCountPaginator
from core.phones import display_phone
from core.spreadsheets import SafeSpreadsheetExportMixin

from .. import access, selectors
from ..filters import HouseholdFilterSet, MemberFilterSet
from ..models import AccessLog, Member

PHONE_FIELDS = {"home_phone", "mobile", "household__home_phone"}
ID_FIELDS = {"id_number"}
BIRTH_FIELDS = {"birth_date"}


def _filters_of(request) -> dict:
    return {k: v for k, v in request.GET.items() if k not in ("p", "export", "_w_filter_fragment")}


class ScopedIndexMixin(SafeSpreadsheetExportMixin):
    """The scope selector, custom search, masked and formula-safe exports and access logging
    for a list."""

    object_type = ""
    search_fields = ["name"]  # enables the search box; the search itself is search_function
    search_function = None

    #: The refusal's message when the search by number was over the user's hourly limit.
    search_refused = ""

    results_template_name = "households/admin/register_results.html"

    #: The fields the table shows (with the relations it follows): a page reads only these;
    #: an export reads every field.
    page_fields: tuple[str, ...] = ()

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.page_fields and not self.is_export:
            queryset = queryset.only(*self.page_fields)
        return queryset

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        # counted up to REGISTER_LIST_COUNT_LIMIT rows, or to the page asked for when further
        limit = CappedCountPaginator.limit_for(
            page=self.request.GET.get(self.page_kwarg),
            per_page=per_page,
            at_least=settings.REGISTER_LIST_COUNT_LIMIT,
        )
        return CappedCountPaginator(
            queryset,
            per_page,
            count_limit=limit,
            orphans=orphans,
            allow_empty_first_page=allow_empty_first_page,
            **kwargs,
        )

    def search_queryset(self, queryset):
        if self.search_query:
            try:
                return type(self).search_function(
                    queryset, self.search_query, user=self.request.user
                )
            except access.NumberSearchRefused as exc:  # logged by the selector
                self.search_refused = exc.message
                return queryset.none()
        return queryset

    @property
    def no_results_message(self):
        return self.search_refused or super().no_results_message

    @cached_property
    def masking(self) -> access.Masking:
        return access.masking_for(self.request.user)

    @cached_property
    def unmasked(self) -> bool:
        return self.masking.may_unmask

    def to_row_dict(self, item):
        row = super().to_row_dict(item)
        for field, value in row.items():
            if not value:
                continue
            if field in PHONE_FIELDS:
                # mainland numbers as people write them (13812345678), not "+86…": a cell
                # starting with "+" would be escaped as a possible formula
                row[field] = display_phone(value) if self.unmasked else mask_phone(value)
            elif field in ID_FIELDS and not self.unmasked:
                row[field] = self.masking.id_number(value)
            elif field in BIRTH_FIELDS:
                row[field] = self.masking.birth_date(value)
        return row

    def get_heading(self, queryset, field):
        if field in BIRTH_FIELDS and not self.unmasked:
            return _("出生年份")
        return super().get_heading(queryset, field)

    def render_to_response(self, context, **response_kwargs):
        if self.is_export and self.search_refused:
            # no file: the list, with the refusal said where the rows would be
            messages.error(self.request, self.search_refused)
            query = QueryDict(mutable=True)
            query.update({k: v for k, v in self.request.GET.items() if k != "export"})
            return redirect(f"{self.index_url}?{query.urlencode()}")
        if self.is_export:
            count = context["object_list"].count()
            action = AccessLog.Action.EXPORT
            filters = {
                **_filters_of(self.request),
                "format": self.request.GET.get("export"),
                "unmasked": self.unmasked,
            }
        else:
            paginator = context.get("paginator")
            count = paginator.count if paginator else len(context["object_list"])
            action, filters = AccessLog.Action.LIST, _filters_of(self.request)
            if paginator and paginator.count_capped:
                # counted no further: the list has at least this many rows
                filters["row_count_at_least"] = True
        # an export of an unmasking user carries full numbers: this row is its log row
        access.reveal_record(
            self.request,
            action=action,
            object_type=self.object_type,
            filters=filters,
            row_count=count,
        )
        return super().render_to_response(context, **response_kwargs)


class RowsInPythonTable(Table):
    """Wagtail's table with its rows built in Python: the template engine's loop over rows and
    cells (an ``attrs`` include per row, a component tag per cell) was most of a list page's
    table time. Cells render through each column's ``render_cell_html``, as Wagtail's do."""

    template_name = "households/admin/table.html"

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        columns = list(self.columns.values())
        rows = []
        for instance in self.data:
            # each cell is escaped by its column, the row's attributes by flatatt
            cells = "".join([c.render_cell_html(instance, parent_context) for c in columns])
            rows.append(f"<tr{flatatt(self.get_row_attrs(instance))}>{cells}</tr>")
        context["body"] = mark_safe("".join(rows))
        return context


def url_for_each(url_name: str) -> Callable[[int], str]:
    """The URL named ``url_name`` (one ``<int:pk>`` argument) for any id: reversed once, then
    filled in. A list page links each of its rows; reversing each was a tenth of the table."""
    marker = 987654321
    head, _marker, tail = reverse(url_name, args=[marker]).partition(str(marker))
    return lambda pk: f"{head}{int(pk)}{tail}"


class TextColumn(Column):
    """A plain-text cell built in Python: Wagtail renders each cell through a template, which
    is half the time of a 25-row register page."""

    @cached_property
    def path(self) -> tuple[str, ...]:
        return tuple(self.accessor.split("."))

    @cached_property
    def opening_tag(self) -> str:
        return format_html('<td class="{}">', self.classname) if self.classname else "<td>"

    def get_value(self, instance):
        # Wagtail's multigetattr first tries ``instance[name]`` and catches the TypeError, for
        # every cell; the register's accessors are attribute paths (a method at the end is
        # called). A missing link on the way (no grid group) gives an empty cell.
        value = instance
        for name in self.path:
            value = getattr(value, name, None)
            if value is None:
                return None
        return value() if callable(value) else value

    def render_cell_html(self, instance, parent_context):
        value = self.get_value(instance)
        if value is None:
            return f"{self.opening_tag}</td>"
        if not isinstance(value, str):
            value = localize(value)  # as the template would show it
        # escaped as format_html would (a safe string is kept), without its str.format
        return f"{self.opening_tag}{conditional_escape(value)}</td>"


class LinkColumn(TextColumn):
    """The title cell: a link to the record's page, where every action on it is one click away.
    Built in Python; Wagtail's title cell (with its per-row action menu) costs ~3 ms a row."""

    def __init__(self, name, *, get_url, **kwargs):
        self.get_url = get_url
        super().__init__(name, **kwargs)

    def render_cell_html(self, instance, parent_context):
        value = self.get_value(instance)
        return (
            '<td class="title"><div class="title-wrapper"><a href="'
            f'{conditional_escape(self.get_url(instance))}">'
            f"{'' if value is None else conditional_escape(value)}</a></div></td>"
        )


class MemoColumn(TextColumn):
    """A cell whose text follows from a few field values (a choice's label, a country's name,
    a household's flags): worked out once per value per page. Each is a translation lookup,
    and Django's ``get_FOO_display`` hashes every choice's lazy label on each call; per row,
    that was most of a register table's time. Columns are made per request (``columns`` is a
    cached property of the view), so the texts are in the request's language."""

    def __init__(self, name, *, key: Callable[[Model], Any], **kwargs):
        self.key = key
        self.texts: dict[Any, Any] = {}
        super().__init__(name, **kwargs)

    def get_value(self, instance):
        key = self.key(instance)
        if key not in self.texts:
            self.texts[key] = super().get_value(instance)
        return self.texts[key]


class MaskedColumn(TextColumn):
    """A phone or ID number shown masked (``138****5678``): lists never show them in full."""

    def __init__(self, name, *, masker, **kwargs):
        self.masker = masker
        super().__init__(name, **kwargs)

    def get_value(self, instance):
        value = super().get_value(instance)
        return self.masker(value) if value else ""


class HouseholdIndexView(ScopedIndexMixin, IndexView):
    object_type = "household"
    table_class = RowsInPythonTable
    filterset_class = HouseholdFilterSet
    search_function = staticmethod(selectors.household_search)
    default_ordering = "id"
    export_filename = "households"

    page_fields = (
        "householder_name",
        "home_phone",
        "is_key",
        "is_hardship",
        "is_empty_nest",
        "status",
        "community__name",
        "grid_group__name",
    )

    def get_base_queryset(self):
        members = (
            Member.objects.filter(household_id=OuterRef("pk"), is_deceased=False)
            .order_by()
            .values("household_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            selectors.household_scope_for(self.request.user)
            .select_related("community", "grid_group")
            .annotate(member_count=Coalesce(Subquery(members, output_field=IntegerField()), 0))
        )

    @cached_property
    def inspect_url_of(self) -> Callable[[int], str] | None:
        """Wagtail's ``get_inspect_url`` checks the user's permissions and reverses the URL
        for every row; both are the same for every row of a page."""
        if self.inspect_url_name and self.user_has_any_permission(
            {"add", "change", "delete", "view"}
        ):
            return url_for_each(self.inspect_url_name)
        return None

    def get_inspect_url(self, instance):
        return self.inspect_url_of(instance.pk) if self.inspect_url_of else None

    def get_edit_url(self, instance):
        # the title links to the household's page, where editing is one click away
        return self.get_inspect_url(instance)

    @cached_property
    def columns(self):
        return [
            LinkColumn(
                "householder_name",
                label=gettext_lazy("户主姓名"),
                sort_key="householder_name",
                get_url=self.get_inspect_url,
            ),
            TextColumn("community", label=gettext_lazy("社区"), accessor="community.name"),
            TextColumn("grid_group", label=gettext_lazy("侨眷小组"), accessor="grid_group.name"),
            TextColumn("member_count", label=gettext_lazy("人数"), sort_key="member_count"),
            MaskedColumn("home_phone", label=gettext_lazy("家庭电话"), masker=mask_phone),
            MemoColumn(
                "flags",
                label=gettext_lazy("标记"),
                accessor="flags_display",
                key=lambda h: (h.is_key, h.is_hardship, h.is_empty_nest),
            ),
            MemoColumn(
                "status",
                label=gettext_lazy("状态"),
                accessor="get_status_display",
                key=lambda h: h.status,
            ),
        ]


class MemberIndexView(ScopedIndexMixin, IndexView):
    object_type = "member"
    table_class = RowsInPythonTable
    filterset_class = MemberFilterSet
    search_function = staticmethod(selectors.member_search)
    default_ordering = "id"
    export_filename = "members"

    page_fields = (
        "household_id",
        "name",
        "gender",
        "birth_date",
        "category",
        "country",
        "mobile",
        "household__community__name",
        "household__grid_group__name",
    )

    def get_base_queryset(self):
        return selectors.member_scope_for(self.request.user).select_related(
            "household__community", "household__grid_group"
        )

    @cached_property
    def household_url_of(self) -> Callable[[int], str]:
        return url_for_each("households_household:inspect")

    def get_edit_url(self, instance):
        # the name links to the member's household's page
        return self.household_url_of(instance.household_id)

    @cached_property
    def columns(self):
        return [
            LinkColumn(
                "name", label=gettext_lazy("姓名"), sort_key="name", get_url=self.get_edit_url
            ),
            MemoColumn(
                "gender",
                label=gettext_lazy("性别"),
                accessor="get_gender_display",
                key=lambda m: m.gender,
            ),
            self._birth_date_column(),
            MemoColumn(
                "category",
                label=gettext_lazy("类别"),
                accessor="get_category_display",
                key=lambda m: m.category,
            ),
            MemoColumn(
                "country",
                label=gettext_lazy("侨居国家（地区）"),
                accessor="country_display",
                key=lambda m: m.country,
            ),
            TextColumn(
                "community", label=gettext_lazy("社区"), accessor="household.community.name"
            ),
            TextColumn(
                "grid_group", label=gettext_lazy("侨眷小组"), accessor="household.grid_group.name"
            ),
            MaskedColumn("mobile", label=gettext_lazy("手机号码"), masker=mask_phone),
        ]

    def _birth_date_column(self) -> Column:
        label = gettext_lazy("出生日期")
        if self.masking.may_unmask:
            return TextColumn("birth_date", label=label, sort_key="birth_date")
        # the year only, and no sorting by the date: the order within a year would tell it
        return MaskedColumn(
            "birth_date", label=gettext_lazy("出生年份"), masker=self.masking.birth_date
        )


class ResponsibilityIndexView(IndexView):
    def get_base_queryset(self):
        # who holds it, where, and who granted and ended it: one query for the page
        return (
            super()
            .get_base_queryset()
            .select_related("user", "community", "grid_group__community", "granted_by", "ended_by")
        )


class AccessLogIndexView(IndexView):
    """Read only: the log is written by the register itself, never by hand."""

    def get_add_url(self):
        return None

    def get_edit_url(self, instance):
        return None

    def get_delete_url(self, instance):
        return None

    def get_copy_url(self, instance):
        return None

    def get_inspect_url(self, instance):
        return None
