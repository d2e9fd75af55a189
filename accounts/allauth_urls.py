"""The account pages under /accounts/: allauth's, with our phone verification in front of its
own (the same view with a clear message when the code has expired)."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("phone/verify/", views.verify_phone, name="account_verify_phone"),
    path("", include("allauth.urls")),
]
