import logging
import sys
from urllib.parse import urlencode

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseRedirect, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from core.locking import is_busy_error

logger = logging.getLogger(__name__)


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


#
# Wagtail sends a logged-in person it refuses (no admin access; a private page for other
# groups) to its login URL too (WAGTAILADMIN_LOGIN_URL, WAGTAIL_FRONTEND_LOGIN_URL point
# here). allauth's login sends a logged-in visitor straight on to ``next``, i.e. back to the
# page that refused them: the browser bounced between the two for ever. A logged-in person
# gets the site's 403 page instead: logging in again would not help.


def _refused(request):
    return render(request, "403.html", status=403)


def admin_login_redirect(request):
    """Wagtail's admin login (/admin/login/)."""
    if request.user.is_authenticated and not request.user.has_perm("wagtailadmin.access_admin"):
        return _refused(request)
    return _to_allauth_login(request, default=reverse("wagtailadmin_home"))


def frontend_login_redirect(request):
    """Wagtail's login for private pages (/_util/login/)."""
    if request.user.is_authenticated:
        return _refused(request)
    return _to_allauth_login(request, default="/")


def password_reset_redirect(request, rest: str = ""):
    """Wagtail's admin password reset (/admin/password_reset/…): allauth's, by email code."""
    return HttpResponseRedirect(reverse("account_reset_password"))


# -- errors -------------------------------------------------------------------------------------


def server_error(request):
    """handler500. A database that is away (a restart, a fail-over, too many connections) or a
    lock that stayed taken is not our bug: the person gets a 503 page in the site's look that
    says nothing was saved and to try again (it reloads itself), with Retry-After. The next
    request opens a new connection (CONN_HEALTH_CHECKS), so the site recovers by itself.

    Rendered without a request context: the context processors would ask the database again.
    """
    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError | InterfaceError) or (
        isinstance(exc, DatabaseError) and is_busy_error(exc)
    ):
        busy = is_busy_error(exc)
        logger.warning("answered 503 (%s): %r", "busy" if busy else "database unavailable", exc)
        body = loader.get_template("503.html").render({"busy": busy})
        response = HttpResponse(body, status=503)
        response["Retry-After"] = "5" if busy else "30"
        return response
    return HttpResponseServerError(loader.get_template("500.html").render())
