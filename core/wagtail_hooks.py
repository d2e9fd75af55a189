from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_views
from .selectors import user_sees_notices


@hooks.register("register_admin_urls")
def register_notice_urls():
    return [
        path("notices/", admin_views.notice_list, name="core_notices"),
        path(
            "notices/<int:notice_id>/resend/", admin_views.notice_resend, name="core_notice_resend"
        ),
    ]


class NoticesMenuItem(MenuItem):
    def is_shown(self, request):
        return user_sees_notices(request.user)


@hooks.register("register_admin_menu_item")
def register_notices_menu_item():
    return NoticesMenuItem(
        _("未送达通知"), reverse_lazy("core_notices"), name="notices", icon_name="mail", order=900
    )
