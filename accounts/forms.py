from __future__ import annotations

import re
import unicodedata

from allauth.account.forms import ConfirmLoginCodeForm as AllauthConfirmLoginCodeForm
from allauth.account.forms import (
    ConfirmPasswordResetCodeForm as AllauthConfirmPasswordResetCodeForm,
)
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import RequestLoginCodeForm as AllauthRequestLoginCodeForm
from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.forms import VerifyPhoneForm as AllauthVerifyPhoneForm
from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.phones import InvalidPhone, NotTextable, normalize_phone, textable_check

from .models import NAME_MAX_LENGTH, User
from .ownership import email_taken_by_someone, user_may_receive_code
from .sms import sms_would_allow


class PhoneField(forms.CharField):
    """A mobile number as people type it; cleans to E.164.

    Mainland numbers need no country code (13812345678); numbers abroad start with + or 00.
    """

    default_error_messages = {
        "invalid_phone": _(
            "请输入有效的手机号码：大陆手机号直接填写11位号码（如 13812345678），"
            "境外号码请加国家或地区代码（如 +852 6123 4567）。"
        ),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("手机号码"))
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "type": "tel",
                    "autocomplete": "tel",
                    "inputmode": "tel",
                    "placeholder": _("如 13812345678"),
                }
            ),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        try:
            phone = normalize_phone(value)
            textable_check(phone)  # every number here receives codes: no premium rate, no region
        except NotTextable as exc:  # outside SMS_ALLOWED_REGIONS (see core.phones)
            raise forms.ValidationError(exc.message, code=f"not_textable_{exc.code}") from None
        except InvalidPhone:
            raise forms.ValidationError(
                self.error_messages["invalid_phone"], code="invalid_phone"
            ) from None
        return phone


# Text that reads as a link: a scheme, "www.", or a word, a dot and letters ("e.vil",
# "evil。com" with a full-width stop). No space after the dot: "John F. Kennedy" is a name.
_LINK_LIKE = re.compile(r"[a-z][a-z0-9+.-]*:/|www\.|[a-z0-9-]+[.．。｡][a-z]{2,}", re.I)


class PersonNameField(forms.CharField):
    """A person's name: one line, short, no link. It is put into mails and texts the site
    sends (the welcome, allauth's confirmation mail), to addresses that may belong to someone
    else: a name "您的补贴已到账⏎请访问 http://… 领取" would make them read like ours. Line
    breaks, control and invisible format characters and links are refused (so the person sees
    why); runs of spaces become one."""

    default_error_messages = {
        "name_not_one_line": _("姓名里不能有网址或换行，请只填写您的姓名。"),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("姓名"))
        kwargs.setdefault("max_length", NAME_MAX_LENGTH)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"autocomplete": "name", "placeholder": _("您的姓名")}),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cs") for ch in value):
            raise forms.ValidationError(
                self.error_messages["name_not_one_line"], code="name_not_one_line"
            )
        if _LINK_LIKE.search(value):
            raise forms.ValidationError(
                self.error_messages["name_not_one_line"], code="name_not_one_line"
            )
        return " ".join(value.split())


