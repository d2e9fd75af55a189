"""Factories for the register: communities, grid groups, households and members.

Members get a unique valid mobile ("+86138…") and a unique 18-digit ID number with a correct
check character, so masking and search tests see realistic numbers.
"""

import datetime

import factory

from households.models import Community, GridGroup, Household, Member
from households.normalize import id_check_char
from households.services import household_refresh_householder, member_fill_derived


def id_number_for(n: int, birth: datetime.date = datetime.date(1960, 5, 1)) -> str:
    """A valid PRC identity number: an area code and serial that differ for every ``n``."""
    area = 330902 + (n // 1000) % 90
    first17 = f"{area}{birth:%Y%m%d}{n % 1000:03d}"
    return first17 + id_check_char(first17)


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    name = factory.Sequence(lambda n: f"测试社区{n}")
    kind = Community.Kind.URBAN


class GridGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GridGroup

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"第{n}小组")


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    key = factory.Sequence(lambda n: f"HH-{n:05d}")
    grid_group = factory.SubFactory(GridGroupFactory)
    community = factory.LazyAttribute(lambda o: o.grid_group.community)
    address = factory.Sequence(lambda n: f"渔港路{n}号")


class MemberFactory(factory.django.DjangoModelFactory):
    """A living member. ``name_pinyin``/``name_initials`` are filled as the import does, and
    the household's ``householder_name`` follows when the member is the householder."""

    class Meta:
        model = Member
        skip_postgeneration_save = True

    household = factory.SubFactory(HouseholdFactory)
    name = factory.Sequence(lambda n: f"成员{n}")
    gender = Member.Gender.FEMALE
    birth_date = datetime.date(1960, 5, 1)
    relation = Member.Relation.HOUSEHOLDER
    category = Member.Category.RELATIVE
    mobile = factory.Sequence(lambda n: f"+86138{n:08d}")
    id_number = factory.LazyAttributeSequence(lambda o, n: id_number_for(n, o.birth_date))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        member = model_class(*args, **kwargs)
        member_fill_derived(member)
        member.save()
        household_refresh_householder(household=member.household)
        return member
