"""The site's URLconf with the benchmarks' yardstick routed, as under ``BENCH_ENDPOINTS=1``
(``tests/events/test_bench_endpoint.py``)."""

from django.urls import path

from events.views import bench_post
from portal.urls import handler500
from portal.urls import urlpatterns as site_urlpatterns

urlpatterns = [path("me/events/bench/post/", bench_post), *site_urlpatterns]

__all__ = ["handler500", "urlpatterns"]
