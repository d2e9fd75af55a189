"""Wagtail's site-history report, served by the register so that register entries follow the
user's scope (``households.history``); the names and ``reverse()`` stay Wagtail's, so these
come before Wagtail's admin URLs (portal/urls.py)."""

from django.urls import path

from . import history

urlpatterns = [
    path("", history.site_history),
    path("results/", history.site_history_results),
]
