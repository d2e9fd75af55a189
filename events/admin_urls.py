"""The events app's own admin screens, mounted under /admin/events/ by wagtail_hooks."""

from django.urls import include, path

urlpatterns = [
    path("checkin/", include("events.checkin_urls")),
    path("", include("events.staff_urls")),
]
