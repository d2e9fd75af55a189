from django.urls import include, path, reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.widgets import Button

from .pages import EventPage
from .staff_selectors import user_manages_signups, user_sees_event_screens


@hooks.register("register_admin_urls")
def register_events_admin_urls():
    return [path("events/", include("events.admin_urls"))]


# --- 活动报名 (sign-ups) -----------------------------------------------------------------------


class SignupsMenuItem(MenuItem):
    def is_shown(self, request):
        return user_sees_event_screens(request.user)


@hooks.register("register_admin_menu_item")
def register_signups_menu_item():
    return SignupsMenuItem(
        _("活动报名"),
        reverse_lazy("events_staff_index"),
        name="event-signups",
        icon_name="date",
        order=220,
    )


def _event_buttons(page, user, *, priority: int):
    """报名名单 and 复制到明年 on an event page, for staff who manage sign-ups. The copy button
    leads to a page that confirms with a POST (header buttons are plain links)."""
    if page.specific_class is not EventPage or not user_manages_signups(user):
        return
    yield Button(
        _("报名名单"),
        reverse("events_staff_signups", args=[page.pk]),
        icon_name="group",
        priority=priority,
    )
    yield Button(
        _("复制到明年"),
        reverse("events_staff_copy", args=[page.pk]),
        icon_name="copy",
        priority=priority + 1,
    )


@hooks.register("register_page_header_buttons")
def event_page_header_buttons(page, user, view_name, next_url=None):
    yield from _event_buttons(page, user, priority=35)


@hooks.register("register_page_listing_more_buttons")
def event_page_listing_more_buttons(page, user, next_url=None):
    yield from _event_buttons(page, user, priority=25)
