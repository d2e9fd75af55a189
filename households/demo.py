"""A demo federation shaped like the subdistrict in DOMAIN.md: 20 communities, 36 grid groups,
40 group leaders, 20 cadres, committee members, ~1,300 households and ~15,000 people in about
30 countries and regions. Names are generated, not real. Idempotent: the households are keyed
DEMO-0001…, so a second run only refreshes the responsibilities."""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import cache

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.demo import PERSONAS  # the persona logins made by accounts.demo
from accounts.models import User

from .models import Community, GridGroup, Household, Member, Responsibility
from .normalize import id_check_char
from .services import name_pinyin, responsibility_assign

ORDER = 30
HOUSEHOLDS = 1300
PASSWORD = "qiaoxin2026"

URBAN = [
    "东港",
    "南岙",
    "西岙",
    "北岙",
    "新街",
    "海滨",
    "渔港",
    "桃花",
    "朝阳",
    "青龙",
    "白沙",
    "长涂",
    "鲁家",
    "泗洲",
    "塘头",
    "芦花",
    "莲花",
    "金沙",
]
FISHING = ["螺门渔农村", "墩头渔农村"]
SURNAMES = "陈林王张李刘黄吴徐周郑胡朱孙马叶何罗梁宋谢许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜"
GIVEN = "伟明华英秀芳建国志强海燕丽娟玉兰红霞文军德荣春梅金凤永庆桂珍淑慧俊杰子涵宇轩浩然欣怡"
COUNTRIES = (
    ["HK"] * 14
    + ["US"] * 12
    + ["MO"] * 4
    + ["TW"] * 3
    + ["CA"] * 5
    + ["AU"] * 5
    + ["GB"] * 4
    + ["JP"] * 4
    + ["SG"] * 4
    + ["MY"] * 3
    + ["NZ"] * 2
    + ["KR"] * 2
    + [
        "TH",
        "ID",
        "PH",
        "VN",
        "FR",
        "DE",
        "IT",
        "ES",
        "NL",
        "BE",
        "AT",
        "CH",
        "SE",
        "BR",
        "AR",
        "ZA",
        "AE",
        "RU",
    ]
)


def _name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2, 2, 2])))
    return rng.choice(SURNAMES) + given


def _birth(rng: random.Random, low: int, high: int) -> date:
    today = timezone.localdate()
    return today - timedelta(days=rng.randint(low * 365, high * 365))


def _address(rng: random.Random, community: str) -> str:
    building, unit, room = rng.randint(1, 60), rng.randint(1, 6), rng.randint(101, 1202)
    return f"{community}{building}幢{unit}单元{room}室"


def _id_number(rng: random.Random, born: date) -> str:
    first17 = f"330903{born:%Y%m%d}{rng.randint(0, 999):03d}"
    return first17 + id_check_char(first17)


@cache
def _password_hash() -> str:
    # hashing is deliberately slow (~0.5 s); sixty demo logins share one hash
    return make_password(PASSWORD)


def _user(username: str, name: str, phone: str) -> User:
    user, _created = User.objects.get_or_create(
        username=username,
        defaults={
            "name": name,
            "phone": phone,
            "phone_verified": True,
            "password": _password_hash(),
        },
    )
    return user


def _structure(rng: random.Random) -> tuple[list[Community], list[GridGroup]]:
    communities = []
    for index, stem in enumerate(URBAN):
        community, _ = Community.objects.get_or_create(
            name=f"{stem}社区", defaults={"kind": Community.Kind.URBAN, "sort_order": index}
        )
        communities.append(community)
    for index, name in enumerate(FISHING, start=len(URBAN)):
        community, _ = Community.objects.get_or_create(
            name=f"{name}社区", defaults={"kind": Community.Kind.FISHING_RURAL, "sort_order": index}
        )
        communities.append(community)
    groups = []
    # 36 grid groups: the first 16 communities have two, the last four one each
    for index, community in enumerate(communities):
        for number in range(1, (3 if index < 16 else 2)):
            group, _ = GridGroup.objects.get_or_create(community=community, name=f"第{number}小组")
            groups.append(group)
    return communities, groups


def _responsibilities(communities, groups) -> None:
    if Responsibility.objects.exists():
        return
    start = date(timezone.localdate().year - 2, 1, 1)

    personas = {role: User.objects.get(username=username) for role, username, *_ in PERSONAS}
    # 20 cadres, one per community; the demo cadre has the first
    for index, community in enumerate(communities):
        user = (
            personas["cadre"]
            if index == 0
            else _user(
                f"demo_cadre_{index + 1:02d}", f"干部{index + 1:02d}", f"+86139001{index + 1:05d}"
            )
        )
        responsibility_assign(user=user, level="cadre", community=community, start_date=start)
    # 40 group leaders over 36 groups: four big groups have two
    for index in range(40):
        group = groups[index % len(groups)]
        user = (
            personas["group_leader"]
            if index == 0
            else _user(
                f"demo_leader_{index + 1:02d}", f"组长{index + 1:02d}", f"+86139002{index + 1:05d}"
            )
        )
        responsibility_assign(user=user, level="group_leader", grid_group=group, start_date=start)
    # 7 committee members, each covering about three communities
    for index in range(7):
        user = (
            personas["committee_member"]
            if index == 0
            else _user(
                f"demo_committee_{index + 1:02d}",
                f"委员{index + 1:02d}",
                f"+86139003{index + 1:05d}",
            )
        )
        for community in communities[index * 3 : index * 3 + 3]:
            responsibility_assign(
                user=user, level="committee_member", community=community, start_date=start
            )


