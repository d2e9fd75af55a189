from django.urls import path

from core import env

from . import views

app_name = "events"
urlpatterns = [
    path("", views.my_signups, name="my_signups"),
    path("<int:signup_id>/cancel/", views.my_signup_cancel, name="my_signup_cancel"),
    # The sign-up form of an event page posts here (plain URLs: no page routing for a write).
    path("join/<int:event_id>/", views.event_signup, name="signup"),
    path("leave/<int:event_id>/", views.event_cancel, name="cancel"),
]


def bench_urlpatterns() -> list:
    """The benchmarks' yardstick (a logged-in POST that does nothing), routed only when the
    process was started with ``BENCH_ENDPOINTS=1`` (``bench/signups.py`` does): it is no part
    of the site."""
    if not env.boolean("BENCH_ENDPOINTS", False):
        return []
    return [path("bench/post/", views.bench_post, name="bench_post")]


urlpatterns += bench_urlpatterns()
