from django.urls import path, reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import (
    admin_hours_views,
    admin_report_views,
    admin_request_views,
    admin_shift_views,
    admin_views,
    certificate_views,
)
from .models import Skill


@hooks.register("register_admin_urls")
def register_volunteer_urls():
    return [
        path("volunteers/", admin_views.volunteer_list, name="volunteers_admin_list"),
        path("volunteers/enrol/", admin_views.volunteer_enrol, name="volunteers_admin_enrol"),
        path(
            "volunteers/requests/",
            admin_request_views.request_list,
            name="volunteers_admin_requests",
        ),
        path(
            "volunteers/requests/<int:request_id>/",
            admin_request_views.request_detail,
            name="volunteers_admin_request",
        ),
        path(
            "volunteers/requests/<int:request_id>/assign/",
            admin_request_views.request_assign,
            name="volunteers_admin_request_assign",
        ),
        path(
            "volunteers/requests/<int:request_id>/cancel/",
            admin_request_views.request_cancel,
            name="volunteers_admin_request_cancel",
        ),
        path(
            "volunteers/reports/", admin_report_views.report_index, name="volunteers_admin_reports"
        ),
        path("volunteers/hours/", admin_hours_views.hours_list, name="volunteers_admin_hours"),
        path(
            "volunteers/hours/<int:entry_id>/confirm/",
            admin_hours_views.hours_confirm,
            name="volunteers_admin_hours_confirm",
        ),
        path(
            "volunteers/hours/<int:entry_id>/correct/",
            admin_hours_views.hours_correct,
            name="volunteers_admin_hours_correct",
        ),
        path(
            "volunteers/hours/<int:entry_id>/reverse/",
            admin_hours_views.hours_reverse,
            name="volunteers_admin_hours_reverse",
        ),
        path("volunteers/shifts/", admin_shift_views.shift_list, name="volunteers_admin_shifts"),
        path(
            "volunteers/shifts/<int:event_id>/",
            admin_shift_views.shift_detail,
            name="volunteers_admin_shift",
        ),
        path(
            "volunteers/shifts/<int:event_id>/take/",
            admin_shift_views.shift_take_for,
            name="volunteers_admin_shift_take",
        ),
        path(
            "volunteers/shifts/<int:event_id>/cancel/<int:taking_id>/",
            admin_shift_views.shift_taking_cancel,
            name="volunteers_admin_shift_cancel",
        ),
        path(
            "volunteers/<int:volunteer_id>/",
            admin_views.volunteer_detail,
            name="volunteers_admin_detail",
        ),
        path(
            "volunteers/<int:volunteer_id>/approve/",
            admin_views.volunteer_approve,
            name="volunteers_admin_approve",
        ),
        path(
            "volunteers/<int:volunteer_id>/decline/",
            admin_views.volunteer_decline,
            name="volunteers_admin_decline",
        ),
        path(
            "volunteers/<int:volunteer_id>/standing/<str:action>/",
            admin_views.volunteer_standing,
            name="volunteers_admin_standing",
        ),
        path(
            "volunteers/<int:volunteer_id>/certificates/",
            certificate_views.admin_issue,
            name="volunteers_admin_certificate_issue",
        ),
        path(
            "volunteers/<int:volunteer_id>/certificates/<str:serial>.pdf",
            certificate_views.admin_download,
            name="volunteers_admin_certificate",
        ),
        path(
            "volunteers/<int:volunteer_id>/proof/<int:skill_id>/",
            admin_views.volunteer_proof,
            name="volunteers_admin_proof",
        ),
    ]


class VolunteersMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("volunteers.view_volunteer")


class RequestsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("volunteers.manage_helprequest")


@hooks.register("register_admin_menu_item")
def register_volunteers_menu_item():
    return VolunteersMenuItem(
        _("义工服务队"),
        reverse_lazy("volunteers_admin_list"),
        name="volunteers",
        icon_name="group",
        order=310,
    )


class ShiftsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("volunteers.manage_shifts")


@hooks.register("register_admin_menu_item")
def register_shifts_menu_item():
    return ShiftsMenuItem(
        _("义工岗位"),
        reverse_lazy("volunteers_admin_shifts"),
        name="volunteer_shifts",
        icon_name="date",
        order=312,
    )


class HoursMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("volunteers.record_hours")


@hooks.register("register_admin_menu_item")
def register_hours_menu_item():
    return HoursMenuItem(
        _("服务时长"),
        reverse_lazy("volunteers_admin_hours"),
        name="volunteer_hours",
        icon_name="time",
        order=313,
    )


class ReportsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("volunteers.view_volunteer")


@hooks.register("register_admin_menu_item")
def register_reports_menu_item():
    return ReportsMenuItem(
        _("义工报表"),
        reverse_lazy("volunteers_admin_reports"),
        name="volunteer_reports",
        icon_name="table",
        order=314,
    )


@hooks.register("register_admin_menu_item")
def register_requests_menu_item():
    return RequestsMenuItem(
        _("互助需求"),
        reverse_lazy("volunteers_admin_requests"),
        name="help_requests",
        icon_name="help",
        order=311,
    )


class SkillViewSet(SnippetViewSet):
    model = Skill
    icon = "tag"
    menu_label = _("义工技能")
    menu_name = "volunteer_skills"
    list_display = ["name", "needs_proof", "is_active", "sort_order"]
    ordering = ["sort_order", "name"]
    copy_view_enabled = False


register_snippet(SkillViewSet)