class SignupForm(AllauthSignupForm):
    """Sign-up by mobile number or by email (at least one), with a name to greet people by."""

    name = PersonNameField()

    field_order = ["name", "phone", "email", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "email" in self.fields:
            self.fields["email"].label = _("电子邮箱（选填）")
            self.fields["email"].widget.attrs["placeholder"] = _("没有可不填")
        if "phone" in self.fields:
            self.fields["phone"].help_text = _("用于接收验证码和活动通知。")

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("phone") and not cleaned.get("email") and not self.errors:
            raise forms.ValidationError(
                _("请填写手机号码或电子邮箱，至少一项，用于登录和接收通知。"), code="no_contact"
            )
        if cleaned.get("phone") and not self.errors:
            self._check_sms_limits(cleaned["phone"])
        return cleaned

    @staticmethod
    def _check_sms_limits(phone: str) -> None:
        """A sign-up with a number sends a text (the code, or "already registered"). Refused by
        the SMS limits, it must change nothing: so they are asked here, before the account is
        made, and the form comes back filled in. Looking counts nothing (``sms_would_allow``);
        the text itself is counted when it is sent."""
        from allauth.core import context

        if not sms_would_allow(phone=phone, request=context.request):
            raise forms.ValidationError(
                _("短信发送太频繁，请过一个小时再试；也可以不填手机号码，只用电子邮箱注册。"),
                code="sms_rate_limited",
            )

    # --- a registered address is never revealed -------------------------------------------
    # allauth hides a taken address only when email verification is mandatory for everyone;
    # ours is optional (many people have no email), so it answered "这个电子邮箱已经注册过了".
    # Instead the address's owner is told by email, and the browser sees what a new sign-up
    # sees: with a new phone number, the account is made without the address (and the number
    # must be verified); with no phone, the "confirm your email" page, which is also what a new
    # email-only sign-up gets now (it is logged in once the link is followed).

    email_taken = False

    def validate_unique_email(self, value: str) -> str:
        from allauth.account.adapter import get_adapter

        # An address parked unverified on an owned account is not taken: its owner may sign
        # up with it, and proving it releases it there (accounts.ownership).
        self.email_taken = email_taken_by_someone(value)
        return get_adapter().validate_unique_email(value)

    def try_save(self, request):
        from allauth.account.app_settings import EmailVerificationMethod
        from allauth.account.internal.flows.login import perform_login
        from allauth.account.internal.flows.signup import complete_signup
        from allauth.account.models import Login

        email = self.cleaned_data.get("email")
        phone = self.cleaned_data.get("phone")
        if self.account_already_exists or not email:  # a taken number: allauth's own way
            return super().try_save(request)
        if self.email_taken and phone:
            self.cleaned_data["email"] = ""
            user, response = super().try_save(request)
            _tell_owner_of_taken_address(request, email)
            return user, response
        if self.email_taken:
            login = Login(
                user=None,
                email=email,
                signup=True,
                email_verification=EmailVerificationMethod.MANDATORY,
            )
            return None, perform_login(request, login)
        if not phone:
            user, response = super().try_save(request)
            if response is None:
                response = complete_signup(
                    request, user=user, email_verification=EmailVerificationMethod.MANDATORY
                )
            return user, response
        return super().try_save(request)


def _tell_owner_of_taken_address(request, email: str) -> None:
    """allauth's "someone tried to sign up with your address" mail, at most one per address in
    the confirm_email limit (the same that limits confirmation mails to it)."""
    from allauth.account.adapter import get_adapter
    from allauth.account.internal.flows.email_verification import (
        consume_email_verification_rate_limit,
    )

    if consume_email_verification_rate_limit(request, email):
        get_adapter(request).send_account_already_exists_mail(email)


def _code_field(form: forms.Form) -> None:
    field = form.fields["code"]
    field.label = _("短信验证码")
    field.widget.attrs.update(
        {"placeholder": _("6位数字"), "inputmode": "numeric", "autocomplete": "one-time-code"}
    )


class VerifyPhoneForm(AllauthVerifyPhoneForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _code_field(self)


# --- codes only to identifiers the account's owner proved -------------------------------------
# allauth sends a password reset or a login code to any address (or number) an account holds,
# verified or not; whoever owns an address typed into someone else's account would then open
# it. The rule is accounts.ownership.user_may_receive_code: an identifier nobody verified counts
# as unknown (allauth's enumeration prevention then answers exactly as for an unknown one),
# unless nobody owns the account yet. It is checked when the code is asked for and again when
# it is entered, in case the account found an owner in between.


def _check_code_still_opens(user, *, email: str | None = None, phone: str | None = None) -> None:

    if user is not None and not user_may_receive_code(user, email=email, phone=phone):
        raise forms.ValidationError(
            _("这个验证码已经失效，请重新获取验证码。"), code="code_no_longer_valid"
        )


class ResetPasswordForm(AllauthResetPasswordForm):
    def clean_email(self) -> str:

        email = super().clean_email()
        self.users = [user for user in self.users if user_may_receive_code(user, email=email)]
        return email


class RequestLoginCodeForm(AllauthRequestLoginCodeForm):
    def clean_phone(self) -> str:
        phone = super().clean_phone()
        self._forget_user_unless_it_may_receive(phone=phone)
        return phone

    def clean_email(self) -> str:
        email = super().clean_email()
        self._forget_user_unless_it_may_receive(email=email)
        return email

    def _forget_user_unless_it_may_receive(self, **identifier) -> None:

        user = getattr(self, "_user", None)
        if any(identifier.values()) and user and not user_may_receive_code(user, **identifier):
            self._user = None  # allauth then sends nothing and shows "code sent"


class ConfirmLoginCodeForm(AllauthConfirmLoginCodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _code_field(self)

    def clean_code(self) -> str:
        from allauth.core import context

        code = super().clean_code()
        stage = getattr(context.request, "_login_stage", None)  # set by allauth's view
        if stage is not None and stage.state.get("initiated_by_user"):
            _check_code_still_opens(
                stage.login.user, email=stage.state.get("email"), phone=stage.state.get("phone")
            )
        return code


class ConfirmPasswordResetCodeForm(AllauthConfirmPasswordResetCodeForm):
    def clean_code(self) -> str:
        from allauth.account.internal.flows.password_reset_by_code import (
            PASSWORD_RESET_VERIFICATION_SESSION_KEY,
        )
        from allauth.core import context

        code = super().clean_code()
        state = context.request.session.get(PASSWORD_RESET_VERIFICATION_SESSION_KEY) or {}
        user_id = state.get("user_id")
        user = User.objects.filter(pk=user_id).first() if user_id else None
        _check_code_still_opens(user, email=state.get("email"))
        return code


class LoginForm(AllauthLoginForm):
    """allauth's login with wording for people who log in by phone number."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = _("手机号码或电子邮箱")
        login.widget.attrs.update({"placeholder": _("如 13812345678"), "autocomplete": "username"})
        if "password" in self.fields:
            self.fields["password"].label = _("密码")
            self.fields["password"].help_text = format_html(
                '{} <a href="{}">{}</a> · <a href="{}">{}</a>',
                _("忘记密码？"),
                f"{reverse('account_request_login_code')}?next={reverse('accounts:password')}",
                _("用短信验证码登录并设置新密码"),
                reverse("account_reset_password"),
                _("通过电子邮箱重设"),
            )


class NewPasswordForm(SetPasswordForm):
    """A new password without the old one, for someone who has just proved the phone is theirs."""
