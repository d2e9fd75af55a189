"""Reads on the register. **Every** view, export, search, count and task that reads households
or members gets its queryset from ``household_scope_for`` / ``member_scope_for``: no view builds
its own access queryset.

Scope by role:
- staff (``households.view_all_households``) and superusers: every household;
- a committee member: the households of the communities they cover;
- a cadre: the households of their communities, or of the grid groups assigned to them;
- a group leader: the households of their grid groups;
- anyone linked to a member: their own household.
Roles add up: a cadre who is also a relative sees both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Reverse
from django.utils import timezone

from accounts.models import User

from .models import Community, GridGroup, Household, Member, Responsibility


def _today() -> date:
    return timezone.localdate()


def responsibility_active(on: date | None = None) -> QuerySet[Responsibility]:
    """Responsibilities in force on ``on`` (today by default)."""
    on = on or _today()
    return Responsibility.objects.filter(start_date__lte=on).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=on)
    )


def responsibility_active_for(*, user: User, on: date | None = None) -> QuerySet[Responsibility]:
    return responsibility_active(on).filter(user=user)


def user_sees_all_households(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm("households.view_all_households"))


@dataclass(frozen=True)
class RegisterScope:
    """What a user may see, as a filter on Household. ``everything`` skips the filter."""

    everything: bool
    condition: Q

    @property
    def nothing(self) -> bool:
        return not self.everything and self.condition == Q(pk__in=[])

    @property
    def cache_key(self) -> str:
        """Stable text for caching figures of this scope."""
        import hashlib

        if self.everything:
            return "all"
        return hashlib.sha1(repr(self.condition).encode()).hexdigest()[:16]


def register_scope_for(user: User | None) -> RegisterScope:
    """The user's scope, worked out once per user object (so once per request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return RegisterScope(False, Q(pk__in=[]))
    cached = user.__dict__.get("_register_scope")
    if cached is not None and cached[0] == _today():
        return cached[1]
    scope = _register_scope(user)
    user.__dict__["_register_scope"] = (_today(), scope)
    return scope


def _register_scope(user: User) -> RegisterScope:
    if user_sees_all_households(user):
        return RegisterScope(True, Q())
    # The ids are read first (a few small queries) and written into the condition as lists:
    # PostgreSQL then uses the community/grid-group indexes, where an OR of subqueries would
    # make it read every household.
    active = responsibility_active_for(user=user)
    community_ids, group_ids = [], []
    for community_id, group_id in active.values_list("community_id", "grid_group_id"):
        if community_id:
            community_ids.append(community_id)
        if group_id:
            group_ids.append(group_id)
    own = list(Member.objects.filter(user=user).values_list("household_id", flat=True))
    condition = Q(pk__in=[])
    if community_ids:
        condition |= Q(community_id__in=community_ids)
    if group_ids:
        condition |= Q(grid_group_id__in=group_ids)
    if own:
        condition |= Q(pk__in=own)
    return RegisterScope(False, condition)


def household_scope_for(user: User | None) -> QuerySet[Household]:
    """The households ``user`` may see. Objects outside it answer 404."""
    scope = register_scope_for(user)
    queryset = Household.objects.all()
    return queryset if scope.everything else queryset.filter(scope.condition)


def member_scope_for(user: User | None) -> QuerySet[Member]:
    scope = register_scope_for(user)
    queryset = Member.objects.all()
    if scope.everything:
        return queryset
    return queryset.filter(household__in=Household.objects.filter(scope.condition))


def community_scope_for(user: User | None) -> QuerySet[Community]:
    """Communities with at least one household the user may see (for filter choices)."""
    scope = register_scope_for(user)
    if scope.everything:
        return Community.objects.all()
    visible = household_scope_for(user).filter(community_id=OuterRef("pk"))
    groups = responsibility_active_for(user=user).values("community_id")
    group_communities = responsibility_active_for(user=user).values("grid_group__community_id")
    return Community.objects.filter(
        Q(Exists(visible)) | Q(pk__in=groups) | Q(pk__in=group_communities)
    )


