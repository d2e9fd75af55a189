"""Demo logins, one per persona of DOMAIN.md. Used by ``manage.py seed_demo``; idempotent."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.utils import encrypt
from django.db import transaction

from .mfa import mfa_required
from .models import User
from .roles import ROLE_LABELS, Role
from .services import roles_sync

ORDER = 10
PASSWORD = "qiaoxin2026"
#: The authenticator-app secret (base32) of every demo persona that must use a second factor
#: (group leader, cadre, staff, admin), so `make run` users can add it to an app once; or run
#: `python manage.py demo_totp` for the current codes. Real accounts bind their own on first
#: login: this secret is public and is only ever given to the demo logins.
DEMO_TOTP_SECRET = "QIAOXINDEMOQIAOXINDEMOQIAOXIN234"

# (role, username, name, phone, email)
PERSONAS: list[tuple[str, str, str, str, str]] = [
    ("relative", "demo_relative", "王秀英", "+8613900000001", ""),
    (Role.VOLUNTEER, "demo_volunteer", "李建国", "+8613900000002", ""),
    (Role.GROUP_LEADER, "demo_group_leader", "陈美华", "+8613900000003", ""),
    (Role.CADRE, "demo_cadre", "林志强", "+8613900000004", "cadre@demo.qiaoxin.cn"),
    (Role.COMMITTEE_MEMBER, "demo_committee", "周丽娟", "+8613900000005", ""),
    (Role.STAFF, "demo_staff", "张晓燕", "+8613900000006", "staff@demo.qiaoxin.cn"),
    ("admin", "demo_admin", "系统管理员", "+8613900000007", "admin@demo.qiaoxin.cn"),
]


@transaction.atomic
def seed(*, stdout, options: dict | None = None) -> list[tuple[str, str, str]]:
    groups = roles_sync()
    logins = []
    for role, username, name, phone, email in PERSONAS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"name": name, "phone": phone, "phone_verified": True, "email": email},
        )
        user.name, user.phone, user.phone_verified, user.email = name, phone, True, email
        user.is_staff = role in (Role.STAFF, "admin")
        user.is_superuser = role == "admin"
        if created:
            user.set_password(PASSWORD)
        user.save()
        if role in groups:
            user.groups.add(groups[role])
        if email:
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
        second_factor = ""
        if mfa_required(User.objects.get(pk=user.pk)):  # fresh: permissions are cached
            _demo_totp(user)
            second_factor = " + 动态码"
        logins.append((str(ROLE_LABELS[role]), phone.removeprefix("+86"), PASSWORD + second_factor))
    stdout.write(f"accounts: {len(PERSONAS)} demo logins ready.")
    stdout.write(
        f"accounts: logins marked '+ 动态码' also ask for an authenticator-app code. Add the demo "
        f"secret {DEMO_TOTP_SECRET} (issuer 侨心) to an authenticator app, or run "
        "`python manage.py demo_totp` for the current codes."
    )
    return logins


def _demo_totp(user: User) -> None:
    """The demo secret as the persona's authenticator app, plus recovery codes (idempotent)."""
    Authenticator.objects.update_or_create(
        user=user,
        type=Authenticator.Type.TOTP,
        defaults={"data": {"secret": encrypt(DEMO_TOTP_SECRET)}},
    )
    RecoveryCodes.activate(user)
