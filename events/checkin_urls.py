"""Check-in at the door, under /admin/events/checkin/ (included by events.admin_urls)."""

from django.urls import path

from . import checkin_views as views

urlpatterns = [
    path("", views.checkin_index, name="events_checkin_index"),
    path("<int:event_id>/", views.checkin_event, name="events_checkin_event"),
    path("<int:event_id>/scan/", views.checkin_scan, name="events_checkin_scan"),
    path(
        "<int:event_id>/signups/<int:signup_id>/check-in/",
        views.checkin_signup,
        name="events_checkin_signup",
    ),
    path(
        "<int:event_id>/signups/<int:signup_id>/undo/",
        views.checkin_undo,
        name="events_checkin_undo",
    ),
    path(
        "<int:event_id>/signups/<int:signup_id>/check-out/",
        views.checkin_check_out,
        name="events_checkin_check_out",
    ),
    path("<int:event_id>/walk-in/", views.checkin_walk_in, name="events_checkin_walk_in"),
]