def grid_group_scope_for(user: User | None) -> QuerySet[GridGroup]:
    scope = register_scope_for(user)
    queryset = GridGroup.objects.select_related("community")
    if scope.everything:
        return queryset
    active = responsibility_active_for(user=user)
    return queryset.filter(
        Q(community_id__in=active.filter(community__isnull=False).values("community_id"))
        | Q(pk__in=active.filter(grid_group__isnull=False).values("grid_group_id"))
    )


def user_may_unmask(user: User) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm("households.unmask_member"))


def user_works_on_register(user: User) -> bool:
    """Staff, or anyone with a current responsibility: they get the register screens."""
    if not user.is_authenticated:
        return False
    return user_sees_all_households(user) or responsibility_active_for(user=user).exists()


def _search_terms(query: str) -> tuple[str, str, str]:
    """(text, lower-case ascii letters, digits) of a search box entry, NFKC-normalised."""
    import unicodedata

    text = unicodedata.normalize("NFKC", query or "").strip()
    letters = text.lower() if text.isascii() and text.replace(" ", "").isalpha() else ""
    digits = "".join(ch for ch in text if ch.isdigit()) if not letters else ""
    if digits and len(digits) != len(text.replace(" ", "").replace("-", "").lstrip("+")):
        digits = ""  # mixed text such as an address with a house number
    return text, letters.replace(" ", ""), digits


def member_search(queryset: QuerySet[Member], query: str) -> QuerySet[Member]:
    """Name (张伟明), pinyin or its initials (zwm, zhangwei), phone or ID digits."""
    text, letters, digits = _search_terms(query)
    if not text:
        return queryset
    if letters:
        return queryset.filter(
            Q(name_initials__startswith=letters) | Q(name_pinyin__startswith=letters)
        )
    if digits:
        condition = Q(mobile__contains=digits)
        if len(digits) >= 4:
            condition |= Q(id_number__endswith=digits) | Q(household__home_phone__contains=digits)
        return queryset.filter(condition)
    if len(text) < 3:
        # One or two characters: a surname, a given name or a short full name. Trigram indexes
        # cannot help below three characters, so match the start or the end of the name, each
        # of which an index answers (see migration 0004).
        return queryset.alias(name_reversed=Reverse("name")).filter(
            Q(name__startswith=text) | Q(name_reversed__startswith=text[::-1])
        )
    return queryset.filter(Q(name__contains=text) | Q(household__address__contains=text))


def household_search(queryset: QuerySet[Household], query: str) -> QuerySet[Household]:
    """Households with a member matching ``query`` (see member_search), or by address."""
    text, letters, digits = _search_terms(query)
    if not text:
        return queryset
    members = member_search(Member.objects.filter(household_id=OuterRef("pk")), query)
    condition = Exists(members)
    if digits:
        condition |= Q(home_phone__contains=digits)
    elif not letters:
        condition |= Q(address__contains=text) | Q(householder_name__contains=text)
    return queryset.filter(condition)


def household_responsibles(household: Household) -> list[Responsibility]:
    """Who currently looks after this household: group leader, cadre, committee member."""
    rank = {"group_leader": 0, "cadre": 1, "committee_member": 2}
    active = responsibility_active().filter(
        Q(grid_group_id=household.grid_group_id) | Q(community_id=household.community_id)
    )
    return sorted(active.select_related("user"), key=lambda r: (rank[r.level], r.start_date))


def household_own_for(user: User) -> Household | None:
    """The household the user belongs to in the register (through their linked member)."""
    if not user.is_authenticated:
        return None
    return (
        Household.objects.filter(members__user=user)
        .exclude(status=Household.Status.MERGED)
        .select_related("community", "grid_group")
        .first()
    )


REGISTER_VERSION_KEY = "households:register-version"


def register_version() -> int:
    """Bumped by every register write (``services.register_changed``): cached figures keyed
    by it are dropped the moment the register changes."""
    from django.core.cache import cache

    return cache.get_or_set(REGISTER_VERSION_KEY, 1, timeout=None)
