"""Wagtail page types of the events app: the events list and one page per event.

An event's settings (times, capacity, audience, questions) are page fields, so staff edit them
through drafts, revisions and the moderation workflow like any other page. Sign-ups live in
``events.models`` and are never versioned.

The pages sit below the rest of the app: selectors, services and views import them. Their
routes (Wagtail's sub-URLs of a page) hand the request to ``events.views``, imported inside
each route because the views import this module: the one place in the app where an import
is deferred, on purpose (``tests/core/test_architecture.py`` allows exactly these).
"""

from __future__ import annotations

import re
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page

from .choices import Audience, EventKind, QuestionKind
from .models import EventSeats

__all__ = ["Audience", "EventIndexPage", "EventKind", "EventPage", "EventQuestion"]


class EventIndexPage(RoutablePageMixin, Page):
    r"""Upcoming and past events, filtered by type and community; ``feed/`` is the iCal feed.

    (Wagtail routes only ``[\w-]+/`` segments, so the calendar URLs end in ``/``; the files
    still download as ``.ics``.)
    """

    intro = RichTextField(_("导语"), blank=True, features=["bold", "italic", "link"])

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["events.EventPage"]
    parent_page_types = ["portal.HomePage"]
    max_count = 1

    class Meta:
        verbose_name = _("活动列表页")
        verbose_name_plural = _("活动列表页")

    PER_PAGE = 12

    @path("")
    def index(self, request):
        from . import views

        return views.event_index(request, self)

    @path("feed/", name="feed")
    def feed(self, request):
        from . import views

        return views.event_feed(request, self)


