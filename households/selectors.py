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

Jobs and commands that act for nobody pass ``WholeRegister(reason=…)`` where a user would go.
``None`` is refused everywhere (TypeError): it used to mean "everything" in the statistics
and "nothing" in the scope selector, and one could not tell which a caller meant.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Reverse
from django.utils import timezone

from accounts.models import User
from core.locking import lock_row
from core.phones import InvalidPhone, normalize_phone

from .access import number_search_allow
from .models import Community, GridGroup, Household, Member, Responsibility

# Re-exported: the register's permission rules and version are read through the selectors.
from .rules import register_version, user_may_unmask, user_sees_all_households


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


@dataclass(frozen=True)
class WholeRegister:
    """The whole register, for a job or a command that acts for no one (``register_stats``,
    a nightly count). Accepted wherever a user is; ``reason`` names the caller, so that a
    reader of the call sees at once that no scope applies and why::

        register_stats(user=WholeRegister(reason="manage.py register_stats"))
    """

    reason: str

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValueError("WholeRegister needs a reason: say which job or command reads")


#: Who reads the register: a person (the request's user, possibly anonymous) or the whole
#: register for a job. Never None.
Viewer = User | AnonymousUser | WholeRegister


def _refuse_none(viewer) -> None:
    if viewer is None:
        raise TypeError(
            "the register needs to know who reads: pass request.user (an anonymous user sees "
            "nothing) or WholeRegister(reason=...) for a job or command, never None"
        )


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


_NOTHING = RegisterScope(False, Q(pk__in=[]))
_EVERYTHING = RegisterScope(True, Q())


def register_scope_for(user: Viewer) -> RegisterScope:
    """The user's scope, worked out once per user object (so once per request).
    ``WholeRegister`` sees everything; an anonymous or inactive user nothing; None is refused
    (TypeError)."""
    _refuse_none(user)
    if isinstance(user, WholeRegister):
        return _EVERYTHING
    if not user.is_authenticated or not user.is_active:
        return _NOTHING
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


def household_scope_for(user: Viewer) -> QuerySet[Household]:
    """The households ``user`` may see. Objects outside it answer 404."""
    scope = register_scope_for(user)
    queryset = Household.objects.all()
    return queryset if scope.everything else queryset.filter(scope.condition)


def member_scope_for(user: Viewer) -> QuerySet[Member]:
    scope = register_scope_for(user)
    queryset = Member.objects.all()
    if scope.everything:
        return queryset
    return queryset.filter(household__in=Household.objects.filter(scope.condition))


def member_access_for(user: Viewer, member_id: int, *, lock: bool = False) -> Member:
    """The register person ``member_id`` as ``user`` may act on them (Zulip's ``access_message``
    style): raises ``Member.DoesNotExist`` when they are outside the user's scope, exactly as
    when they do not exist. ``lock=True`` locks the row (``core.locking.lock_row``; call inside
    a transaction)."""
    queryset = member_scope_for(user)
    if lock:
        return lock_row(queryset, pk=member_id)
    return queryset.get(pk=member_id)


def household_access_for(user: Viewer, household_id: int, *, lock: bool = False) -> Household:
    """The household ``household_id`` as ``user`` may act on it: raises
    ``Household.DoesNotExist`` when it is outside the user's scope, exactly as when it does not
    exist. ``lock=True`` locks the row (call inside a transaction)."""
    queryset = household_scope_for(user)
    if lock:
        return lock_row(queryset, pk=household_id)
    return queryset.get(pk=household_id)


def community_scope_for(user: Viewer) -> QuerySet[Community]:
    """Communities with at least one household the user may see (for filter choices)."""
    scope = register_scope_for(user)
    if scope.everything:
        return Community.objects.all()
    if scope.nothing:
        return Community.objects.none()
    visible = household_scope_for(user).filter(community_id=OuterRef("pk"))
    groups = responsibility_active_for(user=user).values("community_id")
    group_communities = responsibility_active_for(user=user).values("grid_group__community_id")
    return Community.objects.filter(
        Q(Exists(visible)) | Q(pk__in=groups) | Q(pk__in=group_communities)
    )


def grid_group_scope_for(user: Viewer) -> QuerySet[GridGroup]:
    scope = register_scope_for(user)
    queryset = GridGroup.objects.select_related("community")
    if scope.everything:
        return queryset
    if scope.nothing:
        return queryset.none()
    active = responsibility_active_for(user=user)
    return queryset.filter(
        Q(community_id__in=active.filter(community__isnull=False).values("community_id"))
        | Q(pk__in=active.filter(grid_group__isnull=False).values("grid_group_id"))
    )


def _community_responsibility_ids(user: User | AnonymousUser) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(
        responsibility_active_for(user=user)
        .filter(community__isnull=False)
        .values_list("community_id", flat=True)
    )