def _household_members(rng: random.Random, household: Household, counter: list[int]):
    members = []
    householder_born = _birth(rng, 45, 88)
    size = rng.choice([6, 8, 10, 11, 12, 13, 14, 16])
    for position in range(size):
        counter[0] += 1
        serial = counter[0]
        if position == 0:
            relation, born = Member.Relation.HOUSEHOLDER, householder_born
        elif position == 1:
            relation, born = (
                Member.Relation.SPOUSE,
                householder_born + timedelta(days=rng.randint(-1500, 1500)),
            )
        else:
            relation = rng.choice(
                [Member.Relation.CHILD] * 3
                + [
                    Member.Relation.GRANDCHILD,
                    Member.Relation.SIBLING,
                    Member.Relation.CHILD_IN_LAW,
                ]
            )
            born = _birth(rng, 5, 60)
        roll = rng.random()
        abroad = position > 1 and roll < 0.30
        if not abroad:
            category = Member.Category.RETURNEE if serial % 1500 == 7 else Member.Category.RELATIVE
            country = ""
        else:
            country = rng.choice(COUNTRIES)
            if country in ("HK", "MO"):
                category = Member.Category.HK_MACAO
            elif rng.random() < 0.07:
                category = Member.Category.STUDENT_ABROAD
                born = _birth(rng, 18, 30)
            else:
                category = rng.choice(
                    [Member.Category.OVERSEAS_CHINESE, Member.Category.ETHNIC_CHINESE]
                )
        name = _name(rng)
        pinyin, initials = name_pinyin(name)
        members.append(
            Member(
                household=household,
                name=name,
                name_pinyin=pinyin,
                name_initials=initials,
                gender=rng.choice(["male", "female"]),
                birth_date=born,
                relation=relation,
                category=category,
                country=country,
                lives_abroad=abroad,
                mobile=f"+8613{rng.randint(0, 9)}{serial:08d}"
                if not abroad and rng.random() < 0.8
                else "",
                id_number=_id_number(rng, born) if not abroad and rng.random() < 0.5 else "",
                consent_contact=rng.random() < 0.9,
            )
        )
    return members


@transaction.atomic
def seed(*, stdout, options: dict | None = None) -> list:
    rng = random.Random(2008)
    communities, groups = _structure(rng)
    _responsibilities(communities, groups)
    if (
        Household.objects.filter(key__startswith="DEMO-").exists()
        or (options or {}).get("households") == 0
    ):
        stdout.write(
            f"households: demo register already there ({Household.objects.count()} households)."
        )
        return []
    households = []
    count = (options or {}).get("households")
    for index in range(HOUSEHOLDS if count is None else count):
        group = groups[index % len(groups)]
        households.append(
            Household(
                key=f"DEMO-{index + 1:04d}",
                community_id=group.community_id,
                grid_group=group,
                address=_address(rng, group.community.name),
                home_phone=f"+86580{rng.randint(2000000, 8999999)}" if rng.random() < 0.6 else "",
                is_key=rng.random() < 0.05,
                is_hardship=rng.random() < 0.04,
                is_empty_nest=rng.random() < 0.08,
            )
        )
    Household.objects.bulk_create(households, batch_size=1000)
    households = list(Household.objects.filter(key__startswith="DEMO-").order_by("key"))
    counter = [0]
    members = []
    for household in households:
        members.extend(_household_members(rng, household, counter))
    Member.objects.bulk_create(members, batch_size=2000)
    # the persona relative is the householder of the first household
    first = households[0]
    householder = first.members.filter(relation=Member.Relation.HOUSEHOLDER).first()
    relative = User.objects.get(username="demo_relative")
    householder.user, householder.name = relative, relative.name
    householder.name_pinyin, householder.name_initials = name_pinyin(relative.name)
    householder.save()
    # abroad members name the householder as their contact at home
    heads = dict(
        Member.objects.filter(
            household__key__startswith="DEMO-", relation=Member.Relation.HOUSEHOLDER
        ).values_list("household_id", "pk")
    )
    abroad = list(Member.objects.filter(household__key__startswith="DEMO-", lives_abroad=True))
    for member in abroad:
        member.home_contact_id = heads.get(member.household_id)
    Member.objects.bulk_update(abroad, ["home_contact"], batch_size=2000)
    names = dict(Member.objects.filter(pk__in=heads.values()).values_list("household_id", "name"))
    for household in households:
        household.householder_name = names.get(household.pk, "")
    Household.objects.bulk_update(households, ["householder_name"], batch_size=2000)
    stdout.write(
        f"households: {len(households)} households, {len(members)} people, "
        f"{len(communities)} communities, {len(groups)} grid groups."
    )
    return []
