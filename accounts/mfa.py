"""A second factor for the people who can see everything: allauth's own ``allauth.mfa``.

Staff, superusers and every role that may unmask numbers (cadres and group leaders hold
``households.unmask_member``) sign in with a one-time code from an authenticator app (TOTP),
with recovery codes for a lost phone. Relatives are never asked.

allauth asks for the code at every login that has an authenticator (its MFA login stage); it
does not make anyone set one up, and it only guards its own login views. The rest is here and
in ``accounts.middleware.MFARequiredMiddleware``:

- ``mfa_required(user)`` is the one rule of who must use it, read fresh on every request, so a
  user who is given a responsibility later is sent to set it up on their next request;
- a session of such a user counts only if it passed the second factor in allauth's flow (the
  "mfa" entry allauth records in the session), so a login made past allauth (Wagtail's own
  login view, a future one) opens nothing;
- setting up the authenticator proves possession of it, so it marks the session as passed.
"""

from __future__ import annotations

from allauth.account.internal.flows.login import get_authentication_records, record_authentication
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.base import forms as mfa_base_forms
from allauth.mfa.models import Authenticator
from allauth.mfa.totp import forms as mfa_totp_forms
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

#: The permission that lets a role see full numbers. households.selectors.user_may_unmask reads
#: the same one; accounts may not import households, so the string is repeated here.
UNMASK_PERMISSION = "households.unmask_member"

#: The method name allauth records in the session when the second factor was passed.
MFA_METHOD = "mfa"


def mfa_required(user: AbstractBaseUser) -> bool:
    """Whether ``user`` must sign in with an authenticator app: staff, superusers and every
    role that may unmask numbers. Relatives (and volunteers, committee members) are not."""
    if not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_staff or user.is_superuser or user.has_perm(UNMASK_PERMISSION))


def has_totp(user: AbstractBaseUser) -> bool:
    return Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).exists()


def session_passed_mfa(request: HttpRequest, user: AbstractBaseUser) -> bool:
    """Whether this session's login of ``user`` passed the second factor.

    Reads the authentication records allauth keeps in the session (its MFA stage, its
    reauthentication and our activation form add an "mfa" entry). The records belong to one
    user: allauth ignores them when the session's user changes.
    """
    return any(
        record.get("method") == MFA_METHOD for record in get_authentication_records(request, user)
    )


def session_mark_mfa_passed(request: HttpRequest, user: AbstractBaseUser, **extra) -> None:
    """Record in the session that ``user`` just proved possession of their authenticator."""
    record_authentication(request, user, MFA_METHOD, **extra)


class MFAAdapter(DefaultMFAAdapter):
    """allauth.mfa's adapter with our wording and the user's name as the label in the app."""

    error_messages = {
        "add_email_blocked": _("账户已启用身份验证器，不能再添加电子邮箱。"),
        "cannot_delete_authenticator": _("不能停用身份验证器。"),
        "cannot_generate_recovery_codes": _("请先绑定身份验证器，再生成恢复码。"),
        "incorrect_code": _(
            "动态码不对。请输入身份验证器里现在显示的6位数字，或一个没用过的恢复码。"
        ),
        "unverified_email": _("请先验证您的电子邮箱，再绑定身份验证器。"),
    }

    def get_totp_label(self, user: AbstractBaseUser) -> str:
        # What the authenticator app shows under "侨心": the person's name (or masked phone).
        return getattr(user, "display_name", "") or super().get_totp_label(user)


def _code_field(field, *, label) -> None:
    field.label = label
    field.widget.attrs.update(
        {
            "placeholder": "",
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "autofocus": True,
            "class": "code-input",
        }
    )


class ActivateTOTPForm(mfa_totp_forms.ActivateTOTPForm):
    """Binding the authenticator: a right code proves the phone holds the secret, so the
    session counts as having passed the second factor (else the user, just set up, would be
    sent back to the login)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _code_field(self.fields["code"], label=_("身份验证器显示的6位动态码"))

    @property
    def secret_grouped(self) -> str:
        """The secret in groups of four, for typing it into the app by hand."""
        return " ".join(self.secret[i : i + 4] for i in range(0, len(self.secret), 4))

    def clean_code(self) -> str:
        from allauth.core import context

        try:
            code = super().clean_code()
        except ValidationError as error:
            if error.code == "incorrect_code":  # no recovery codes yet: say only what applies
                raise ValidationError(
                    _("动态码不对。请输入应用里“侨心”下面现在显示的6位数字。"), code=error.code
                ) from None
            raise
        session_mark_mfa_passed(context.request, self.user, type=Authenticator.Type.TOTP)
        return code


class AuthenticateForm(mfa_base_forms.AuthenticateForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _code_field(self.fields["code"], label=_("动态码或恢复码"))


class ReauthenticateForm(mfa_base_forms.ReauthenticateForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        _code_field(self.fields["code"], label=_("动态码或恢复码"))
