"""The benchmarks' yardstick POST (``events.views.bench_post``): routed only with
``BENCH_ENDPOINTS=1``, and when routed, as guarded as any logged-in form post."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import NoReverseMatch, reverse

from events.urls import bench_urlpatterns

pytestmark = pytest.mark.django_db

PATH = "/me/events/bench/post/"


def test_the_site_has_no_bench_endpoint(client, relative):
    client.force_login(relative)

    assert client.post(PATH).status_code == 404
    with pytest.raises(NoReverseMatch):
        reverse("events:bench_post")


def test_only_bench_endpoints_1_routes_it(monkeypatch):
    monkeypatch.delenv("BENCH_ENDPOINTS", raising=False)
    assert bench_urlpatterns() == []
    monkeypatch.setenv("BENCH_ENDPOINTS", "0")
    assert bench_urlpatterns() == []
    monkeypatch.setenv("BENCH_ENDPOINTS", "1")
    assert [pattern.name for pattern in bench_urlpatterns()] == ["bench_post"]


@pytest.mark.urls("tests.events.urls_bench")
def test_when_routed_it_needs_a_login_and_the_csrf_token(relative):
    anonymous = Client().post(PATH)  # (the CSRF check is off in this one)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")

    client = Client(enforce_csrf_checks=True)
    client.force_login(relative)
    assert client.post(PATH).status_code == 403  # no CSRF token
    assert client.get(PATH).status_code == 405
    client.get("/me/events/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    assert client.post(PATH, HTTP_X_CSRFTOKEN=token).status_code == 204
