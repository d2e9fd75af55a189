from django.urls import path

from . import views

app_name = "events"
urlpatterns = [
    path("", views.my_signups, name="my_signups"),
    path("<int:signup_id>/cancel/", views.my_signup_cancel, name="my_signup_cancel"),
    # The sign-up form of an event page posts here (plain URLs: no page routing for a write).
    path("join/<int:event_id>/", views.event_signup, name="signup"),
    path("leave/<int:event_id>/", views.event_cancel, name="cancel"),
]
