"""Writes on accounts. Keyword-only, typed; side effects named in the docstrings."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core import notices

from .models import Message, User
from .roles import GROUP_NAMES, GROUP_PERMISSIONS, STAFF_PAGE_PERMISSIONS, Role
from .sms import sms_user_text

logger = logging.getLogger(__name__)


#: The outbox topic of the welcome (``core.notices``; object_id is the user).
WELCOME_TOPIC = "accounts.welcome"
WELCOME_KIND = "welcome"


def user_welcome_owe(*, user: User) -> None:
    """Owe the user their welcome, in the caller's transaction (the outbox delivers it).

    Called at sign-up, when a phone number is verified and when an email address is confirmed:
    the welcome waits for those (``accounts.notices.WelcomeNotices``). A user is welcomed once:
    the notice is owed once, and asking again only wakes it if it has not gone yet.
    """
    notices.notice_create(topic=WELCOME_TOPIC, kind=WELCOME_KIND, object_id=user.pk, wake=True)


#: The most of a name that goes into the welcome text.
WELCOME_NAME_MAX = 20


def welcome_sms_text(user: User) -> str:
    """The welcome text, with the name as one cleaned short line (``User.greeting_name``, capped
    by ``sms_user_text``); a user without one (after a claim) is greeted neutrally."""
    with translation.override(settings.LANGUAGE_CODE):
        name = sms_user_text(user.greeting_name, max_length=WELCOME_NAME_MAX)
        return _("%(name)s，欢迎加入侨心！报名活动、加入义工队都可以在网站上办理。") % {
            "name": name or _("您好")
        }


def welcome_mail_send(user: User) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        context = {"user": user, "site_url": settings.WAGTAILADMIN_BASE_URL}
        subject = render_to_string("emails/accounts/welcome.subject.txt", context)
        send_mail(
            subject=subject.strip(),
            message=render_to_string("emails/accounts/welcome.txt", context),
            html_message=render_to_string("emails/accounts/welcome.html", context),
            from_email=None,
            recipient_list=[user.email],
        )


@transaction.atomic
def roles_sync() -> dict[str, Group]:
    """Create the role groups and give them their permissions. Idempotent; run by
    ``seed_demo`` and by ``manage.py sync_roles`` on deployment."""
    from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

    groups: dict[str, Group] = {}
    for role, name in GROUP_NAMES.items():
        group, _created = Group.objects.get_or_create(name=name)
        groups[role.value] = group
        for dotted in GROUP_PERMISSIONS.get(role, []):
            app_label, codename = dotted.split(".")
            permission = Permission.objects.get(
                content_type__app_label=app_label, codename=codename
            )
            group.permissions.add(permission)

    staff = groups[Role.STAFF.value]
    _staff_moderate_pages(staff)
    root = Page.get_first_root_node()
    collection = Collection.get_first_root_node()
    if root is None or collection is None:  # an empty database (e.g. a flushed test database)
        return groups
    for codename in STAFF_PAGE_PERMISSIONS:
        permission = Permission.objects.get(
            content_type__app_label="wagtailcore", codename=codename
        )
        GroupPagePermission.objects.get_or_create(group=staff, page=root, permission=permission)
    for dotted in GROUP_PERMISSIONS[Role.STAFF]:
        app_label, codename = dotted.split(".")
        if app_label in ("wagtailimages", "wagtaildocs"):
            permission = Permission.objects.get(
                content_type__app_label=app_label, codename=codename
            )
            GroupCollectionPermission.objects.get_or_create(
                group=staff, collection=collection, permission=permission
            )
    return groups


def _staff_moderate_pages(staff: Group) -> None:
    """Staff approve pages in Wagtail's moderation workflow ("Moderators approval", which the
    first migrate puts on the whole page tree): one staff member writes an event or a news item
    and submits it, another approves and it is published."""
    from wagtail.models import GroupApprovalTask

    for task in GroupApprovalTask.objects.filter(groups__name="Moderators"):
        task.groups.add(staff)


@transaction.atomic
def user_password_set(*, user: User, password: str) -> None:
    """Set a new password (already validated by the form). The caller keeps the session alive
    with ``update_session_auth_hash``; other sessions of the user are logged out by Django."""
    user.set_password(password)
    user.save(update_fields=["password"])
    logger.info("password set for user %s after a code login", user.pk)


def role_group(role: str) -> Group:
    """The group of one role, with its permissions (created by ``roles_sync`` if missing)."""

    group = Group.objects.filter(name=GROUP_NAMES[Role(role)]).first()
    return group or roles_sync()[role]


def message_send(*, user: User, title: str, body: str, url: str = "") -> Message:
    """Put a message in the user's in-site inbox ("my page"). No locking: callers that must
    send once (event notices) hold their own lock around this call."""
    return Message.objects.create(
        user=user,
        title=title[:120],
        body=body,
        url=url[: Message._meta.get_field("url").max_length],
    )


def messages_mark_read(*, user: User) -> int:
    """Mark every unread message of ``user`` as read; returns how many were unread."""
    return Message.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
