"""The admin's account page ("账户") leads to allauth's pages for what Wagtail's own screens no
longer do (settings: WAGTAIL_EMAIL_MANAGEMENT_ENABLED / WAGTAIL_PASSWORD_MANAGEMENT_ENABLED):
email addresses are changed only with allauth's verification, passwords with its limits."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks


@hooks.register("register_account_menu_item")
def email_addresses_item(request):
    return {
        "url": reverse("account_email"),
        "label": _("电子邮箱"),
        "help_text": _("添加或更换电子邮箱；新的邮箱要点击确认邮件里的链接才生效。"),
    }


@hooks.register("register_account_menu_item")
def password_item(request):
    return {
        "url": reverse("account_change_password"),
        "label": _("修改密码"),
        "help_text": _("需要输入当前密码。忘记了的话，可以退出后用短信验证码登录再设置。"),
    }
