from django.urls import path

from . import views

app_name = "households"
urlpatterns = [
    path("", views.my_household, name="my_household"),
]
