from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from . import admin_views, import_views, services
from .admin_views import Writes
from .forms import HouseholdAdminForm, MemberAdminForm, ResponsibilityAdminForm
from .models import AccessLog, Community, GridGroup, Household, Member, Responsibility


class RegisterModelViewSet(ModelViewSet):
    """Create, edit and delete screens whose forms only parse: the model's services
    (``writes``) write, check the scope, keep the history and drop cached figures. Every
    per-object screen is scoped; no copying of records."""

    #: The model's services, called by the create, edit and delete screens.
    writes: Writes

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(writes=self.writes, **kwargs)

    add_view_class = admin_views.RegisterCreateView
    edit_view_class = admin_views.RegisterEditView
    # Wagtail's per-object screens, scoped: outside the user's scope they answer 404
    delete_view_class = admin_views.RegisterDeleteView
    history_view_class = admin_views.RegisterHistoryView
    usage_view_class = admin_views.RegisterUsageView
    copy_view_enabled = False


class HouseholdViewSet(RegisterModelViewSet):
    model = Household
    writes = Writes(
        create=lambda *, actor, fields: services.household_create(actor=actor, fields=fields),
        update=lambda *, actor, pk, changes: services.household_update(
            actor=actor, household_id=pk, changes=changes
        ),
        delete=lambda *, actor, pk: services.household_delete(actor=actor, household_id=pk),
    )
    icon = "home"
    menu_label = _("侨户")
    url_prefix = "register/households"
    url_namespace = "households_household"
    index_view_class = admin_views.HouseholdIndexView
    index_template_name = "households/admin/register_index.html"
    inspect_view_class = admin_views.HouseholdDetailView
    edit_view_class = admin_views.HouseholdEditView
    inspect_view_enabled = True
    list_per_page = 25
    list_export = [
        "key",
        "householder_name",
        "community.name",
        "grid_group.name",
        "address",
        "home_phone",
        "member_count",
        "flags_display",
        "get_status_display",
    ]
    export_headings = {
        "key": _("户编号"),
        "householder_name": _("户主姓名"),
        "community.name": _("社区"),
        "grid_group.name": _("侨眷小组"),
        "address": _("地址"),
        "home_phone": _("家庭电话"),
        "member_count": _("人数"),
        "flags_display": _("标记"),
        "get_status_display": _("状态"),
    }
    form_fields = HouseholdAdminForm._meta.fields

    def get_form_class(self, for_update=False):
        return HouseholdAdminForm

    def get_urlpatterns(self):

        return [
            *super().get_urlpatterns(),
            path("<int:pk>/move/", admin_views.household_move, name="move"),
            path("<int:pk>/merge/", admin_views.household_merge, name="merge"),
            path("member/<int:pk>/unmask/", admin_views.member_unmask, name="unmask"),
        ]


class MemberViewSet(RegisterModelViewSet):
    model = Member
    writes = Writes(
        create=lambda *, actor, fields: services.member_create(actor=actor, fields=fields),
        update=lambda *, actor, pk, changes: services.member_update(
            actor=actor, member_id=pk, changes=changes
        ),
        delete=lambda *, actor, pk: services.member_delete(actor=actor, member_id=pk),
    )
    icon = "user"
    menu_label = _("成员")
    url_prefix = "register/members"
    url_namespace = "households_member"
    index_view_class = admin_views.MemberIndexView
    index_template_name = "households/admin/register_index.html"
    edit_view_class = admin_views.MemberEditView
    list_per_page = 25
    list_export = [
        "name",
        "get_gender_display",
        "birth_date",
        "get_relation_display",
        "get_category_display",
        "country_display",
        "lives_abroad",
        "mobile",
        "id_number",
        "household.key",
        "household.community.name",
        "household.grid_group.name",
    ]
    export_headings = {
        "name": _("姓名"),
        "get_gender_display": _("性别"),
        "birth_date": _("出生日期"),
        "get_relation_display": _("与户主关系"),
        "get_category_display": _("类别"),
        "country_display": _("侨居国家（地区）"),
        "lives_abroad": _("在境外"),
        "mobile": _("手机号码"),
        "id_number": _("身份证号"),
        "household.key": _("户编号"),
        "household.community.name": _("社区"),
        "household.grid_group.name": _("侨眷小组"),
    }
    form_fields = MemberAdminForm._meta.fields

    def get_form_class(self, for_update=False):
        return MemberAdminForm


