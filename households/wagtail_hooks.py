from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from .selectors import user_works_on_register
from .stats import stats_view
from .viewsets import RegisterViewSetGroup


@hooks.register("register_admin_viewset")
def register_register_viewsets():
    return RegisterViewSetGroup()


# --- 名册统计 (register statistics) ----------------------------------------------------------


class StatsMenuItem(MenuItem):
    def is_shown(self, request):
        return user_works_on_register(request.user)


@hooks.register("register_admin_urls")
def register_stats_url():
    return [path("register/stats/", stats_view, name="households_stats")]


@hooks.register("register_admin_menu_item")
def register_stats_menu_item():
    return StatsMenuItem(
        _("名册统计"),
        reverse_lazy("households_stats"),
        name="register-stats",
        icon_name="table",
        order=210,
    )


@hooks.register("construct_main_menu")
def move_stats_into_register_menu(request, menu_items):
    """Show 名册统计 inside the 侨户名册 group. The group has no submenu hook, so the item is
    registered on the main menu (right after the group) and moved in here, per request: a new
    submenu each time, the shared one is left alone."""
    stats = next((item for item in menu_items if isinstance(item, StatsMenuItem)), None)
    group = next(
        (
            item
            for item in menu_items
            if isinstance(item, SubmenuMenuItem)
            and str(item.label) == str(RegisterViewSetGroup.menu_label)
        ),
        None,
    )
    if stats is None or group is None:
        return
    submenu = SubmenuMenuItem(
        group.label,
        Menu(items=[*group.menu.registered_menu_items, stats]),
        name=group.name,
        classname=group.classname,
        icon_name=group.icon_name,
        attrs=group.attrs,
        order=group.order,
    )
    menu_items[menu_items.index(group)] = submenu
    menu_items.remove(stats)
