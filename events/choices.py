"""The events app's fixed lists, shared by the pages, the rules and the screens."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    TEA_PARTY = "tea_party", _("茶话会")
    GALA = "gala", _("联欢晚会")
    LECTURE = "lecture", _("讲座")
    STUDY_TOUR = "study_tour", _("考察交流")
    FORUM = "forum", _("座谈会")
    SHARING = "sharing", _("经验分享会")
    VOLUNTEER = "volunteer", _("志愿活动")
    OTHER = "other", _("其他")


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("所有人")
    RELATIVES = "relatives", _("已登记的侨眷")
    COMMUNITIES = "communities", _("指定社区")


class QuestionKind(models.TextChoices):
    TEXT = "text", _("文字")
    YES_NO = "yes_no", _("是/否")
    CHOICE = "choice", _("单选")


#: The outbox topic of notices about sign-ups (``core.notices``; object_id is the sign-up).
NOTICE_TOPIC = "events.signup"
#: Key prefix of the "changed" notice sent when a cancelled event is called on again: the
#: notice only has (sign-up, kind, key) to go by, so the key tells it to use the "goes ahead"
#: wording.
RESUMED_KEY_PREFIX = "resumed:"


class NoticeKind(models.TextChoices):
    CONFIRMED = "confirmed", _("报名成功")
    WAITLISTED = "waitlisted", _("进入候补")
    PROMOTED = "promoted", _("候补转正")
    REMINDER = "reminder", _("活动提醒")
    CHANGED = "changed", _("活动变更")
    CANCELLED = "cancelled", _("活动取消")