def community_placement_scope_for(user: Viewer) -> QuerySet[Community]:
    """Communities the user may put a household in (the edit form's choices): every one for
    staff; else those they cover and those of their grid groups."""
    scope = register_scope_for(user)
    if scope.everything:
        return Community.objects.all()
    if scope.nothing:
        return Community.objects.none()
    return Community.objects.filter(
        Q(pk__in=_community_responsibility_ids(user))
        | Q(pk__in=grid_group_scope_for(user).values("community_id"))
    )


def user_may_place_household(
    user: Viewer, *, community: Community, grid_group: GridGroup | None
) -> bool:
    """Whether a household in ``community`` / ``grid_group`` stays in ``user``'s scope."""
    scope = register_scope_for(user)
    if scope.everything:
        return True
    if grid_group is not None:
        return grid_group_scope_for(user).filter(pk=grid_group.pk).exists()
    return community.pk in _community_responsibility_ids(user)


def member_account_choices(*, member: Member) -> QuerySet[User]:
    """Accounts a member may be linked to: active ones not linked to another member."""
    linked = Member.objects.filter(user_id__isnull=False).exclude(pk=member.pk)
    return User.objects.filter(is_active=True).exclude(pk__in=linked.values("user_id"))


def user_works_on_register(user: User) -> bool:
    """Staff, or anyone with a current responsibility: they get the register screens."""
    if not user.is_authenticated:
        return False
    return user_sees_all_households(user) or responsibility_active_for(user=user).exists()


@dataclass(frozen=True)
class NumberTerm:
    """A search box entry that is (part of) a phone or ID number.

    ``part`` is the digits as typed (an ID's final X upper-cased); ``phone`` the whole number as
    stored (E.164) when the entry is one; ``id_number`` the 18-character ID when it is one.
    """

    text: str
    part: str
    phone: str | None
    id_number: str | None


_NUMBER_TEXT = re.compile(r"\+?\d[\d\s\-]*[Xx]?")
_ID_TEXT = re.compile(r"\d{17}[\dX]")


def number_term(query: str) -> NumberTerm | None:
    """The entry as a number term, or None when it is a name, pinyin or an address."""
    text = unicodedata.normalize("NFKC", query or "").strip()
    if not _NUMBER_TEXT.fullmatch(text):
        return None
    part = re.sub(r"[\s\-+]", "", text).upper()
    try:
        phone = normalize_phone(text, region="CN", mobile_only=False)
    except InvalidPhone:
        phone = None
    return NumberTerm(
        text=text, part=part, phone=phone, id_number=part if _ID_TEXT.fullmatch(part) else None
    )


def user_searches_by_part(user: User | AnonymousUser) -> bool:
    """Who may find people by part of a number: those who may unmask it anyway. Anyone else
    needs the whole number, so that adding one digit at a time reveals nothing. None is refused:
    a search is made by someone, and counted against their limit."""
    _refuse_none(user)
    return user.is_authenticated and user_may_unmask(user)


def _home_phone_condition(term: NumberTerm, *, by_part: bool, field: str) -> Q:
    if by_part:
        return Q(**{f"{field}__contains": term.part}) if term.part.isdigit() else Q(pk__in=[])
    # the whole number: as stored (E.164), or as written (a landline kept as typed)
    condition = Q(**{field: term.text})
    if term.phone:
        condition |= Q(**{field: term.phone})
    return condition


def _member_number_condition(term: NumberTerm, *, by_part: bool) -> Q:
    """Members whose mobile, ID or household's home phone matches ``term``."""
    if by_part:
        condition = Q(mobile__contains=term.part) if term.part.isdigit() else Q(pk__in=[])
        if len(term.part) >= 4:
            condition |= Q(id_number__endswith=term.part) | _home_phone_condition(
                term, by_part=True, field="household__home_phone"
            )
        return condition
    condition = _home_phone_condition(term, by_part=False, field="household__home_phone")
    if term.phone:
        condition |= Q(mobile=term.phone)
    if term.id_number:
        condition |= Q(id_number=term.id_number)
    return condition


def _number_search_allow(
    user: User | AnonymousUser, term: NumberTerm, object_type: str, by_part: bool
):
    """Log the search and count it against the user's hourly limit; raises
    ``access.NumberSearchRefused`` when it is over."""
    if user.is_authenticated:
        number_search_allow(user=user, term=term.text, object_type=object_type, by_part=by_part)


def _name_search(queryset: QuerySet[Member], text: str) -> QuerySet[Member]:
    letters = text.lower() if text.isascii() and text.replace(" ", "").isalpha() else ""
    if letters:
        letters = letters.replace(" ", "")
        return queryset.filter(
            Q(name_initials__startswith=letters) | Q(name_pinyin__startswith=letters)
        )
    if len(text) < 3:
        # One or two characters: a surname, a given name or a short full name. Trigram indexes
        # cannot help below three characters, so match the start or the end of the name, each
        # of which an index answers (see migration 0004).
        return queryset.alias(name_reversed=Reverse("name")).filter(
            Q(name__startswith=text) | Q(name_reversed__startswith=text[::-1])
        )
    return queryset.filter(Q(name__contains=text) | Q(household__address__contains=text))


