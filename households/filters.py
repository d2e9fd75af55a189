"""Filters for the register lists. Choice lists are limited to what the user may see."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import django_filters
from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import WagtailFilterSet

from core.widgets import FastSelect

from .models import Household, Member
from .normalize import country_choices
from .selectors import place_choices_for

AGE_BANDS = [
    ("0-17", _("17岁及以下")),
    ("18-59", _("18–59岁")),
    ("60-79", _("60–79岁")),
    ("80-", _("80岁及以上")),
    ("60-", _("60岁及以上")),
]
YES_NO = [("1", _("是")), ("0", _("否"))]


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_band_q(band: str, prefix: str = "") -> Q:
    """Members whose age today falls in ``band`` ("18-59", "80-")."""
    low, _sep, high = band.partition("-")
    today = timezone.localdate()
    condition = Q(**{f"{prefix}birth_date__lte": _years_before(today, int(low or 0))})
    if high:
        condition &= Q(**{f"{prefix}birth_date__gt": _years_before(today, int(high) + 1)})
    return condition


class SharedChoices(tuple):
    """Choices that every filter form shares. Immutable: a form copies its fields for each
    request (``deepcopy``), and copying 250 countries' pairs each time was a tenth of a list
    page's Python time; this tuple is handed over as it is."""

    def __deepcopy__(self, memo) -> SharedChoices:
        return self


@lru_cache(maxsize=8)
def _country_choices() -> SharedChoices:
    return SharedChoices(country_choices())


@lru_cache(maxsize=64)
def _options_html(choices: tuple[tuple[str, str], ...]) -> str:
    return format_html_join("", '<option value="{}">{}</option>', choices)


class KeptOptionsSelect(FastSelect):
    """A filter's ``<select>`` whose options' HTML is built once per list of options (in the
    language of their labels) and kept: every list page shows the same ~250 countries and the
    same grid groups, and building them was the larger part of the filters' time. Each render
    only marks the chosen option. Single choice, no option groups (as FastSelect)."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs or {})
        final_attrs["name"] = name
        choices = tuple(
            ("" if key is None else str(key), str(label)) for key, label in self.choices
        )
        options = _options_html(choices)
        for chosen in {"" if v is None else str(v) for v in self.format_value(value)}:
            plain = format_html('<option value="{}">', chosen)
            options = options.replace(plain, plain[:-1] + " selected>", 1)
        return format_html("<select{}>{}</select>", flatatt(final_attrs), mark_safe(options))


class _ScopedChoicesMixin:
    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, request=request, **kwargs)
        self.user = request.user if request is not None else AnonymousUser()
        # The communities and grid groups the user may see, read once per scope and register
        # version (selectors.place_choices_for): they are the options shown and the values
        # accepted (a community outside the scope is refused), without a query for either.
        communities, groups = place_choices_for(self.user)
        self.filters["community"].extra["choices"] = communities
        self.filters["grid_group"].extra["choices"] = groups
        self._place_choices = (tuple(communities), tuple(groups))
        self.filters["country"].extra["choices"] = _country_choices()
        # Render the selects in Python: thousands of grid groups and ~250 countries otherwise
        # cost a template render per option on every list page.
        for filter_ in self.filters.values():
            if isinstance(filter_, django_filters.ChoiceFilter):
                filter_.extra["widget"] = KeptOptionsSelect

    def drilldown_key(self) -> tuple:
        """All that Wagtail's filter panel (the drilldown of every filter's field) is rendered
        from, besides the code: the filter set, the language, the places the user may choose
        from, the values asked for and the fields that refused theirs. Equal keys render equal
        panels, so the panel is kept by this key (households/templatetags/register_admin.py).
        The places are in the key themselves, not the register's version: a panel can never
        outlive the options it shows, whether or not the shared cache is up."""
        form = self.form
        data = form.data
        values = tuple(
            (name, tuple(data.getlist(name)) if hasattr(data, "getlist") else (data.get(name),))
            for name in form.fields
        )
        return (
            type(self).__module__,
            type(self).__qualname__,
            get_language(),
            self._place_choices,
            values,
            tuple(sorted(form.errors)),
        )


def _yes_no(label):
    return django_filters.ChoiceFilter(label=label, choices=YES_NO, method="filter_flag")


class HouseholdFilterSet(_ScopedChoicesMixin, WagtailFilterSet):
    community = django_filters.ChoiceFilter(label=_("社区"), choices=[])
    grid_group = django_filters.ChoiceFilter(label=_("侨眷小组"), choices=[])
    status = django_filters.ChoiceFilter(label=_("状态"), choices=Household.Status.choices)
    is_key = _yes_no(_("重点侨户"))
    is_hardship = _yes_no(_("困难侨户"))
    is_empty_nest = _yes_no(_("空巢户"))
    category = django_filters.ChoiceFilter(
        label=_("有此类别的成员"), choices=Member.Category.choices, method="filter_members"
    )
    country = django_filters.ChoiceFilter(
        label=_("有成员在此国家（地区）"), choices=[], method="filter_members"
    )
    lives_abroad = django_filters.ChoiceFilter(
        label=_("有成员在境外"), choices=YES_NO, method="filter_members"
    )
    age_band = django_filters.ChoiceFilter(
        label=_("有此年龄段的成员"), choices=AGE_BANDS, method="filter_members"
    )

    class Meta:
        model = Household
        fields = []

    def filter_flag(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(**{name: value == "1"})

    def filter_members(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        members = Member.objects.filter(household_id=OuterRef("pk"), is_deceased=False)
        if name == "age_band":
            condition = age_band_q(value)
        elif name == "lives_abroad":
            condition = Q(lives_abroad=True)
            return queryset.filter(
                Exists(members.filter(condition))
                if value == "1"
                else ~Exists(members.filter(condition))
            )
        else:
            condition = Q(**{name: value})
        return queryset.filter(Exists(members.filter(condition)))


class MemberFilterSet(_ScopedChoicesMixin, WagtailFilterSet):
    community = django_filters.ChoiceFilter(
        label=_("社区"), field_name="household__community", choices=[]
    )
    grid_group = django_filters.ChoiceFilter(
        label=_("侨眷小组"), field_name="household__grid_group", choices=[]
    )
    category = django_filters.ChoiceFilter(label=_("类别"), choices=Member.Category.choices)
    country = django_filters.ChoiceFilter(label=_("侨居国家（地区）"), choices=[])
    lives_abroad = django_filters.ChoiceFilter(
        label=_("在境外"), choices=YES_NO, method="filter_flag"
    )
    age_band = django_filters.ChoiceFilter(
        label=_("年龄段"), choices=AGE_BANDS, method="filter_age"
    )
    gender = django_filters.ChoiceFilter(label=_("性别"), choices=Member.Gender.choices)
    is_key = django_filters.ChoiceFilter(
        label=_("重点侨户"), choices=YES_NO, field_name="household__is_key", method="filter_flag"
    )
    is_hardship = django_filters.ChoiceFilter(
        label=_("困难侨户"),
        choices=YES_NO,
        field_name="household__is_hardship",
        method="filter_flag",
    )
    is_empty_nest = django_filters.ChoiceFilter(
        label=_("空巢户"),
        choices=YES_NO,
        field_name="household__is_empty_nest",
        method="filter_flag",
    )
    is_deceased = django_filters.ChoiceFilter(label=_("已故"), choices=YES_NO, method="filter_flag")

    class Meta:
        model = Member
        fields = []

    def filter_flag(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(**{name: value == "1"})

    def filter_age(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(age_band_q(value))
