"""Who the scope selector reads for: a person (possibly anonymous) or, for jobs and commands,
the whole register named as such. ``None`` is refused everywhere: it used to mean "everything"
in the statistics and "nothing" in the scope selector. The world is the "two communities"
world of conftest.py."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from wagtail.models import ModelLogEntry

from households import selectors
from households.models import Community, GridGroup, Household, Member, Responsibility
from households.stats import register_stats, register_stats_cached

pytestmark = pytest.mark.django_db

WHOLE = selectors.WholeRegister(reason="tests: the whole register")

#: Every read that takes the reader, called with ``who``.
READS = {
    "register_scope_for": lambda who: selectors.register_scope_for(who),
    "household_scope_for": lambda who: selectors.household_scope_for(who),
    "member_scope_for": lambda who: selectors.member_scope_for(who),
    "community_scope_for": lambda who: selectors.community_scope_for(who),
    "grid_group_scope_for": lambda who: selectors.grid_group_scope_for(who),
    "community_placement_scope_for": lambda who: selectors.community_placement_scope_for(who),
    "register_object_scope_for": lambda who: selectors.register_object_scope_for(
        Responsibility, who
    ),
    "log_entries_visible_to": lambda who: selectors.log_entries_visible_to(
        who, ModelLogEntry.objects.all()
    ),
    "member_access_for": lambda who: selectors.member_access_for(who, 1),
    "household_access_for": lambda who: selectors.household_access_for(who, 1),
    "member_search": lambda who: selectors.member_search(Member.objects.all(), "陈", user=who),
    "household_search": lambda who: selectors.household_search(
        Household.objects.all(), "陈", user=who
    ),
    "user_searches_by_part": lambda who: selectors.user_searches_by_part(who),
    "register_stats": lambda who: register_stats(user=who),
    "register_stats_cached": lambda who: register_stats_cached(user=who),
}


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_none_is_refused(read):
    with pytest.raises(TypeError, match="never None"):
        read(None)


def test_place_checks_refuse_none(world):
    with pytest.raises(TypeError):
        selectors.user_may_place_household(None, community=world.community_a, grid_group=None)


def test_the_whole_register_sees_everything(world):
    assert selectors.register_scope_for(WHOLE).everything
    assert set(selectors.household_scope_for(WHOLE)) == set(Household.objects.all())
    assert set(selectors.member_scope_for(WHOLE)) == set(Member.objects.all())
    assert set(selectors.community_scope_for(WHOLE)) == set(Community.objects.all())
    assert set(selectors.grid_group_scope_for(WHOLE)) == set(GridGroup.objects.all())
    assert selectors.household_access_for(WHOLE, world.hB1.pk) == world.hB1
    assert selectors.user_may_place_household(
        WHOLE, community=world.community_b, grid_group=world.b1
    )


def test_whole_register_figures_are_those_staff_see(world, staff):
    whole = register_stats(user=WHOLE)
    assert (whole["households"], whole["members"]) == (4, 6)
    assert whole == register_stats(user=staff)
    assert register_stats_cached(user=WHOLE) == whole


def test_an_anonymous_user_sees_nothing(world):
    anonymous = AnonymousUser()
    assert selectors.register_scope_for(anonymous).nothing
    assert not selectors.household_scope_for(anonymous).exists()
    assert not selectors.member_scope_for(anonymous).exists()
    assert not selectors.community_scope_for(anonymous).exists()
    assert not selectors.grid_group_scope_for(anonymous).exists()
    assert not selectors.community_placement_scope_for(anonymous).exists()
    assert not selectors.register_object_scope_for(Responsibility, anonymous).exists()
    with pytest.raises(Household.DoesNotExist):
        selectors.household_access_for(anonymous, world.hA1.pk)
    stats = register_stats(user=anonymous)
    assert stats["households"] == stats["members"] == stats["grid_groups"] == 0
    assert stats["group_leaders"] == stats["cadres"] == stats["committee_members"] == 0


def test_a_whole_register_read_says_why():
    with pytest.raises(ValueError):
        selectors.WholeRegister(reason=" ")


def test_household_access_follows_the_scope(world, group_leader):
    assert selectors.household_access_for(group_leader, world.hA1.pk) == world.hA1
    with pytest.raises(Household.DoesNotExist):
        selectors.household_access_for(group_leader, world.hB1.pk)