class CommunityViewSet(RegisterModelViewSet):
    model = Community
    writes = Writes(
        create=lambda *, actor, fields: services.community_create(actor=actor, fields=fields),
        update=lambda *, actor, pk, changes: services.community_update(
            actor=actor, community_id=pk, changes=changes
        ),
        delete=lambda *, actor, pk: services.community_delete(actor=actor, community_id=pk),
    )
    icon = "site"
    menu_label = _("社区")
    url_prefix = "register/communities"
    url_namespace = "households_community"
    list_display = ["name", "kind"]
    form_fields = ["name", "kind", "sort_order"]


class GridGroupViewSet(RegisterModelViewSet):
    model = GridGroup
    writes = Writes(
        create=lambda *, actor, fields: services.grid_group_create(actor=actor, fields=fields),
        update=lambda *, actor, pk, changes: services.grid_group_update(
            actor=actor, grid_group_id=pk, changes=changes
        ),
        delete=lambda *, actor, pk: services.grid_group_delete(actor=actor, grid_group_id=pk),
    )
    icon = "group"
    menu_label = _("侨眷小组")
    url_prefix = "register/grid-groups"
    url_namespace = "households_gridgroup"
    list_display = ["name", "community"]
    list_filter = ["community"]
    form_fields = ["community", "name"]


class ResponsibilityViewSet(RegisterModelViewSet):
    model = Responsibility
    # Granting brings the level's role group and records the granter; setting the end date
    # records who ended it and takes the role group away once none of that level is left.
    writes = Writes(
        create=lambda *, actor, fields: services.responsibility_assign(actor=actor, **fields),
        update=lambda *, actor, pk, changes: services.responsibility_update(
            actor=actor, responsibility_id=pk, changes=changes
        ),
        delete=lambda *, actor, pk: services.responsibility_delete(
            actor=actor, responsibility_id=pk
        ),
    )
    icon = "user"
    menu_label = _("联系责任")
    url_prefix = "register/responsibilities"
    url_namespace = "households_responsibility"
    list_display = [
        "user",
        "level",
        "community",
        "grid_group",
        "start_date",
        "end_date",
        "granted_by",
        "granted_at",
        "ended_by",
    ]
    list_filter = ["level", "community"]
    form_fields = ResponsibilityAdminForm._meta.fields

    index_view_class = admin_views.ResponsibilityIndexView

    def get_form_class(self, for_update=False):
        return ResponsibilityAdminForm


class AccessLogViewSet(ModelViewSet):
    model = AccessLog
    icon = "list-ul"
    menu_label = _("访问记录")
    url_prefix = "register/access-log"
    url_namespace = "households_accesslog"
    index_view_class = admin_views.AccessLogIndexView
    list_display = ["at", "user", "action", "object_type", "object_id", "row_count", "filters"]
    list_filter = ["action", "object_type"]
    list_per_page = 100
    copy_view_enabled = False
    form_fields = ["action"]  # required by ModelViewSet; the edit views are not routed

    def get_urlpatterns(self):
        # read only: rows are written by the register itself, never by hand
        return [p for p in super().get_urlpatterns() if p.name in ("index", "index_results")]


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm("households.import_register")


class ImportViewSet(ViewSet):
    """Upload → column mapping → dry run → import (households/import_views.py)."""

    name = "households_import"
    icon = "upload"
    menu_label = _("导入名册")
    url_prefix = "register/import"
    url_namespace = "households_import"
    menu_item_class = ImportMenuItem

    def get_urlpatterns(self):

        return [
            path("", import_views.import_start, name="start"),
            path("template.xlsx", import_views.import_template, name="template"),
            path("<int:pk>/", import_views.import_batch, name="batch"),
            path("<int:pk>/mapping/", import_views.import_mapping, name="mapping"),
            path("<int:pk>/rejected.xlsx", import_views.import_rejected, name="rejected"),
            path("<int:pk>/abandon/", import_views.import_abandon, name="abandon"),
            path("<int:pk>/file/", import_views.import_file_download, name="file"),
        ]


class RegisterViewSetGroup(ViewSetGroup):
    menu_label = _("侨户名册")
    menu_icon = "folder-open-inverse"
    menu_order = 200
    items = [
        HouseholdViewSet,
        MemberViewSet,
        CommunityViewSet,
        GridGroupViewSet,
        ResponsibilityViewSet,
        AccessLogViewSet,
        ImportViewSet,
    ]
