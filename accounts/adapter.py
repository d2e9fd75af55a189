"""django-allauth adapter: the User stores its own phone number; codes go out by SMS."""

from __future__ import annotations

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.httpkit import clean_client_ip, get_client_ip
from django.contrib import messages
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.phones import InvalidPhone, normalize_phone

from .forms import PhoneField
from .models import User
from .sms import SmsError, send_sms

logger = logging.getLogger(__name__)


def login_key(**credentials) -> str:
    """The one name of a login attempt's account for the failed-login counter: a phone number
    in E.164 however it was typed, an email address lower-cased.

    allauth keys the counter on ``email`` or ``username`` only, so every phone login shared one
    empty key and five wrong passwords for any number locked out every phone login.
    """
    phone = credentials.get("phone")
    if phone:
        try:
            return f"phone:{normalize_phone(phone)}"
        except InvalidPhone:
            return f"phone:{phone.strip()}"
    email = credentials.get("email")
    if email:
        return f"email:{email.strip().lower()}"
    return f"username:{(credentials.get('username') or '').strip().lower()}"


class AccountAdapter(DefaultAccountAdapter):
    # Our own wording for the messages people meet most; the rest come from allauth's catalogues.
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "incorrect_code": gettext_lazy("验证码不正确，请核对短信里的6位数字后重新输入。"),
        "too_many_login_attempts": gettext_lazy(
            "尝试次数太多，已暂停。请稍等几分钟再试；验证码输错多次的，请重新登录获取新的验证码。"
        ),
        "phone_password_mismatch": gettext_lazy(
            "手机号码或密码不正确。忘记密码可以用短信验证码登录。"
        ),
        "email_password_mismatch": gettext_lazy("电子邮箱或密码不正确。"),
        "phone_taken": gettext_lazy("这个手机号码已经注册过了，请直接登录。"),
        "email_taken": gettext_lazy("这个电子邮箱已经注册过了，请直接登录。"),
        "unknown_phone": gettext_lazy("这个手机号码还没有注册。"),
        "rate_limited": gettext_lazy("操作太频繁了，请稍等一会儿再试。"),
    }

    # --- rate limits ---------------------------------------------------------------------------

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # Used by pre_authenticate (counting failures) and by _delete_login_attempts_cached_email
        # (clearing them after a password reset): one key per account identifier.
        return f"{get_current_site(request).domain}:{login_key(**credentials)}"

    def get_client_ip(self, request) -> str:
        """The client's address for per-IP limits, honouring ALLAUTH_TRUSTED_PROXY_COUNT
        (settings ``TRUSTED_PROXY_COUNT``). allauth raises ImproperlyConfigured (a 500) when
        X-Forwarded-For has fewer addresses than trusted proxies, i.e. the request did not come
        through them all: then the address that reached us is the one to count."""
        try:
            ip = get_client_ip(request)
        except ImproperlyConfigured:
            logger.warning("X-Forwarded-For has fewer addresses than TRUSTED_PROXY_COUNT")
            remote = request.META.get("REMOTE_ADDR")
            ip = clean_client_ip(remote) if remote else None
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    # --- phone numbers -------------------------------------------------------------------------

    def phone_form_field(self, **kwargs):
        kwargs.pop("label", None)
        return PhoneField(**kwargs)

    def set_phone(self, user: User, phone: str, verified: bool) -> None:
        user.phone = phone
        user.phone_verified = verified
        user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user: User) -> tuple[str, bool] | None:
        if user.phone:
            return user.phone, user.phone_verified
        return None

    def set_phone_verified(self, user: User, phone: str) -> None:
        self.set_phone(user, phone, True)

    def get_user_by_phone(self, phone: str) -> User | None:
        try:
            e164 = normalize_phone(phone)
        except InvalidPhone:
            return None
        return User.objects.filter(phone=e164, is_active=True).order_by("pk").first()

    def _send(self, phone: str, text: str) -> None:
        try:
            send_sms(phone=phone, text=text)
        except SmsError:
            logger.warning("verification SMS to %s failed", phone)
            request = getattr(self, "request", None)
            if request is not None:
                messages.error(request, _("短信发送失败，请稍后点击“重新发送”再试。"))

    def send_verification_code_sms(self, user: User, phone: str, code: str, **kwargs) -> None:
        minutes = self._code_minutes()
        self._send(
            phone,
            _("您的验证码是 %(code)s，%(minutes)s 分钟内有效。请勿告诉他人。")
            % {"code": code, "minutes": minutes},
        )

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        self._send(
            phone, _("有人用这个号码登录侨心，但该号码尚未注册。如需注册，请打开网站点击“注册”。")
        )

    def send_account_already_exists_sms(self, phone: str) -> None:
        self._send(phone, _("这个号码已经注册过侨心账户，请直接登录；忘记密码可用短信验证码登录。"))

    @staticmethod
    def _code_minutes() -> int:
        from allauth.account import app_settings

        return max(1, app_settings.PHONE_VERIFICATION_TIMEOUT // 60)

    def save_user(self, request, user, form, commit=True):
        user.name = form.cleaned_data.get("name", "").strip()
        return super().save_user(request, user, form, commit=commit)
