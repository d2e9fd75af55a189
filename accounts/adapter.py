"""django-allauth adapter: the User stores its own phone number; codes go out by SMS."""

from __future__ import annotations

import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.internal.httpkit import clean_client_ip, get_client_ip
from django.contrib import messages
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.phones import InvalidPhone, normalize_phone

from .forms import PhoneField
from .models import User
from .ownership import (
    email_release_elsewhere,
    user_claim_by_proof,
    user_email_release,
    user_has_owner,
)
from .services import user_welcome_owe
from .sms import SmsError, SmsPurpose, SmsRateLimited, SmsRefused, send_sms, sms_throttle

# allauth's "we sent you a code" messages, not shown when the text was not sent.
_SMS_SENT_MESSAGES = (
    "account/messages/phone_verification_sent.txt",
    "account/messages/login_code_sent.txt",
)

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
        # allauth calls this for every proof of a number: the code at sign-up, the login by
        # code, the check after a password login, a change of number. Only a first proof made
        # without the password takes the account over (pre-hijacking, accounts/ownership.py).
        first_proof = not User.objects.filter(pk=user.pk, phone=phone, phone_verified=True).exists()
        if (
            first_proof
            and not user_has_owner(user)
            and self._proven_without_password(user, phone=phone)
        ):
            self._claim(user, proven_phone=phone)
        self.set_phone(user, phone, True)
        # The welcome text waits for a verified number (accounts.notices); a user welcomed
        # already gets nothing more.
        user_welcome_owe(user=user)

    # --- first proof of ownership -------------------------------------------------------------

    def _proven_without_password(
        self, user: User, *, phone: str | None = None, email: str | None = None
    ) -> bool:
        """True when this session proved ``phone`` or ``email`` with a login code (or the email
        with a password-reset code) and did not give the account's password: the person is the
        owner of the number or mailbox, not necessarily whoever set the account up."""
        from allauth.account.internal.flows.login import get_authentication_records
        from allauth.account.internal.flows.password_reset_by_code import (
            PASSWORD_RESET_VERIFICATION_SESSION_KEY,
        )

        request = self.request
        if request is None or not hasattr(request, "session"):
            return False
        records = get_authentication_records(request, user)
        if any(record.get("method") == "password" for record in records):
            return False
        if phone:
            return any(r.get("method") == "code" and r.get("phone") == phone for r in records)
        email = (email or "").lower()
        by_code = any(
            r.get("method") == "code" and (r.get("email") or "").lower() == email for r in records
        )
        reset = request.session.get(PASSWORD_RESET_VERIFICATION_SESSION_KEY) or {}
        by_reset = (
            bool(reset.get("code_confirmed"))
            and (reset.get("email") or "").lower() == email
            and str(reset.get("user_id")) == str(user.pk)
        )
        return by_code or by_reset

    def _claim(self, user: User, **proof) -> None:

        had_password = user.has_usable_password()
        user_claim_by_proof(user=user, **proof)
        if had_password and self.request is not None:
            messages.warning(
                self.request,
                _(
                    "这个账户以前没有确认过，为安全起见，之前设置的密码已经作废，"
                    "其他设备上的登录也已退出。请设置一个新密码。"
                ),
            )

    def login(self, request, user: User) -> None:
        # The account may have changed since allauth loaded it (a claim voids the password): the
        # session must keep the current password hash, or the next request would log out.
        user.refresh_from_db(fields=["password", "email", "phone", "phone_verified", "name"])
        super().login(request, user)

    def email_proven(self, request, email_address) -> None:
        """An address was verified for the first time (allauth's ``email_confirmed``) by a code
        (login code, password-reset code). A confirmation link is ``confirm_email``'s."""

        user = email_address.user
        # whoever typed this address into another account could not prove it: it is free there
        email_release_elsewhere(email=email_address.email, owner_id=user.pk)
        if user_has_owner(user, apart_from_email=email_address.email):
            return  # the account belongs to whoever proved one of its identifiers first
        if self._proven_without_password(user, email=email_address.email):
            self._claim(user, proven_email=email_address.email)

    def confirm_email(self, request, email_address) -> bool:
        """A confirmation link was followed (allauth calls this for links only; codes verify
        through ``verify_email_indirectly``).

        The link proves the mailbox, not the password. Followed in a browser that is neither
        the one that signed the account up nor logged in as it, on an account nobody owns yet,
        it is a first proof without the password: the account goes to the mailbox's owner
        (``user_claim_by_proof``), who is then led to set a password through the password
        reset (a link logs nobody in: allauth logs in only the browser that signed up). So an
        attacker who signs up with someone's address and a password of their own loses the
        account the moment its owner confirms it.

        On an account someone owns already, the same link does not confirm the address (it
        would give the mailbox's owner the attacker's account, pre-hijacking the other way
        round): the address is released from the account (``user_email_release``) and the
        visitor told they may sign up or log in with it. Returns False then, which allauth's
        view answers like a link that confirms nothing (to the login page, with our message)."""

        user = email_address.user
        elsewhere = (
            not self._is_signing_up_browser(request, user)
            # a code proof of this address in this browser is email_proven's to handle
            and not self._proven_without_password(user, email=email_address.email)
        )
        if elsewhere and user_has_owner(user, apart_from_email=email_address.email):
            user_email_release(user=user, email=email_address.email)
            messages.info(
                request,
                _(
                    "这个电子邮箱是别人填进一个账户的，未经您确认，现已从那个账户解除。"
                    "您可以用它注册，或用它登录自己的账户。如果是您自己在账户里添加的，"
                    "请登录后重新添加，并在登录着的浏览器里打开确认链接。"
                ),
            )
            return False
        claims = elsewhere and not user_has_owner(user)
        confirmed = super().confirm_email(request, email_address)
        if confirmed and claims:
            self._claim(user, proven_email=email_address.email)
        return confirmed

    _SIGNED_UP_SESSION_KEY = "accounts_signed_up_user"

    def _is_signing_up_browser(self, request, user: User) -> bool:
        """This browser made ``user``'s account (or is logged in as it). allauth's own mark, the
        pending sign-up in the session, lasts only ACCOUNT_LOGIN_TIMEOUT (15 minutes); ours
        lasts as long as the session (``save_user``)."""
        from allauth.account.stages import EmailVerificationStage, LoginStageController

        if request.user.is_authenticated:
            return request.user.pk == user.pk
        if str(request.session.get(self._SIGNED_UP_SESSION_KEY)) == str(user.pk):
            return True
        stage = LoginStageController.enter(request, EmailVerificationStage.key)
        return bool(stage and stage.login.user and stage.login.user.pk == user.pk)

    def get_email_verification_redirect_url(self, email_address) -> str:
        # An account without a password (claimed by this very link: it was voided) and nobody
        # logged in: its owner sets one with the address they just proved.
        if not self.request.user.is_authenticated:
            user = User.objects.filter(pk=email_address.user_id).only("password").first()
            if user is not None and not user.has_usable_password():
                return reverse("account_reset_password")
        return super().get_email_verification_redirect_url(email_address)

    def get_login_redirect_url(self, request) -> str:
        # Someone whose password was voided (or who never had one) is asked to set one.
        if not request.user.has_usable_password():
            return reverse("accounts:password")
        return super().get_login_redirect_url(request)

    def get_user_by_phone(self, phone: str) -> User | None:
        try:
            e164 = normalize_phone(phone)
        except InvalidPhone:
            return None
        return User.objects.filter(phone=e164, is_active=True).order_by("pk").first()

    # --- texts ----------------------------------------------------------------------------------
    # allauth sends three texts. Only the code may go to a number nobody has verified; the other
    # two exist so that the browser cannot tell a registered number from another (allauth's
    # anti-enumeration), and a text to a number nobody verified would let anyone make the site
    # write to any number. So those are dropped unless a verified account holds the number, and
    # a dropped text still counts against the limits: the browser sees the same either way.

    def _send(self, phone: str, text: str | None, purpose: SmsPurpose) -> None:
        """Send (or, with ``text=None``, only count) one text; tell the person when it failed."""
        request = self.request
        try:
            if text is None:
                sms_throttle(phone=phone, request=request)
            else:
                send_sms(phone=phone, text=text, purpose=purpose, request=request)
        except SmsRateLimited as exc:
            logger.warning("SMS (%s) refused by the %s limit", purpose, exc.scope)
            self._sms_not_sent(_("短信发送太频繁，请过一个小时再试；也可以改用电子邮箱登录。"))
        except SmsRefused:
            if purpose == SmsPurpose.CODE:  # the phone forms refuse such numbers before this
                self._sms_not_sent(_("无法向这个号码发送短信，请换一个手机号码。"))
        except SmsError:
            logger.warning("SMS (%s) failed", purpose)
            self._sms_not_sent(_("短信发送失败，请稍后点击“重新发送”再试。"))

    def _sms_not_sent(self, text: str) -> None:
        if self.request is not None:
            # allauth adds "the code was sent" after this; add_message drops it.
            self.request._sms_not_sent = True
            messages.error(self.request, text)

    def add_message(
        self,
        request,
        level,
        message_template=None,
        message_context=None,
        extra_tags="",
        message=None,
    ) -> None:
        if getattr(request, "_sms_not_sent", False) and message_template in _SMS_SENT_MESSAGES:
            return
        super().add_message(
            request, level, message_template, message_context, extra_tags, message=message
        )

    def send_verification_code_sms(self, user: User, phone: str, code: str, **kwargs) -> None:
        minutes = self._code_minutes()
        self._send(
            phone,
            _("您的验证码是 %(code)s，%(minutes)s 分钟内有效。请勿告诉他人。")
            % {"code": code, "minutes": minutes},
            SmsPurpose.CODE,
        )

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        # No account has this number, so nobody has verified it: never text it, only count.
        self._send(phone, None, SmsPurpose.ACCOUNT)

    def send_account_already_exists_sms(self, phone: str) -> None:
        # Sent only when a verified account holds the number (SmsPurpose.ACCOUNT checks).
        self._send(
            phone,
            _("这个号码已经注册过侨心账户，请直接登录；忘记密码可用短信验证码登录。"),
            SmsPurpose.ACCOUNT,
        )

    @staticmethod
    def _code_minutes() -> int:
        from allauth.account import app_settings

        return max(1, app_settings.PHONE_VERIFICATION_TIMEOUT // 60)

    def save_user(self, request, user, form, commit=True):
        user.name = form.cleaned_data.get("name", "").strip()
        user = super().save_user(request, user, form, commit=commit)
        if commit and user.pk and hasattr(request, "session"):
            # the browser that signed up: its confirmation link is no claim (confirm_email)
            request.session[self._SIGNED_UP_SESSION_KEY] = user.pk
        return user
