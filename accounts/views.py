import time

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from .forms import NewPasswordForm
from .selectors import messages_recent, messages_unread_count, user_recently_logged_in_by_code
from .services import messages_mark_read, user_password_set


@login_required
def me(request):
    """The person's own page: who they are, their messages, and where to go next.

    A POST marks every message as read (the "全部标为已读" button)."""

    if request.method == "POST":
        if messages_mark_read(user=request.user):
            messages.success(request, _("消息已全部标为已读。"))
        return redirect("accounts:me")
    context = {
        "account": request.user,
        "inbox": messages_recent(user=request.user),
        "unread_count": messages_unread_count(user=request.user),
    }
    return render(request, "accounts/me.html", context)


def verify_phone(request, *args, **kwargs):
    """allauth's phone verification, plus a message when the code has expired: allauth itself
    silently sends the person back to the login page, which leaves them wondering why."""
    # Imported here: allauth's stages module cannot be imported while the URLconf loads.
    from allauth.account import app_settings as allauth_settings
    from allauth.account.stages import LoginStageController, PhoneVerificationStage
    from allauth.account.views import verify_phone as allauth_verify_phone

    if not request.user.is_authenticated:
        stage = LoginStageController.enter(request, PhoneVerificationStage.key)
        state = stage.state if stage else None
        timeout = allauth_settings.PHONE_VERIFICATION_TIMEOUT
        if state and time.time() - state.get("at", time.time()) > timeout:
            messages.error(
                request,
                _(
                    "验证码已过期（%(minutes)s 分钟内有效）。"
                    "请用手机号和密码重新登录，我们会再发一条新的验证码。"
                )
                % {"minutes": timeout // 60},
            )
    return allauth_verify_phone(request, *args, **kwargs)


@login_required
def password_after_code(request):
    """Set a new password without the old one, right after a login by SMS code.

    This is the "forgot my password" path for the many people who have a phone and no email:
    allauth resets passwords by email only.
    """

    if not user_recently_logged_in_by_code(request=request, user=request.user):
        messages.info(
            request,
            _("要修改密码，请输入当前密码。忘记了的话，可以退出后用短信验证码登录再来设置。"),
        )
        return redirect("account_change_password")
    form = NewPasswordForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user_password_set(user=request.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(request, request.user)
        messages.success(request, _("新密码已设置，下次可以用手机号码和新密码登录。"))
        return redirect(reverse("accounts:me"))
    return render(request, "accounts/password_after_code.html", {"form": form})
