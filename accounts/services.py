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

from .models import Message, User
from .sms import SmsPurpose, send_sms, sms_number_allowed, sms_user_text

logger = logging.getLogger(__name__)


def user_welcome_enqueue(*, user: User) -> None:
    """Queue the welcome message; it leaves only once the current transaction has committed.

    Called at sign-up, when a phone number is verified and when an email address is
    confirmed (the welcome waits for those)."""
    from .tasks import welcome_send

    if user.welcomed_at is None:
        welcome_send.delay_on_commit(user.pk)


#: The most of a name that goes into the welcome text.
WELCOME_NAME_MAX = 20


def user_welcome_send(*, user_id: int) -> bool:
    """Send the welcome message by SMS and/or email, each channel at most once per user.

    A user with a phone number is welcomed once that number is verified, by SMS (and by email
    if they gave one): a text goes only to a number its owner has proved, never to whatever was
    typed at sign-up. Until then the job sends nothing and leaves ``welcomed_at`` unset;
    verifying the number queues it again (``AccountAdapter.set_phone_verified``). Likewise the
    mail goes only to a verified address (anyone can type anyone's address at sign-up): until
    it is confirmed the email channel waits and ``welcomed_at`` stays unset; confirming it
    queues the job again (``accounts.receivers``). The name is ``User.greeting_name`` (one
    cleaned line; in the text capped by ``sms_user_text``), and a user without one (after a
    claim) is greeted neutrally.

    Each channel is sent and marked (``welcome_sms_at``, ``welcome_email_at``) in its own
    transaction holding the user row lock, so two workers running the same job (a retry after a
    lost worker) cannot both send, and a retry after a failed email does not text again.
    ``welcomed_at`` is set with the last channel: the welcome is done. Returns True when this
    run finished the welcome; False when it had been finished already, the user is gone or the
    phone is not verified yet. Raises SmsError / OSError on delivery failure (SmsRateLimited
    when the hourly cap is reached), leaving that channel unmarked so a retry sends it.
    """
    with transaction.atomic():
        user = _welcome_user_lock(user_id=user_id)
        if user is None:
            return False
        if user.welcome_sms_at is None and user.phone and sms_number_allowed(user.phone):
            with translation.override(settings.LANGUAGE_CODE):
                name = sms_user_text(user.greeting_name, max_length=WELCOME_NAME_MAX)
                text = _("%(name)s，欢迎加入侨心！报名活动、加入义工队都可以在网站上办理。") % {
                    "name": name or _("您好")
                }
            send_sms(phone=user.phone, text=text, purpose=SmsPurpose.ACCOUNT)
            user.welcome_sms_at = timezone.now()
            user.save(update_fields=["welcome_sms_at"])
    with transaction.atomic():
        user = _welcome_user_lock(user_id=user_id)
        if user is None:
            return False
        email_due = user.welcome_email_at is None and bool(user.email)
        if email_due and not _email_verified(user):
            logger.info("welcome mail of user %s waits for the address to be confirmed", user.pk)
            return False
        if email_due:
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
            user.welcome_email_at = timezone.now()
            user.save(update_fields=["welcome_email_at"])
        user.welcomed_at = timezone.now()
        user.save(update_fields=["welcomed_at"])
    logger.info("welcome sent to user %s", user.pk)
    return True


def _email_verified(user: User) -> bool:
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(
        user_id=user.pk, email__iexact=user.email, verified=True
    ).exists()


def _welcome_user_lock(*, user_id: int) -> User | None:
    """The user row, locked, if a welcome is still due to them now; else None."""
    user = User.objects.select_for_update().filter(pk=user_id, is_active=True).first()
    if user is None or user.welcomed_at is not None:
        return None
    if user.phone and not user.phone_verified:
        logger.info("welcome of user %s waits for the phone to be verified", user.pk)
        return None
    return user


@transaction.atomic
def roles_sync() -> dict[str, Group]:
    """Create the role groups and give them their permissions. Idempotent; run by
    ``seed_demo`` and by ``manage.py sync_roles`` on deployment."""
    from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

    from .roles import GROUP_NAMES, GROUP_PERMISSIONS, STAFF_PAGE_PERMISSIONS, Role

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
    from .roles import GROUP_NAMES, Role

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
