"""A "two communities" world for the register tests.

Community A has grid groups A1 and A2, community B has B1::

    A ─ A1 ─ hA1  (陈家豪 householder, mobile and home phone +8613812345678;
       │    │       王秀英 is the ``relative`` persona's member record)
       │    └ hA1b (刘雅琴)
       └ A2 ─ hA2  (吴国栋)
    B ─ B1 ─ hB1  (郑海生 householder, landline 0580-2012345;
                   赵外人 is the ``outsider`` persona's member record)

Responsibilities (through the service, as in production): group_leader → A1,
cadre → community A, committee_member → community A.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest

from households.models import Community, GridGroup, Household, Member, Responsibility
from households.services import responsibility_assign
from tests.factories.households import (
    CommunityFactory,
    GridGroupFactory,
    HouseholdFactory,
    MemberFactory,
    id_number_for,
)

# The world's fixed ID numbers use a birth date that factory-made members never have.
WORLD_BIRTH = datetime.date(1944, 8, 8)


@dataclass
class World:
    community_a: Community
    community_b: Community
    a1: GridGroup
    a2: GridGroup
    b1: GridGroup
    hA1: Household
    hA1b: Household
    hA2: Household
    hB1: Household
    mA1: Member  # householder of hA1, mobile +8613812345678
    mA1_relative: Member  # linked to the relative persona
    mA1b: Member
    mA2: Member
    mB1: Member  # householder of hB1
    mB1_outsider: Member  # linked to the outsider persona
    leader_a1: Responsibility  # group_leader → A1

    @property
    def households(self) -> dict[str, Household]:
        return {"hA1": self.hA1, "hA1b": self.hA1b, "hA2": self.hA2, "hB1": self.hB1}

    @property
    def members(self) -> list[Member]:
        return [self.mA1, self.mA1_relative, self.mA1b, self.mA2, self.mB1, self.mB1_outsider]


#: Householder name of each household: what the list pages are checked for.
HOUSEHOLDER = {"hA1": "陈家豪", "hA1b": "刘雅琴", "hA2": "吴国栋", "hB1": "郑海生"}

#: Which households each persona's scope holds (personas with no admin access see no page).
SCOPE = {
    "group_leader": {"hA1", "hA1b"},
    "cadre": {"hA1", "hA1b", "hA2"},
    "committee_member": {"hA1", "hA1b", "hA2"},
    "staff": {"hA1", "hA1b", "hA2", "hB1"},
    "admin": {"hA1", "hA1b", "hA2", "hB1"},
}


@pytest.fixture
def world(roles, relative, outsider, group_leader, cadre, committee_member) -> World:
    community_a = CommunityFactory(name="东港社区", sort_order=1)
    community_b = CommunityFactory(name="西山村", sort_order=2, kind=Community.Kind.VILLAGE)
    a1 = GridGroupFactory(community=community_a, name="第一小组")
    a2 = GridGroupFactory(community=community_a, name="第二小组")
    b1 = GridGroupFactory(community=community_b, name="第一小组")

    # hA1's home phone is the householder's mobile; hB1 has a landline
    hA1 = HouseholdFactory(key="A1-001", grid_group=a1, home_phone="+8613812345678")
    hA1b = HouseholdFactory(key="A1-002", grid_group=a1)
    hA2 = HouseholdFactory(key="A2-001", grid_group=a2)
    hB1 = HouseholdFactory(key="B1-001", grid_group=b1, home_phone="0580-2012345")

    mA1 = MemberFactory(
        household=hA1,
        name=HOUSEHOLDER["hA1"],
        mobile="+8613812345678",
        id_number=id_number_for(101, WORLD_BIRTH),
        category=Member.Category.RETURNEE,
    )
    mA1_relative = MemberFactory(
        household=hA1,
        name="王秀英",
        relation=Member.Relation.SPOUSE,
        mobile="+8613812340001",
        id_number=id_number_for(102, WORLD_BIRTH),
        user=relative,
    )
    mA1b = MemberFactory(
        household=hA1b,
        name=HOUSEHOLDER["hA1b"],
        mobile="+8613812340002",
        id_number=id_number_for(103, WORLD_BIRTH),
    )
    mA2 = MemberFactory(
        household=hA2,
        name=HOUSEHOLDER["hA2"],
        mobile="+8613812340003",
        id_number=id_number_for(104, WORLD_BIRTH),
    )
    mB1 = MemberFactory(
        household=hB1,
        name=HOUSEHOLDER["hB1"],
        mobile="+8613812340004",
        id_number=id_number_for(105, WORLD_BIRTH),
    )
    mB1_outsider = MemberFactory(
        household=hB1,
        name="赵外人",
        relation=Member.Relation.CHILD,
        mobile="+8613812340005",
        id_number=id_number_for(106, WORLD_BIRTH),
        user=outsider,
    )

    leader_a1 = responsibility_assign(
        user=group_leader, level=Responsibility.Level.GROUP_LEADER, grid_group=a1
    )
    responsibility_assign(user=cadre, level=Responsibility.Level.CADRE, community=community_a)
    responsibility_assign(
        user=committee_member, level=Responsibility.Level.COMMITTEE_MEMBER, community=community_a
    )
    for household in (hA1, hA1b, hA2, hB1):
        household.refresh_from_db()
    return World(
        community_a=community_a,
        community_b=community_b,
        a1=a1,
        a2=a2,
        b1=b1,
        hA1=hA1,
        hA1b=hA1b,
        hA2=hA2,
        hB1=hB1,
        mA1=mA1,
        mA1_relative=mA1_relative,
        mA1b=mA1b,
        mA2=mA2,
        mB1=mB1,
        mB1_outsider=mB1_outsider,
        leader_a1=leader_a1,
    )
