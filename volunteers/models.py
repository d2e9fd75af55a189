"""The care volunteer team (侨之爱义工服务队): skills, volunteers and their history.

A ``Volunteer`` is one person's standing in the team, from their application on: ``pending``
is the application, staff approve it (the person gets a number ``QX2027-0001`` from a yearly
sequence) or decline it with a reason; an approved volunteer may pause or leave and apply
again later. Every change of standing is a ``VolunteerLog`` row: the history is never lost.

People come from an account (an online application) and/or a register member (a paper
application enrolled by staff): at least one of the two. Contact numbers are not copied here:
they are read from the verified account number or the register, through the masking path.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.storage import private_storage

from .choices import ALL_TIMES, Level, RequestStatus, Status, Urgency, times_display


class Skill(models.Model):
    """A skill the team offers (medical care, legal advice…): staff-edited data (a snippet)."""

    name = models.CharField(_("名称"), max_length=40, unique=True)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    needs_proof = models.BooleanField(
        _("需要资质证明"),
        default=False,
        help_text=_("如医生、律师：申请时须填写执业证号或上传证书（仅工作人员可见）。"),
    )
    proof_hint = models.CharField(
        _("证明说明"), max_length=100, blank=True, help_text=_("例如：医师执业证书编号")
    )
    is_active = models.BooleanField(_("接受申请"), default=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("义工技能")
        verbose_name_plural = _("义工技能")
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        return self.name


class VolunteerQuerySet(models.QuerySet):
    def serving(self):
        """Volunteers who may take work now."""
        return self.filter(status=Status.ACTIVE)


class Volunteer(models.Model):
    class Channel(models.TextChoices):
        ONLINE = "online", _("网上申请")
        PAPER = "paper", _("纸质申请（工作人员录入）")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账户"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="volunteer",
    )
    member = models.OneToOneField(
        "households.Member",
        verbose_name=_("名册人员"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="volunteer",
    )
    name = models.CharField(_("姓名"), max_length=40)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    channel = models.CharField(
        _("申请方式"), max_length=10, choices=Channel.choices, default=Channel.ONLINE
    )
    number = models.CharField(_("义工编号"), max_length=16, null=True, blank=True, unique=True)
    times = models.PositiveSmallIntegerField(_("可服务时间"), default=ALL_TIMES)
    communities = models.ManyToManyField(
        "households.Community",
        verbose_name=_("可服务社区"),
        related_name="volunteers",
        blank=True,
    )
    consent_share_contact = models.BooleanField(_("同意向结对对象提供联系方式"), default=False)
    on_honour_roll = models.BooleanField(_("同意在光荣榜上展示"), default=False)
    motivation = models.TextField(_("申请说明"), blank=True)
    applied_at = models.DateTimeField(_("申请时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decline_reason = models.CharField(_("未通过原因"), max_length=200, blank=True)
    joined_at = models.DateTimeField(_("入队时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VolunteerQuerySet.as_manager()

    class Meta:
        verbose_name = _("义工")
        verbose_name_plural = _("义工")
        ordering = ["-applied_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(member__isnull=False),
                name="volunteer_has_person",
            ),
        ]
        indexes = [models.Index(fields=["status", "id"], name="volunteer_status_idx")]
        permissions = [
            ("review_volunteer", _("审核义工申请")),
            ("view_all_volunteers", _("查看全部义工（不受网格范围限制）")),
            ("view_skill_proof", _("查看义工资质证明")),
            ("manage_shifts", _("设置义工岗位、为义工报名岗位")),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.number}）" if self.number else self.name

    @property
    def times_display(self) -> str:
        return times_display(self.times)

    @property
    def serving(self) -> bool:
        return self.status == Status.ACTIVE


class VolunteerSkill(models.Model):
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("义工"), on_delete=models.CASCADE, related_name="skills"
    )
    skill = models.ForeignKey(
        Skill, verbose_name=_("技能"), on_delete=models.PROTECT, related_name="holders"
    )
    level = models.CharField(_("水平"), max_length=14, choices=Level.choices)
    proof_number = models.CharField(_("证书编号"), max_length=60, blank=True)
    proof_file = models.FileField(
        _("证书扫描件"), upload_to="volunteers/proof/%Y/", storage=private_storage, blank=True
    )

    class Meta:
        verbose_name = _("义工技能")
        verbose_name_plural = _("义工技能")
        ordering = ["skill__sort_order", "skill__name"]
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "skill"], name="volunteerskill_unique")
        ]
        indexes = [models.Index(fields=["skill", "level"], name="volunteerskill_skill_idx")]

    def __str__(self) -> str:
        return f"{self.skill.name}（{self.get_level_display()}）"

    @property
    def has_proof(self) -> bool:
        return bool(self.proof_number or self.proof_file)


class VolunteerLog(models.Model):
    """One change of a volunteer's standing: who, when, from what to what, and why."""

    class Action(models.TextChoices):
        APPLIED = "applied", _("提交申请")
        ENROLLED = "enrolled", _("工作人员录入")
        APPROVED = "approved", _("审核通过")
        DECLINED = "declined", _("审核未通过")
        PAUSED = "paused", _("暂停服务")
        RESUMED = "resumed", _("恢复服务")
        LEFT = "left", _("退出")
        CHANGED = "changed", _("修改资料")

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("义工"), on_delete=models.CASCADE, related_name="log"
    )
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    from_status = models.CharField(_("原状态"), max_length=10, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
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
        verbose_name = _("义工记录")
        verbose_name_plural = _("义工记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.volunteer} {self.get_action_display()}"


class NumberSequence(models.Model):
    """The last number given in a year: locked, incremented and written in the approval's
    transaction, so numbers have no gaps and no repeats (a rolled-back approval gives its
    number back with the rollback)."""

    prefix = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="numbersequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}{self.year}: {self.last}"


class HelpRequest(models.Model):
    """A household asks for help with a skill (互帮互助): fix a washing machine, a question about
    compensation for road-works damage. Asked by the household's own account, or on its behalf
    by its group leader or staff. open → assigned → done → confirmed, or cancelled."""

    household = models.ForeignKey(
        "households.Household",
        verbose_name=_("求助侨户"),
        on_delete=models.PROTECT,
        related_name="help_requests",
    )
    community = models.ForeignKey(
        "households.Community",
        verbose_name=_("社区"),
        on_delete=models.PROTECT,
        related_name="help_requests",
    )
    skill = models.ForeignKey(
        Skill, verbose_name=_("需要的技能"), on_delete=models.PROTECT, related_name="requests"
    )
    title = models.CharField(_("需要什么帮助"), max_length=60)
    details = models.TextField(_("详细说明"), blank=True)
    times = models.PositiveSmallIntegerField(_("方便的时间"), default=ALL_TIMES)
    urgency = models.CharField(
        _("紧急程度"), max_length=8, choices=Urgency.choices, default=Urgency.NORMAL
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.OPEN
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提出人"),
        on_delete=models.PROTECT,
        related_name="help_requests",
    )
    on_behalf = models.BooleanField(_("代为提出"), default=False)
    volunteer = models.ForeignKey(
        Volunteer,
        verbose_name=_("义工"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
    )
    due_at = models.DateTimeField(_("期望完成时间"))
    assigned_at = models.DateTimeField(_("接单时间"), null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_note = models.CharField(_("完成情况"), max_length=300, blank=True)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("满意度"), null=True, blank=True)
    feedback = models.CharField(_("评价"), max_length=300, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("互助需求")
        verbose_name_plural = _("互助需求")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "skill", "community"], name="helprequest_open_idx"),
            models.Index(fields=["volunteer", "status"], name="helprequest_volunteer_idx"),
            models.Index(fields=["household", "status"], name="helprequest_household_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=RequestStatus.OPEN)
                | Q(status=RequestStatus.CANCELLED)
                | Q(volunteer__isnull=False),
                name="helprequest_volunteer_when_taken",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="helprequest_rating_range",
            ),
        ]
        permissions = [("manage_helprequest", _("安排和管理互助需求"))]

    def __str__(self) -> str:
        return self.title

    @property
    def times_display(self) -> str:
        return times_display(self.times)

    @property
    def is_active(self) -> bool:
        return self.status in (RequestStatus.OPEN, RequestStatus.ASSIGNED)


class HelpRequestLog(models.Model):
    """One step of a help request: who did what, when, and a note."""

    request = models.ForeignKey(
        HelpRequest, verbose_name=_("互助需求"), on_delete=models.CASCADE, related_name="log"
    )
    action = models.CharField(_("操作"), max_length=12)
    to_status = models.CharField(_("新状态"), max_length=10, choices=RequestStatus.choices)
    note = models.CharField(_("说明"), max_length=300, blank=True)
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
        verbose_name = _("互助需求记录")
        verbose_name_plural = _("互助需求记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request} {self.action}"


class ShiftSlot(models.Model):
    """Places for one skill at a volunteer shift (an event of kind 志愿活动): "2 doctors, 1
    lawyer, 4 helpers". An event with slots is a shift: people take a slot, not a seat."""

    event = models.ForeignKey(
        "events.EventPage",
        verbose_name=_("义工活动"),
        on_delete=models.CASCADE,
        related_name="volunteer_slots",
    )
    skill = models.ForeignKey(
        Skill, verbose_name=_("技能"), on_delete=models.PROTECT, related_name="slots"
    )
    places = models.PositiveSmallIntegerField(_("名额"))
    note = models.CharField(_("岗位说明"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("义工岗位")
        verbose_name_plural = _("义工岗位")
        ordering = ["skill__sort_order", "skill__name"]
        constraints = [
            models.UniqueConstraint(fields=["event", "skill"], name="shiftslot_unique_skill"),
            models.CheckConstraint(condition=Q(places__gte=1), name="shiftslot_places_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.skill.name} × {self.places}"


class SlotTaking(models.Model):
    """A volunteer in a slot. Its sign-up to the event (``events.Signup``) carries the QR code
    for check-in; cancelling one cancels the other."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("已报名")
        CANCELLED = "cancelled", _("已取消")

    slot = models.ForeignKey(
        ShiftSlot, verbose_name=_("岗位"), on_delete=models.PROTECT, related_name="takings"
    )
    #: the slot's event, repeated so that one volunteer holds one slot per shift (constraint)
    event = models.ForeignKey(
        "events.EventPage", on_delete=models.CASCADE, related_name="+", editable=False
    )
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("义工"), on_delete=models.PROTECT, related_name="slot_takings"
    )
    signup = models.OneToOneField(
        "events.Signup",
        verbose_name=_("活动报名"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="slot_taking",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    taken_at = models.DateTimeField(_("报名时间"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("岗位报名")
        verbose_name_plural = _("岗位报名")
        ordering = ["taken_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "volunteer"],
                condition=Q(status="active"),
                name="slottaking_one_per_shift",
            )
        ]
        indexes = [models.Index(fields=["slot", "status"], name="slottaking_slot_idx")]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.slot}"


class ServiceHours(models.Model):
    """Time a volunteer served: against a help request, a shift, or recorded by staff for other
    service. Logged (待确认), then confirmed by staff or the group leader of the household served.
    Confirmed hours are never deleted or edited: a mistake is reversed (with a reason) and, if
    needed, logged again; every step is an ``HoursLog`` row (who, when, why)."""

    class Status(models.TextChoices):
        LOGGED = "logged", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        REVERSED = "reversed", _("已冲销")

    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("义工"), on_delete=models.PROTECT, related_name="hours"
    )
    request = models.ForeignKey(
        HelpRequest,
        verbose_name=_("互助需求"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hours",
    )
    event = models.ForeignKey(
        "events.EventPage",
        verbose_name=_("义工活动"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"))
    hours = models.DecimalField(_("时长（小时）"), max_digits=5, decimal_places=2)
    description = models.CharField(_("服务内容"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.LOGGED
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("确认人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    reversed_reason = models.CharField(_("冲销原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("服务时长")
        verbose_name_plural = _("服务时长")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["volunteer", "started_at"], name="hours_volunteer_idx"),
            models.Index(fields=["status", "started_at"], name="hours_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="hours_positive"),
            models.CheckConstraint(condition=Q(ended_at__gt=F("started_at")), name="hours_order"),
        ]
        permissions = [("record_hours", _("登记、确认和冲销义工服务时长"))]

    def __str__(self) -> str:
        return f"{self.volunteer} {self.started_at:%Y-%m-%d} {self.hours}h"


class HoursLog(models.Model):
    """One step of a service-hours entry: logged, corrected, confirmed, reversed."""

    class Action(models.TextChoices):
        LOGGED = "logged", _("登记")
        CORRECTED = "corrected", _("修改")
        CONFIRMED = "confirmed", _("确认")
        REVERSED = "reversed", _("冲销")

    entry = models.ForeignKey(
        ServiceHours, verbose_name=_("服务时长"), on_delete=models.CASCADE, related_name="log"
    )
    action = models.CharField(_("操作"), max_length=12, choices=Action.choices)
    note = models.CharField(_("说明"), max_length=300, blank=True)
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
        verbose_name = _("服务时长记录")
        verbose_name_plural = _("服务时长记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.entry} {self.action}"


class Certificate(models.Model):
    """A service-record certificate (志愿服务记录证明): what the record said when it was issued,
    kept as issued. ``fingerprint`` is a digest of the confirmed entries it counted: if the
    record of that period changes afterwards (an entry reversed or added), the public check
    page says the certificate no longer matches the record; issuing a new one for the same
    period marks the old one superseded."""

    class Status(models.TextChoices):
        VALID = "valid", _("有效")
        SUPERSEDED = "superseded", _("已被新证明取代")

    serial = models.CharField(_("证明编号"), max_length=20, unique=True)
    volunteer = models.ForeignKey(
        Volunteer, verbose_name=_("义工"), on_delete=models.PROTECT, related_name="certificates"
    )
    name = models.CharField(_("姓名"), max_length=40)
    id_masked = models.CharField(_("身份证号（隐去中间）"), max_length=20, blank=True)
    number = models.CharField(_("义工编号"), max_length=16)
    period_start = models.DateField(_("起始日期"))
    period_end = models.DateField(_("截止日期"))
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=8, decimal_places=2)
    lines = models.JSONField(_("服务记录"), default=list)
    fingerprint = models.CharField(max_length=64)
    issuer = models.CharField(_("出具单位"), max_length=60)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("出具时间"), auto_now_add=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.VALID
    )
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("取代它的证明"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("服务记录证明")
        verbose_name_plural = _("服务记录证明")
        ordering = ["-issued_at", "-id"]
        permissions = [("issue_certificate", _("出具义工服务记录证明"))]

    def __str__(self) -> str:
        return self.serial
