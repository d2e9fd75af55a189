"""Session lifetimes by role, and the second factor for those who must use one.

Both sit after Django's authentication middleware (they read ``request.user``) and before any
view, so they guard the public site, the field workspace and the Wagtail admin alike.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .mfa import has_totp, mfa_required, session_passed_mfa

#: When the session's lifetime was last pushed forward (seconds since the epoch).
SESSION_REFRESHED_KEY = "accounts_session_refreshed_at"


def session_idle_limit(user) -> int:
    """Seconds a session of ``user`` may stay unused: short for those who can see everything."""
    if mfa_required(user):
        return settings.SESSION_IDLE_STAFF_SECONDS
    return settings.SESSION_COOKIE_AGE


class SessionLifetimeMiddleware:
    """Staff and everyone who must use a second factor are logged out after
    ``SESSION_IDLE_STAFF_SECONDS`` (8 hours) without a request; relatives after
    ``SESSION_COOKIE_AGE`` (14 days).

    The session's expiry is set to the idle limit and pushed forward at most every
    ``SESSION_REFRESH_SECONDS``, so a busy user's session is not written on every request
    (the idle limit is thus met to within those few minutes). The session store enforces the
    expiry; the timestamp kept in the session enforces it too when the limit got shorter
    than the stored expiry (a relative given a responsibility, a lowered setting).

    allauth's ``ACCOUNT_SESSION_REMEMBER = True`` sets a password login's expiry to
    ``SESSION_COOKIE_AGE``; the response of that same login request sets it here to the role's
    limit, so it never outlives that.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            refreshed = request.session.get(SESSION_REFRESHED_KEY)
            if isinstance(refreshed, int | float) and time.time() - refreshed > (
                session_idle_limit(user)
            ):
                logout(request)
                messages.info(request, _("您已经很久没有操作了，为了账户安全，请重新登录。"))
        response = self.get_response(request)
        # After the view: a login in this request (request.user is now the new user) gets its
        # lifetime at once; a logout in it leaves nothing to refresh.
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._refresh(request, session_idle_limit(user))
        return response

    @staticmethod
    def _refresh(request: HttpRequest, limit: int) -> None:
        session = request.session
        now = int(time.time())
        refreshed = session.get(SESSION_REFRESHED_KEY)
        stale = not isinstance(refreshed, int | float) or (
            now - refreshed >= settings.SESSION_REFRESH_SECONDS
        )
        if stale or session.get("_session_expiry") != limit:
            session.set_expiry(limit)
            session[SESSION_REFRESHED_KEY] = now


#: Pages a user who must set up the second factor may still open: allauth's MFA pages, the
#: password or code check allauth asks for before binding, logout, the language switch, the
#: health check, and email verification (allauth will not bind an authenticator while an email
#: address is unverified). Static files never reach the URLconf.
MFA_SETUP_ALLOWED_URL_NAMES = frozenset(
    {
        "account_logout",
        "account_reauthenticate",
        "account_request_reauthentication_code",
        "account_confirm_reauthentication_code",
        "account_email",
        "account_email_verification_sent",
        "account_confirm_email",
        "set_language",
        "javascript-catalog",
        "healthz",
    }
)


def _setup_allowed(url_name: str | None) -> bool:
    if not url_name:
        return False
    return url_name.startswith("mfa_") or url_name in MFA_SETUP_ALLOWED_URL_NAMES


class MFARequiredMiddleware:
    """For a user who must use a second factor (``accounts.mfa.mfa_required``):

    - with no authenticator app yet, every page (public site and admin) sends them to allauth's
      activation page, which then shows the recovery codes;
    - with one, a session that did not pass the second factor in allauth's login flow is
      logged out and sent to the login (a login made past allauth opens nothing).

    Checked on every request, so a user given the unmask permission later is sent to set up
    on their next request. Works in ``process_view``, where the URL name is known.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or not mfa_required(user):
            return None
        match = request.resolver_match
        url_name = match.url_name if match else None
        # Asked first, on every request (one indexed query): a session that passed the second
        # factor and then unbound the app (to bind a new phone) must bind again before going on.
        if not has_totp(user):
            if _setup_allowed(url_name):
                return None
            return HttpResponseRedirect(reverse("mfa_activate_totp"))
        if session_passed_mfa(request, user) or url_name == "account_logout":
            return None
        logout(request)
        messages.warning(
            request,
            _("为保护侨户个人信息，工作人员登录时需要输入身份验证器中的动态码。请重新登录。"),
        )
        query = urlencode({REDIRECT_FIELD_NAME: request.get_full_path()})
        return HttpResponseRedirect(f"{reverse('account_login')}?{query}")
