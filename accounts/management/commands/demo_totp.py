"""Print the current authenticator-app code of each demo login that asks for one:
`python manage.py demo_totp` (for developers and screenshot runs; see accounts/demo.py)."""

from __future__ import annotations

import time

from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import PERSONAS
from accounts.roles import ROLE_LABELS


class Command(BaseCommand):
    help = "Print the current authenticator-app code of each demo login (after seed_demo)."

    def handle(self, *args, **options):
        usernames = {username: (role, phone) for role, username, _, phone, _ in PERSONAS}
        totps = (
            Authenticator.objects.filter(type=Authenticator.Type.TOTP, user__username__in=usernames)
            .select_related("user")
            .order_by("user_id")
        )
        if not totps:
            raise CommandError("No demo login has an authenticator: run `manage.py seed_demo`.")
        now = time.time()
        period = app_settings.TOTP_PERIOD
        left = period - int(now) % period
        width = max(len(str(label)) for label in ROLE_LABELS.values())
        for totp in totps:
            role, phone = usernames[totp.user.username]
            code = format_hotp_value(hotp_value(decrypt(totp.data["secret"]), int(now) // period))
            self.stdout.write(
                f"  {ROLE_LABELS[role]!s:<{width}}  {phone.removeprefix('+86'):<14} {code}"
            )
        self.stdout.write(f"(valid for {left} more seconds)")