class EventPageForm(WagtailAdminPageForm):
    """The editor's form. Capacity below the seats already confirmed is refused here, while the
    editor can fix it; the model itself accepts it (a draft published later may find more
    people confirmed than when it was written: nobody is then demoted, no one new confirmed)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, message in (
            ("starts_at", _("请填写活动开始时间。")),
            ("ends_at", _("请填写活动结束时间。")),
        ):
            if name in self.fields:
                self.fields[name].error_messages["required"] = message

    def clean(self):
        cleaned = super().clean()
        capacity = cleaned.get("capacity")
        if self.instance.pk and capacity is not None:
            taken = EventSeats.objects.confirmed_for(event_id=self.instance.pk)
            if capacity < taken:
                self.add_error(
                    "capacity",
                    _("已有 %(taken)d 人确认参加，名额不能少于这个数。") % {"taken": taken},
                )
        return cleaned


class EventPage(RoutablePageMixin, Page):
    """One event people can sign up for."""

    base_form_class = EventPageForm

    kind = models.CharField(_("活动类型"), max_length=20, choices=EventKind.choices)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=200)
    community = models.ForeignKey(
        "households.Community",
        verbose_name=_("主办社区"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("留空表示由侨联（街道）主办"),
    )
    capacity = models.PositiveIntegerField(_("名额"), help_text=_("可报名的总人数（含随行家人）"))
    party_size_max = models.PositiveSmallIntegerField(
        _("每份报名最多人数"), default=1, help_text=_("1 表示只能本人报名；大于 1 可带家人同行")
    )
    signup_opens_at = models.DateTimeField(
        _("报名开始"), null=True, blank=True, help_text=_("留空表示发布后即可报名")
    )
    signup_closes_at = models.DateTimeField(
        _("报名截止"), null=True, blank=True, help_text=_("留空表示活动开始时截止")
    )
    cancel_deadline = models.DateTimeField(
        _("取消报名截止"), null=True, blank=True, help_text=_("留空表示活动开始前均可取消")
    )
    audience = models.CharField(
        _("报名对象"), max_length=20, choices=Audience.choices, default=Audience.EVERYONE
    )
    audience_communities = ParentalManyToManyField(
        "households.Community",
        verbose_name=_("可报名的社区"),
        blank=True,
        related_name="+",
        help_text=_("报名对象为“指定社区”时有效"),
    )
    summary = models.CharField(_("简介"), max_length=200, blank=True)
    description = RichTextField(
        _("活动介绍"), blank=True, features=["bold", "italic", "link", "ol", "ul", "h3", "image"]
    )
    cover_image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("封面图片"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancelled = models.BooleanField(
        _("已取消"), default=False, help_text=_("勾选并发布后，已报名的人会收到取消通知")
    )
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("kind"),
                FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
                FieldPanel("place"),
                FieldPanel("community"),
            ],
            heading=_("时间地点"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("capacity"), FieldPanel("party_size_max")]),
                FieldRowPanel([FieldPanel("signup_opens_at"), FieldPanel("signup_closes_at")]),
                FieldPanel("cancel_deadline"),
                FieldPanel("audience"),
                FieldPanel("audience_communities"),
            ],
            heading=_("报名设置"),
        ),
        InlinePanel("questions", label=_("报名问题"), heading=_("报名时要回答的问题")),
        FieldPanel("summary"),
        FieldPanel("cover_image"),
        FieldPanel("description"),
        MultiFieldPanel(
            [FieldPanel("cancelled"), FieldPanel("cancel_reason")], heading=_("取消活动")
        ),
    ]
    parent_page_types = ["events.EventIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        indexes = [models.Index(fields=["starts_at"], name="event_starts_at")]

    # -- rules ---------------------------------------------------------------------------

    def clean(self):
        super().clean()
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            errors["ends_at"] = _("结束时间不能早于开始时间。")
        if self.party_size_max is not None and self.party_size_max < 1:
            errors["party_size_max"] = _("每份报名至少 1 人。")
        if (
            self.party_size_max
            and self.capacity is not None
            and self.party_size_max > max(self.capacity, 1)
        ):
            errors["party_size_max"] = _("每份报名人数不能超过名额。")
        if (
            self.signup_opens_at
            and self.signup_closes_at
            and self.signup_closes_at <= self.signup_opens_at
        ):
            errors["signup_closes_at"] = _("报名截止时间必须晚于报名开始时间。")
        # A missing start or end time is that field's own "required" error (the form runs this
        # clean even so): compare only the times that are there.
        if self.signup_closes_at and self.ends_at and self.signup_closes_at > self.ends_at:
            errors["signup_closes_at"] = _("报名截止时间不能晚于活动结束时间。")
        if errors:
            raise ValidationError(errors)

    # -- derived ---------------------------------------------------------------------------

    @property
    def signup_closes(self):
        return self.signup_closes_at or self.starts_at

    @property
    def cancel_until(self):
        return self.cancel_deadline or self.starts_at

    def signup_state(self, now=None) -> str:
        """'cancelled', 'not_open', 'open', 'closed' or 'ended'."""
        now = now or timezone.now()
        if self.cancelled:
            return "cancelled"
        if self.ends_at and now >= self.ends_at:
            return "ended"
        if self.signup_opens_at and now < self.signup_opens_at:
            return "not_open"
        if now >= self.signup_closes:
            return "closed"
        return "open"

    @property
    def is_past(self) -> bool:
        return self.ends_at <= timezone.now()

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    # -- routes ---------------------------------------------------------------------------

    @path("")
    def detail(self, request):
        from . import views

        return views.event_detail(request, self)

    # Sign-up and cancel post to plain URLs (events.urls: no page routing for a write); these
    # routes answer forms from pages rendered before that change.
    @path("signup/", name="signup")
    def signup(self, request):
        from . import views

        return views.event_signup(request, self.pk)

    @path("cancel/", name="cancel")
    def cancel(self, request):
        from . import views

        return views.event_cancel(request, self.pk)

    @path("calendar/", name="ics")
    def ics(self, request):
        from . import views

        return views.event_ics(request, self)


class EventQuestion(Orderable):
    """An extra question asked at sign-up (diet, pick-up, …)."""

    Kind = QuestionKind

    page = ParentalKey(EventPage, on_delete=models.CASCADE, related_name="questions")
    label = models.CharField(_("问题"), max_length=100)
    kind = models.CharField(_("回答方式"), max_length=10, choices=Kind.choices, default=Kind.TEXT)
    choices = models.CharField(
        _("选项"), max_length=300, blank=True, help_text=_("单选题的选项，用顿号、逗号或换行分隔")
    )
    required = models.BooleanField(_("必答"), default=False)

    panels = [
        FieldPanel("label"),
        FieldPanel("kind"),
        FieldPanel("choices"),
        FieldPanel("required"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("报名问题")
        verbose_name_plural = _("报名问题")

    def __str__(self) -> str:
        return self.label

    def choice_list(self) -> list[str]:
        return [c.strip() for c in re.split(r"[、,，;；\n]", self.choices) if c.strip()]

    def clean(self):
        if self.kind == self.Kind.CHOICE and len(self.choice_list()) < 2:
            raise ValidationError({"choices": _("单选题至少要有两个选项。")})
