from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.masking import mask_phone

from .text import sms_user_text

#: The longest name the sign-up form takes (the column holds 60).
NAME_MAX_LENGTH = 30


class User(AbstractUser):
    """A person who can log in: a relative, a volunteer, a group leader, a cadre or staff.

    The login is a mobile phone number (E.164, e.g. +8613812345678) or an email address; the
    username is generated and never shown. People in the register (``households.Member``) link
    to a user; many never have one.
    """

    name = models.CharField(_("姓名"), max_length=60, blank=True)
    phone = models.CharField(_("手机号码"), max_length=20, null=True, blank=True, unique=True)
    phone_verified = models.BooleanField(_("手机号已验证"), default=False)
    # The welcome is a notice of the outbox (core.Notice, topic "accounts.welcome").

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=Q(phone__isnull=True) | Q(phone__startswith="+"),
                name="user_phone_e164",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name to show and to put in mails and texts: ``greeting_name``, else the address
        or the masked number."""
        return self.greeting_name or self.email or self.masked_phone or self.username

    @property
    def greeting_name(self) -> str:
        """The person's name as typed, made one short line without links' line breaks or
        signature brackets (``sms_user_text``): every page, mail and text that names a user
        goes through here, so a name saved before the sign-up form cleaned names (or by a
        screen that does not) cannot start a second line in an official message. Empty when
        no name is known (after a claim, say)."""
        return sms_user_text(self.get_full_name(), max_length=NAME_MAX_LENGTH)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else ""

    def get_full_name(self) -> str:
        # Chinese order: family name first, no space.
        return self.name or f"{self.last_name}{self.first_name}".strip()


def user_display(user: User) -> str:
    """How allauth names a user in its messages ("以 王秀英 成功登录") and mails (the
    confirmation mail): the cleaned ``display_name``."""
    return user.display_name


class Message(models.Model):
    """An in-site message shown on "my page" (sign-up confirmations, reminders, answers, …)."""

    user = models.ForeignKey(
        User, verbose_name=_("收件人"), on_delete=models.CASCADE, related_name="messages"
    )
    title = models.CharField(_("标题"), max_length=120)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="message_user_unread")]

    def __str__(self) -> str:
        return self.title
