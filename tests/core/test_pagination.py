"""The capped count: exact up to its limit, "more than" past it, every page reachable."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.pagination import CappedCountPaginator


def test_a_list_within_the_limit_is_counted_exactly():
    paginator = CappedCountPaginator(list(range(30)), 10, count_limit=30)
    assert paginator.count == 30 and not paginator.count_capped
    assert paginator.num_pages == 3
    assert list(paginator.get_elided_page_range(1)) == [1, 2, 3]


def test_past_the_limit_there_are_more_pages_and_no_last_one():
    paginator = CappedCountPaginator(list(range(1000)), 10, count_limit=100)
    assert paginator.count_capped
    assert paginator.count == 101  # more than the limit: no further
    assert paginator.pages_counted == 10
    ELLIPSIS = paginator.ELLIPSIS
    assert list(paginator.get_elided_page_range(1)) == [1, 2, 3, 4, ELLIPSIS]
    assert list(paginator.get_elided_page_range(6)) == [1, ELLIPSIS, 6, 7, ELLIPSIS]
    # the last page within the count is whole, and has a next one
    page = paginator.page(10)
    assert list(page.object_list) == list(range(90, 100)) and page.has_next()


@pytest.mark.parametrize(
    ("page", "limit"),
    [(None, 100), ("1", 100), ("x", 100), ("-3", 100), ("10", 100), ("11", 110), ("40", 400)],
)
def test_the_limit_reaches_the_page_asked_for(page, limit):
    assert CappedCountPaginator.limit_for(page=page, per_page=10, at_least=100) == limit


@pytest.mark.django_db
def test_a_queryset_is_counted_no_further_than_the_limit():
    types = ContentType.objects.order_by("pk")
    total = types.count()
    assert total > 12
    with CaptureQueriesContext(connection) as queries:
        paginator = CappedCountPaginator(types, 5, count_limit=10)
        assert paginator.count == 11 and paginator.count_capped
    (sql,) = [q["sql"] for q in queries]
    assert "LIMIT 11" in sql and "ORDER BY" not in sql
    exact = CappedCountPaginator(types, 5, count_limit=total)
    assert exact.count == total and not exact.count_capped
