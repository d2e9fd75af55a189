"""Every index of the register's two big tables is one a query needs, and none is there twice
(migration 0009): each index is written for every person an import adds."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes"),
]

MEMBER = {
    "households_member_pkey",
    "households_member_user_id_key",  # one member per account
    "households_member_home_contact_id_b1d48430",  # who names this person as contact
    "member_unique_id_number",
    "member_natural_key",  # also the household's members
    "member_household_idx",  # household + relation
    "member_category_idx",
    "member_birth_idx",  # age bands
    "member_name_idx",  # sorting, equality
    "member_mobile_idx",  # the whole number
    "member_country_idx",
    # migrations 0003/0004: the searches by part of a name, number, pinyin or initials
    "member_name_trgm",
    "member_mobile_trgm",
    "member_initials_like",
    "member_pinyin_like",
    "member_name_like",
    "member_name_reverse_like",
}
HOUSEHOLD = {
    "households_household_pkey",
    "households_household_key_key",
    "households_household_key_03e79481_like",
    "households_household_merged_into_id_ab0598e0",
    "household_community_idx",  # community + status + id: lists and the foreign key
    "household_group_idx",  # grid group + status: lists and the foreign key
    "household_householder_idx",  # sorting
    "household_address_trgm",
}


def _indexes(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


@pytest.mark.parametrize(
    ("table", "expected"), [("households_member", MEMBER), ("households_household", HOUSEHOLD)]
)
def test_the_register_has_each_index_it_needs_once(table, expected):
    indexes = _indexes(table)
    assert set(indexes) == expected
    # no two indexes on the same columns with the same method and operator class
    bodies = [definition.split(" USING ", 1)[1] for definition in indexes.values()]
    assert len(bodies) == len(set(bodies)), sorted(bodies)
