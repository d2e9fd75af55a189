from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """Liveness for load balancers, and the benchmarks' 'trivial Django view' ceiling."""
    return HttpResponse("ok", content_type="text/plain")


def _to_allauth_login(request, *, default: str) -> HttpResponseRedirect:
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = default
    return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': target})}")


# Wagtail's own login, password reset and private-page login would bypass allauth: its rate
# limits, phone verification and second factor. Their URLs lead to allauth's views instead, on
# any method: a form posted to them is never read, so no password is ever checked there.


def admin_login_redirect(request):
    """Wagtail's admin login (/admin/login/)."""
    return _to_allauth_login(request, default=reverse("wagtailadmin_home"))


def frontend_login_redirect(request):
    """Wagtail's login for private pages (/_util/login/)."""
    return _to_allauth_login(request, default="/")


def password_reset_redirect(request, rest: str = ""):
    """Wagtail's admin password reset (/admin/password_reset/…): allauth's, by email code."""
    return HttpResponseRedirect(reverse("account_reset_password"))
