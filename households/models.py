"""The register of overseas-Chinese households, shared by every module.

People are read through ``households.selectors`` only: that is where the scope of each role
is decided (staff see all, a group leader only their grid groups' households, …).
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.masking import mask_id_number, mask_phone
from core.storage import private_storage

from .normalize import country_label


class Community(models.Model):
    class Kind(models.TextChoices):
        URBAN = "urban", _("城市社区")
        FISHING_RURAL = "fishing_rural", _("渔农村社区")
        VILLAGE = "village", _("村（社）")

    name = models.CharField(_("名称"), max_length=60, unique=True)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.URBAN)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("社区")
        verbose_name_plural = _("社区")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class GridGroup(models.Model):
    """A grid group (侨眷小组) of about fifteen households, looked after by a group leader."""

    community = models.ForeignKey(
        Community, verbose_name=_("社区"), on_delete=models.PROTECT, related_name="grid_groups"
    )
    name = models.CharField(_("名称"), max_length=60)

    class Meta:
        verbose_name = _("侨眷小组")
        verbose_name_plural = _("侨眷小组")
        ordering = ["community__sort_order", "community__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="gridgroup_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.community.name} · {self.name}"


class Household(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("在册")
        MOVED_AWAY = "moved_away", _("已迁出")
        DISSOLVED = "dissolved", _("已注销")
        MERGED = "merged", _("已合并")

    key = models.CharField(
        _("户编号"),
        max_length=64,
        unique=True,
        help_text=_("导入时用来识别同一户；再次导入同一文件不会重复建户。"),
    )
    # Indexes: see Meta (household_community_idx and household_group_idx begin with these
    # columns, so the foreign keys need none of their own).
    community = models.ForeignKey(
        Community,
        verbose_name=_("社区"),
        on_delete=models.PROTECT,
        related_name="households",
        db_index=False,
    )
    grid_group = models.ForeignKey(
        GridGroup,
        verbose_name=_("侨眷小组"),
        on_delete=models.PROTECT,
        related_name="households",
        null=True,
        blank=True,
        db_index=False,
    )
    householder_name = models.CharField(_("户主姓名"), max_length=40, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    home_phone = models.CharField(_("家庭电话"), max_length=24, blank=True)
    is_key = models.BooleanField(_("重点侨户"), default=False)
    is_hardship = models.BooleanField(_("困难侨户"), default=False)
    is_empty_nest = models.BooleanField(_("空巢户"), default=False)
    notes = models.TextField(_("备注"), blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.ACTIVE
    )
    status_date = models.DateField(_("状态变更日期"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("并入"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_from",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("侨户")
        verbose_name_plural = _("侨户")
        ordering = ["community_id", "grid_group_id", "id"]
        indexes = [
            models.Index(fields=["community", "status", "id"], name="household_community_idx"),
            models.Index(fields=["grid_group", "status"], name="household_group_idx"),
            # the list sorts by it; searches by part of it read the trigram-less text anyway
            models.Index(fields=["householder_name"], name="household_householder_idx"),
        ]
        permissions = [
            ("view_all_households", _("查看全部侨户（不受网格范围限制）")),
            ("import_register", _("导入侨户名册")),
        ]

    def __str__(self) -> str:
        return self.householder_name or self.key

    def clean(self) -> None:
        # The grid group decides who looks after the household: one from another community
        # would hand it to that community's people while the record says it is here.
        if (
            self.grid_group_id
            and self.community_id
            and self.grid_group.community_id != self.community_id
        ):
            raise ValidationError(
                {"grid_group": _("这个侨眷小组不属于所选的社区，请选择本社区的小组。")}
            )

    @property
    def masked_home_phone(self) -> str:
        return mask_phone(self.home_phone) if self.home_phone else ""

    @property
    def flags_display(self) -> str:
        flags = [
            (self.is_key, _("重点")),
            (self.is_hardship, _("困难")),
            (self.is_empty_nest, _("空巢")),
        ]
        # the list separator is a translation too: "、" in Chinese, ", " in English
        return str(_("、")).join(str(label) for on, label in flags if on)


#: What ``member_natural_key`` compares a missing birth date as (no one is born on it).
NO_BIRTH_DATE = date(1, 1, 1)


class Member(models.Model):
    class Gender(models.TextChoices):
        MALE = "male", _("男")
        FEMALE = "female", _("女")

    class Category(models.TextChoices):
        RETURNEE = "returnee", _("归侨")
        RELATIVE = "relative", _("侨眷")
        OVERSEAS_CHINESE = "overseas_chinese", _("华侨")
        ETHNIC_CHINESE = "ethnic_chinese", _("华人")
        HK_MACAO = "hk_macao", _("港澳同胞")
        STUDENT_ABROAD = "student_abroad", _("留学生")

    class Relation(models.TextChoices):
        HOUSEHOLDER = "householder", _("户主")
        SPOUSE = "spouse", _("配偶")
        CHILD = "child", _("子女")
        CHILD_IN_LAW = "child_in_law", _("儿媳/女婿")
        PARENT = "parent", _("父母")
        GRANDCHILD = "grandchild", _("孙辈")
        GRANDPARENT = "grandparent", _("祖辈")
        SIBLING = "sibling", _("兄弟姐妹")
        OTHER = "other", _("其他")

    # Indexes: see Meta and migrations 0003/0004 (PostgreSQL's LIKE and trigram indexes).
    # member_household_idx and member_natural_key begin with the household, so the foreign
    # key needs no index of its own; db_index on a CharField would add a second LIKE index on
    # PostgreSQL beside 0003/0004's (migration 0009 removed those).
    household = models.ForeignKey(
        Household,
        verbose_name=_("侨户"),
        on_delete=models.PROTECT,
        related_name="members",
        db_index=False,
    )
    name = models.CharField(_("姓名"), max_length=40)
    name_pinyin = models.CharField(_("姓名拼音"), max_length=160, blank=True, editable=False)
    name_initials = models.CharField(_("拼音首字母"), max_length=40, blank=True, editable=False)
    gender = models.CharField(_("性别"), max_length=6, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    relation = models.CharField(
        _("与户主关系"), max_length=16, choices=Relation.choices, default=Relation.OTHER
    )
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    country = models.CharField(
        _("侨居国家（地区）"),
        max_length=2,
        blank=True,
        help_text=_("ISO 3166 两位代码；香港、澳门、台湾按地区记录。"),
    )
    lives_abroad = models.BooleanField(_("在境外"), default=False)
    home_contact = models.ForeignKey(
        "self",
        verbose_name=_("国内联系人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_for",
    )
    mobile = models.CharField(_("手机号码"), max_length=20, blank=True)
    id_number = models.CharField(_("身份证号"), max_length=18, blank=True)
    consent_contact = models.BooleanField(_("同意联系"), default=False)
    is_deceased = models.BooleanField(_("已故"), default=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账户"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
    )
    notes = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("成员")
        verbose_name_plural = _("成员")
        ordering = ["household_id", "id"]
        indexes = [
            models.Index(fields=["household", "relation"], name="member_household_idx"),
            models.Index(fields=["category", "lives_abroad"], name="member_category_idx"),
            models.Index(fields=["birth_date"], name="member_birth_idx"),
            # equality and sorting (LIKE and contains: migrations 0003/0004)
            models.Index(fields=["name"], name="member_name_idx"),
            models.Index(fields=["mobile"], name="member_mobile_idx"),
            models.Index(fields=["country"], name="member_country_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"], condition=~Q(id_number=""), name="member_unique_id_number"
            ),
            # The natural key the import finds a person by when there is no ID number: one
            # person of a name and birth date per household, a missing date counting as one
            # value (NULLs are otherwise all distinct), so that two writers cannot both add
            # the same person (migration 0008; `manage.py register_duplicates` merges old
            # duplicates).
            models.UniqueConstraint(
                "household",
                "name",
                Coalesce("birth_date", Value(NO_BIRTH_DATE), output_field=models.DateField()),
                name="member_natural_key",
                violation_error_message=_(
                    "这一户已经登记了姓名和出生日期都相同的成员（都没有填出生日期的也算相同），"
                    "同一个人不能登记两次。请打开已有的那位成员修改；如果确实是两个人，"
                    "请填写各自的出生日期。"
                ),
            ),
        ]
        permissions = [("unmask_member", _("查看完整的手机号和身份证号（每次查看都会记录）"))]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.home_contact_id is None:
            return
        if self.pk and self.home_contact_id == self.pk:
            raise ValidationError({"home_contact": _("国内联系人不能是本人。")})
        if self.household_id and self.home_contact.household_id != self.household_id:
            raise ValidationError({"home_contact": _("国内联系人要是同一户的成员。")})

    @property
    def country_display(self) -> str:

        return country_label(self.country, get_language() or "zh-hans") if self.country else ""

    @property
    def masked_mobile(self) -> str:
        return mask_phone(self.mobile) if self.mobile else ""

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number) if self.id_number else ""


class Responsibility(models.Model):
    """Three-level responsibility (三级负责联系制): who looks after which households, and since
    when. Reassigning ends the old row and starts a new one, so the history stays."""

    class Level(models.TextChoices):
        COMMITTEE_MEMBER = "committee_member", _("街道侨联委员")
        CADRE = "cadre", _("社区侨务干部")
        GROUP_LEADER = "group_leader", _("侨眷小组长")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        on_delete=models.PROTECT,
        related_name="responsibilities",
    )
    level = models.CharField(_("层级"), max_length=20, choices=Level.choices)
    community = models.ForeignKey(
        Community, verbose_name=_("社区"), on_delete=models.PROTECT, null=True, blank=True
    )
    grid_group = models.ForeignKey(
        GridGroup, verbose_name=_("侨眷小组"), on_delete=models.PROTECT, null=True, blank=True
    )
    start_date = models.DateField(_("开始日期"))
    end_date = models.DateField(_("结束日期"), null=True, blank=True)
    # Who gave and who took the access a responsibility brings. PROTECT: this is the record of
    # who opened the register to whom, and it must outlive nothing it names; accounts are
    # deactivated, not deleted (``user`` above is PROTECT for the same reason). Null for
    # grants made before this was recorded and by set-up code (demo data).
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("安排人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("安排时间"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("结束人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("联系责任")
        verbose_name_plural = _("联系责任")
        ordering = ["level", "start_date"]
        indexes = [models.Index(fields=["user", "end_date"], name="responsibility_user_idx")]
        constraints = [
            # a committee member covers communities; a group leader grid groups; a cadre either
            models.CheckConstraint(
                condition=(
                    Q(level="committee_member", community__isnull=False, grid_group__isnull=True)
                    | Q(level="group_leader", community__isnull=True, grid_group__isnull=False)
                    | Q(level="cadre", community__isnull=False, grid_group__isnull=True)
                    | Q(level="cadre", community__isnull=True, grid_group__isnull=False)
                ),
                name="responsibility_target_matches_level",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="responsibility_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.user} → {self.grid_group or self.community}"


class AccessLog(models.Model):
    """Who read what in the register: every list, detail, export, import and unmasking."""

    # One row per read: keep it out of Wagtail's reference index (nothing looks up a log row's
    # usages, and the index update cost every register list a few percent).
    wagtail_reference_index_ignore = True

    class Action(models.TextChoices):
        LIST = "list", _("查看列表")
        DETAIL = "detail", _("查看详情")
        EXPORT = "export", _("导出")
        IMPORT = "import", _("导入")
        UNMASK = "unmask", _("查看完整号码")
        STATS = "stats", _("查看统计")
        SEARCH = "search", _("按号码搜索")
        EDIT = "edit", _("打开编辑表单")
        FILE = "file", _("下载名册文件")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    object_type = models.CharField(_("对象"), max_length=20, blank=True)
    object_id = models.BigIntegerField(_("对象编号"), null=True, blank=True)
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    row_count = models.IntegerField(_("行数"), null=True, blank=True)
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("名册访问记录")
        verbose_name_plural = _("名册访问记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.get_action_display()}"


class HouseholdChange(models.Model):
    """A household's history: moves between grid groups, merges, status changes, imports,
    edits of the household and of its members (the fields' names, never their values)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("建档")
        UPDATED = "updated", _("修改")
        MOVED = "moved", _("调整小组")
        MERGED = "merged", _("合并")
        STATUS = "status", _("状态变更")
        IMPORTED = "imported", _("导入更新")
        MEMBER_ADDED = "member_added", _("新增成员")
        MEMBER_CHANGED = "member_changed", _("修改成员")
        MEMBER_REMOVED = "member_removed", _("删除成员")

    household = models.ForeignKey(
        Household, verbose_name=_("侨户"), on_delete=models.CASCADE, related_name="changes"
    )
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    detail = models.JSONField(_("内容"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("侨户变更记录")
        verbose_name_plural = _("侨户变更记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.household} {self.get_kind_display()}"


class ImportBatch(models.Model):
    """One uploaded register file, from column mapping through the dry run to the import."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("已上传，待对应列")
        CHECKING = "checking", _("正在检查")
        CHECKED = "checked", _("检查完成，待确认")
        IMPORTING = "importing", _("正在导入")
        DONE = "done", _("已导入")
        FAILED = "failed", _("出错")
        ABANDONED = "abandoned", _("已放弃")

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    # Private storage (no URL); deleted once the import is done or abandoned, and by the
    # daily sweep when neither happens within IMPORT_FILE_RETENTION_DAYS. Empty afterwards.
    file = models.FileField(
        _("文件"), upload_to="imports/%Y/%m/", storage=private_storage, blank=True
    )
    original_name = models.CharField(_("文件名"), max_length=200)
    header_row = models.PositiveIntegerField(_("表头所在行"), default=1)
    headers = models.JSONField(_("表头"), default=list)
    # The first rows after the header, read once at upload (numbers masked): the mapping
    # page shows them and never opens the file.
    samples = models.JSONField(_("示例行"), default=list, blank=True)
    mapping = models.JSONField(_("列对应"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.UPLOADED
    )
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    summary = models.JSONField(_("结果"), default=dict, blank=True)
    rejected = models.JSONField(_("退回的行"), default=list, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("名册导入")
        verbose_name_plural = _("名册导入")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.IMPORTING)

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.ABANDONED)
