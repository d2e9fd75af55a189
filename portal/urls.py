from allauth.account import views as allauth_views
from django.conf import settings
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # allauth's, with our phone verification in front of its own (accounts/allauth_urls.py)
    path("accounts/", include("accounts.allauth_urls")),
    path("me/household/", include("households.urls")),
    path("me/events/", include("events.urls")),
    path("volunteers/", include("volunteers.urls")),
    path("me/", include("accounts.urls")),
    # Before Wagtail's URLs: allauth's views are the only login, logout and password reset
    # (see portal/views.py). Logging out of the admin is allauth's logout itself.
    path("admin/login/", views.admin_login_redirect, name="admin_login_redirect"),
    path("admin/logout/", allauth_views.logout, name="admin_logout"),
    path("admin/password_reset/", views.password_reset_redirect),
    path("admin/password_reset/<path:rest>", views.password_reset_redirect),
    path("_util/login/", views.frontend_login_redirect, name="frontend_login_redirect"),
    # Before Wagtail's URLs: the site-history report limited to the register scope
    # (households/history.py); the names and reverse() stay Wagtail's.
    path("admin/reports/site-history/", include("households.history_urls")),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]

# A database outage is a 503 page in the site's look, not a 500 (portal/views.py).
handler500 = "portal.views.server_error"
