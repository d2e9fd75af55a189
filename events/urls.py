from django.urls import path

from . import views

app_name = "events"
urlpatterns = [
    path("", views.my_signups, name="my_signups"),
    path("<int:signup_id>/cancel/", views.my_signup_cancel, name="my_signup_cancel"),
]