def member_search(
    queryset: QuerySet[Member], query: str, *, user: User | AnonymousUser
) -> QuerySet[Member]:
    """Name (张伟明), pinyin or its initials (zwm, zhangwei), or a phone or ID number.

    Numbers: people who may unmask (``user_searches_by_part``) find by part of one (the mobile
    contains it, the ID ends with it); anyone else only by the whole number. Every search by
    number writes an access-log row with the term masked and counts against the user's hourly
    limit: over it, raises ``access.NumberSearchRefused`` (name searches are not counted).
    ``user`` None is refused (TypeError).
    """
    _refuse_none(user)
    text = unicodedata.normalize("NFKC", query or "").strip()
    if not text:
        return queryset
    term = number_term(text)
    if term is None:
        return _name_search(queryset, text)
    by_part = user_searches_by_part(user)
    _number_search_allow(user, term, "member", by_part)
    return queryset.filter(_member_number_condition(term, by_part=by_part))


def household_search(
    queryset: QuerySet[Household], query: str, *, user: User | AnonymousUser
) -> QuerySet[Household]:
    """Households with a member matching ``query`` (see member_search), or by address.
    Raises ``access.NumberSearchRefused`` as member_search does."""
    _refuse_none(user)
    text = unicodedata.normalize("NFKC", query or "").strip()
    if not text:
        return queryset
    term = number_term(text)
    members = Member.objects.filter(household_id=OuterRef("pk"))
    if term is not None:
        by_part = user_searches_by_part(user)
        _number_search_allow(user, term, "household", by_part)
        return queryset.filter(
            Exists(members.filter(_member_number_condition(term, by_part=by_part)))
            | _home_phone_condition(term, by_part=by_part, field="home_phone")
        )
    condition = Exists(_name_search(members, text))
    if not (text.isascii() and text.replace(" ", "").isalpha()):
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


def _scoped_log_models() -> dict:
    """Register models whose Wagtail log entries are shown within a scope, each with the
    function giving the user's scope of it."""
    return {
        Household: household_scope_for,
        Member: member_scope_for,
        Community: community_scope_for,
        GridGroup: grid_group_scope_for,
    }


def register_object_scope_for(model, user: Viewer) -> QuerySet:
    """The objects of a register model ``user`` may open: scoped for households, members,
    communities and grid groups; every object of the other models only for those who see the
    whole register."""
    scope = _scoped_log_models().get(model)
    if scope is not None:
        return scope(user)
    if register_scope_for(user).everything:
        return model._default_manager.all()
    return model._default_manager.none()


def log_entries_visible_to(user: Viewer, queryset: QuerySet) -> QuerySet:
    """Wagtail log entries (``ModelLogEntry``) ``user`` may read: entries of register objects
    only within the user's register scope; other register models (responsibilities, the
    access log, imports) only for those who see the whole register.

    Wagtail decides who reads log entries by content type alone (any permission on the model
    shows every entry of it, with the object's name), which knows nothing of scope.
    """
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import CharField
    from django.db.models.functions import Cast

    if register_scope_for(user).everything:
        return queryset
    register_models = apps.get_app_config("households").get_models()
    register_types = ContentType.objects.get_for_models(*register_models)
    visible = ~Q(content_type_id__in=[ct.pk for ct in register_types.values()])
    for model, scope in _scoped_log_models().items():
        ids = scope(user).order_by().annotate(text_pk=Cast("pk", CharField())).values("text_pk")
        visible |= Q(content_type_id=register_types[model].pk, object_id__in=ids)
    return queryset.filter(visible)


PLACE_CHOICES_SECONDS = 600


def place_choices_for(user: Viewer) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The communities and grid groups ``user`` may filter the lists by, as (id, label) pairs.

    Kept in the cache per scope, language and ``register_version``: every list page needs
    them, and reading them from the cache spares two queries and fifty model objects a page.
    A write on the register (a new grid group, a responsibility) changes the version, and a
    responsibility's dates changing the scope change the scope's key."""
    from django.core.cache import cache
    from django.utils.translation import get_language

    scope = register_scope_for(user)
    key = ":".join(
        ["households:place-choices", str(register_version()), scope.cache_key, get_language() or ""]
    )
    choices = cache.get(key)
    if choices is None:
        choices = (
            [(c.pk, str(c)) for c in community_scope_for(user)],
            [(g.pk, str(g)) for g in grid_group_scope_for(user)],
        )
        cache.set(key, choices, PLACE_CHOICES_SECONDS)
    return choices
