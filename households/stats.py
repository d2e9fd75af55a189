"""Register statistics: the figures of the 名册统计 admin page and ``manage.py register_stats``.

``register_stats(user=…, community=…)`` counts what ``user`` may see (the scope selector; a
command or job passes ``WholeRegister(reason=…)`` for the whole register), only
households whose status is "active" and only members who are not deceased. Everything is a SQL
aggregate: five queries whatever the size of the register, no Python loop over households or
members (the loops below run over the grouped rows: communities × countries).

The result is a plain, JSON-serialisable dict::

    {
        "households": 1302,                 # active households
        "members": 15021,                   # living members of those households
        "by_category": {"returnee": 310, "relative": 9000, …},   # all six Member.Category codes
        "abroad": {
            "people": 2100,                 # members living abroad (lives_abroad)
            "countries": 31,                # distinct country codes among them
            "by_country": [                 # most people first; "code": "" = country not filled in,
                {"code": "HK", "label": "中国香港", "people": 400},   # always last
                …
            ],
        },
        "empty_nest": {
            "households": 120,              # active households marked empty-nest
            "people": 190,                  # living members of those households
            "aged_60_plus": 170,            # of those, aged 60 or more today
        },
        "aged_60_plus": 4000,               # all living members aged 60 or more today
        "key_households": 80,
        "hardship_households": 45,
        "per_community": [                  # communities in scope, in community sort order
            {"id": 3, "community": "东港", "households": 70, "members": 800, "abroad": 110},
            …
        ],
        "grid_groups": 36,                  # grid groups in scope
        "group_leaders": 40,                # distinct users holding a current responsibility
        "cadres": 20,                       #   of each level, whose grid group or community
        "committee_members": 5,             #   is in scope
    }

Country labels are in the active language. Ages are counted on ``timezone.localdate()``; a
member without a birth date is in no age figure.

Scope of the last four figures: staff see every grid group and every current responsibility.
Anyone else sees the grid groups of ``grid_group_scope_for`` and the responsibilities attached
to those groups or to the communities they cover themselves: a group leader sees their own
group(s) and the leaders and cadres of those groups, not the whole community's.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Case, CharField, Count, F, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import get_language, gettext, gettext_lazy

from accounts.models import User

from .filters import age_band_q
from .models import AccessLog, Community, GridGroup, Household, Member, Responsibility
from .normalize import country_label
from .selectors import (
    Viewer,
    community_scope_for,
    grid_group_scope_for,
    household_scope_for,
    member_scope_for,
    register_scope_for,
    register_version,
    responsibility_active,
    responsibility_active_for,
    user_works_on_register,
)
from .services import access_log_record

CATEGORY_CODES: list[str] = list(Member.Category.values)


def _querysets(
    user: Viewer,
) -> tuple[QuerySet[Household], QuerySet[Member], QuerySet[Community], QuerySet[GridGroup]]:
    return (
        household_scope_for(user),
        member_scope_for(user),
        community_scope_for(user),
        grid_group_scope_for(user),
    )


def _responsibilities_in_scope(
    user: Viewer, groups: QuerySet[GridGroup], community: Community | None
) -> QuerySet[Responsibility]:
    active = responsibility_active()
    scope = register_scope_for(user)
    if scope.nothing:
        return active.none()
    if not scope.everything:
        covered = responsibility_active_for(user=user).filter(community__isnull=False)
        active = active.filter(
            Q(grid_group_id__in=groups.values("pk"))
            | Q(community_id__in=covered.values("community_id"))
        )
    if community is not None:
        active = active.filter(Q(community=community) | Q(grid_group__community=community))
    return active


def register_stats(*, user: Viewer, community: Community | None = None) -> dict[str, Any]:
    """The register's figures for what ``user`` may see, optionally for one ``community``.

    Views pass ``request.user`` (an anonymous or inactive user gets zeros, as the scope
    selector gives them nothing); the ``register_stats`` command and jobs pass
    ``WholeRegister(reason=…)`` for the whole register. None is refused (TypeError).

    Read only; five queries whatever the size of the register (plus the user's permission
    lookup the first time it is asked).
    """
    households, members, communities, groups = _querysets(user)
    households = households.filter(status=Household.Status.ACTIVE)
    members = members.filter(is_deceased=False, household__status=Household.Status.ACTIVE)
    if community is not None:
        households = households.filter(community=community)
        members = members.filter(household__community=community)
        communities = communities.filter(pk=community.pk)
        groups = groups.filter(community=community)

    household_rows = (
        households.order_by()
        .values("community_id")
        .annotate(
            households=Count("pk"),
            key_households=Count("pk", filter=Q(is_key=True)),
            hardship_households=Count("pk", filter=Q(is_hardship=True)),
            empty_nest_households=Count("pk", filter=Q(is_empty_nest=True)),
        )
    )
    # One pass over the members, grouped by community and by country for those abroad (NULL
    # for people at home, "" for people abroad whose country is not filled in): a second pass
    # just for the countries would double the cost of the whole page.
    aged_60 = age_band_q("60-")
    empty_nest = Q(household__is_empty_nest=True)
    abroad_in = Case(
        When(lives_abroad=True, then=F("country")), default=Value(None), output_field=CharField()
    )
    member_rows = (
        members.order_by()
        .values(community=F("household__community_id"), abroad_in=abroad_in)
        .annotate(
            members=Count("pk"),
            aged_60_plus=Count("pk", filter=aged_60),
            empty_nest=Count("pk", filter=empty_nest),
            empty_nest_60=Count("pk", filter=empty_nest & aged_60),
            **{code: Count("pk", filter=Q(category=code)) for code in CATEGORY_CODES},
        )
    )

    # Sums over the grouped rows: communities × countries, a few hundred at most.
    households_total: Counter[str] = Counter()
    households_in: dict[int, int] = {}
    for row in household_rows:
        households_in[row.pop("community_id")] = row["households"]
        households_total.update(row)
    figures = ["members", "aged_60_plus", "empty_nest", "empty_nest_60", *CATEGORY_CODES]
    members_total: Counter[str] = Counter()
    members_in: Counter[int] = Counter()
    abroad_in_community: Counter[int] = Counter()
    abroad_by_country: Counter[str] = Counter()
    for row in member_rows:
        members_total.update({name: row[name] for name in figures})
        members_in[row["community"]] += row["members"]
        if row["abroad_in"] is not None:
            abroad_in_community[row["community"]] += row["members"]
            abroad_by_country[row["abroad_in"]] += row["members"]

    language = get_language() or settings.LANGUAGE_CODE
    by_country = [
        {"code": code, "label": country_label(code, language), "people": people}
        for code, people in sorted(abroad_by_country.items(), key=lambda kv: (-kv[1], kv[0]))
        if code
    ]
    if abroad_by_country[""]:
        by_country.append({"code": "", "label": gettext("未填写"), "people": abroad_by_country[""]})

    per_community = [
        {
            "id": c["pk"],
            "community": c["name"],
            "households": households_in.get(c["pk"], 0),
            "members": members_in[c["pk"]],
            "abroad": abroad_in_community[c["pk"]],
        }
        for c in communities.order_by("sort_order", "name").values("pk", "name")
    ]

    levels = Responsibility.Level
    people = _responsibilities_in_scope(user, groups, community).aggregate(
        group_leaders=Count("user", distinct=True, filter=Q(level=levels.GROUP_LEADER)),
        cadres=Count("user", distinct=True, filter=Q(level=levels.CADRE)),
        committee_members=Count("user", distinct=True, filter=Q(level=levels.COMMITTEE_MEMBER)),
    )

    return {
        "households": households_total["households"],
        "members": members_total["members"],
        "by_category": {code: members_total[code] for code in CATEGORY_CODES},
        "abroad": {
            "people": abroad_by_country.total(),
            "countries": sum(1 for code in abroad_by_country if code),
            "by_country": by_country,
        },
        "empty_nest": {
            "households": households_total["empty_nest_households"],
            "people": members_total["empty_nest"],
            "aged_60_plus": members_total["empty_nest_60"],
        },
        "aged_60_plus": members_total["aged_60_plus"],
        "key_households": households_total["key_households"],
        "hardship_households": households_total["hardship_households"],
        "per_community": per_community,
        "grid_groups": groups.order_by().count(),
        "group_leaders": people["group_leaders"],
        "cadres": people["cadres"],
        "committee_members": people["committee_members"],
    }


# --- the admin page -------------------------------------------------------------------------
# Kept next to the figures it shows; routed and put in the menu by wagtail_hooks.py.


class StatsFilterForm(forms.Form):
    community = forms.ModelChoiceField(
        label=gettext_lazy("社区"),
        queryset=Community.objects.none(),
        required=False,
        empty_label=gettext_lazy("全部社区"),
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = community_scope_for(user)


STATS_SECONDS = 300


def register_stats_cached(*, user: Viewer, community: Community | None = None) -> dict[str, Any]:
    """``register_stats``, kept for a few minutes per scope, community and language. Any write
    on the register changes ``register_version`` and with it the key, so the figures shown are
    never older than the last change."""

    key = ":".join(
        [
            "households:stats",
            str(register_version()),
            register_scope_for(user).cache_key,
            str(community.pk if community else "-"),
            get_language() or "",
        ]
    )
    stats = cache.get(key)
    if stats is None:
        stats = register_stats(user=user, community=community)
        cache.set(key, stats, STATS_SECONDS)
    return stats


def stats_view(request: HttpRequest) -> TemplateResponse:
    """名册统计: the figures of the user's scope, optionally for one community. Logged."""
    if not user_works_on_register(request.user):
        raise PermissionDenied
    form = StatsFilterForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():
        raise Http404  # a community outside the user's scope answers as if it did not exist
    community = form.cleaned_data["community"] if form.is_bound else None
    stats = register_stats_cached(user=request.user, community=community)
    access_log_record(
        user=request.user,
        action=AccessLog.Action.STATS,
        object_type="stats",
        filters={"community": community.pk if community else None},
        row_count=stats["households"],
    )
    categories = [(label, stats["by_category"][code]) for code, label in Member.Category.choices]
    return TemplateResponse(
        request,
        "households/admin/stats.html",
        {"stats": stats, "form": form, "community": community, "categories": categories},
    )
