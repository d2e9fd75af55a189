from django.urls import path

from . import certificate_views, hours_views, request_views, shift_views, views

app_name = "volunteers"
urlpatterns = [
    path("apply/", views.apply, name="apply"),
    path("me/", views.mine, name="mine"),
    path("me/<str:action>/", views.mine_standing, name="mine_standing"),
    path("tasks/", request_views.tasks, name="tasks"),
    path("verify/<str:serial>/", certificate_views.verify, name="verify"),
    path(
        "certificates/<str:serial>.pdf",
        certificate_views.my_certificate,
        name="my_certificate",
    ),
    path("hours/", hours_views.my_hours, name="hours"),
    path(
        "hours/checkin/<int:taking_id>/",
        hours_views.hours_from_checkin,
        name="hours_from_checkin",
    ),
    path("hours/confirm/", hours_views.hours_confirmations, name="hours_confirmations"),
    path("hours/confirm/<int:entry_id>/", hours_views.hours_confirm, name="hours_confirm"),
    path("shifts/", shift_views.shift_list, name="shifts"),
    path("shifts/<int:event_id>/", shift_views.shift_detail, name="shift"),
    path("shifts/slot/<int:slot_id>/take/", shift_views.slot_take, name="slot_take"),
    path("shifts/taking/<int:taking_id>/cancel/", shift_views.taking_cancel, name="taking_cancel"),
    path("help/", request_views.request_list, name="requests"),
    path("help/new/", request_views.request_new, name="request_new"),
    path("help/<int:request_id>/", request_views.request_detail, name="request_detail"),
    path("help/<int:request_id>/contact/", request_views.request_contact, name="request_contact"),
    path(
        "help/<int:request_id>/<str:action>/",
        request_views.request_action,
        name="request_action",
    ),
]
