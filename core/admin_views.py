"""The 未送达通知 screen in the Wagtail admin: notices the outbox has not delivered yet — stuck
(past their time), given up after too many failures, or waiting for the person — with a "send
again" button for staff (``core.resend_notice``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin.paginator import WagtailPaginator

from . import notices, selectors
from .models import Notice

PER_PAGE = 50

TAB_LABELS = {
    "stuck": gettext_lazy("待重发"),
    "failed": gettext_lazy("发送失败"),
    "waiting": gettext_lazy("等待对方操作"),
    "sent": gettext_lazy("已完成"),
}

CHANNEL_LABELS = {
    "site": gettext_lazy("站内信"),
    "sms": gettext_lazy("短信"),
    "email": gettext_lazy("邮件"),
}


def notice_list(request):
    if not selectors.user_sees_notices(request.user):
        raise PermissionDenied
    tab = request.GET.get("tab", "stuck")
    if tab not in selectors.NOTICE_TABS:
        tab = "stuck"
    paginator = WagtailPaginator(selectors.notices_in_tab(tab), PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("p"))
    counts = selectors.notice_tab_counts()
    return TemplateResponse(
        request,
        "core/notices.html",
        {
            "tab": tab,
            "tabs": [(key, TAB_LABELS[key], counts.get(key)) for key in selectors.NOTICE_TABS],
            "rows": selectors.notice_rows(list(page_obj.object_list)),
            "page_obj": page_obj,
            "elided_page_range": paginator.get_elided_page_range(page_obj.number),
            "may_resend": selectors.user_resends_notices(request.user),
            "channel_labels": CHANNEL_LABELS,
        },
    )


@require_POST
def notice_resend(request, notice_id: int):
    if not selectors.user_resends_notices(request.user):
        raise PermissionDenied
    notice = get_object_or_404(Notice, pk=notice_id)
    if notice.done_at is not None:
        messages.warning(request, _("这条通知已经发送完成，无需再发。"))
    else:
        notices.notice_retry(notice_id=notice.pk)
        messages.success(
            request,
            _("已重新排队发送：%(what)s。已经发出的渠道不会重复发送。")
            % {"what": notices.notice_describe(notice)},
        )
    return redirect(f"{reverse('core_notices')}?tab={request.POST.get('tab', 'stuck')}")
