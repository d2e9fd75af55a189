from allauth.account import views as allauth_views
from django.conf import settings
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from accounts import views as accounts_views
from households import history as register_history

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # Before allauth's URLs: the same view with a clear message when the code has expired.
    path("accounts/phone/verify/", accounts_views.verify_phone, name="account_verify_phone"),
    path("accounts/", include("allauth.urls")),
    path("me/household/", include("households.urls")),
    path("me/events/", include("events.urls")),
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
    path("admin/reports/site-history/", register_history.site_history),
    path("admin/reports/site-history/results/", register_history.site_history_results),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]

# A database outage is a 503 page in the site's look, not a 500 (portal/views.py).
handler500 = "portal.views.server_error"
