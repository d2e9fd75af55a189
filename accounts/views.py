import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _


@login_required
def me(request):
    """The person's own page: who they are and where to go next."""
    return render(request, "accounts/me.html", {"account": request.user})


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
