"""The register's "two communities" world (tests/households/conftest.py) plus the team's
skills. The ``relative`` persona is 王秀英 of hA1 (community A); the ``outsider`` is 赵外人 of
hB1 (community B)."""

from __future__ import annotations

import pytest

from tests.factories.volunteers import skills_standard
from tests.households.conftest import HOUSEHOLDER, SCOPE, World, world  # noqa: F401


@pytest.fixture
def skills(db):
    return skills_standard()
