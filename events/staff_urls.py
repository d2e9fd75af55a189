"""Staff screens under /admin/events/ (included by events.admin_urls); names ``events_staff_*``."""

from django.urls import path

from . import staff_views

urlpatterns = [
    path("", staff_views.event_overview, name="events_staff_index"),
    path("report/", staff_views.events_report, name="events_staff_report"),
    path("<int:event_id>/signups/", staff_views.event_signups, name="events_staff_signups"),
    path(
        "<int:event_id>/signups/export/",
        staff_views.event_signups_export,
        name="events_staff_signups_export",
    ),
    path(
        "<int:event_id>/signups/<int:signup_id>/cancel/",
        staff_views.signup_cancel,
        name="events_staff_signup_cancel",
    ),
    path(
        "<int:event_id>/signup-member/",
        staff_views.signup_member,
        name="events_staff_signup_member",
    ),
    path("<int:event_id>/copy/", staff_views.event_copy, name="events_staff_copy"),
]
