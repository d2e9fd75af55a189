import factory

from accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"测试用户{n}")
    phone = factory.Sequence(lambda n: f"+86139{n:08d}")
    phone_verified = True
    password = factory.django.Password("correct-horse-42")


#: The TOTP secret every ``with_totp`` user gets (base32); ``totp_code()`` gives its code now.
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def with_totp(user: User, secret: str = TEST_TOTP_SECRET) -> User:
    """Give ``user`` an authenticator app (allauth.mfa TOTP) and recovery codes, as after
    setting them up. Staff, admins, cadres and group leaders need one: without it every page
    sends them to set it up (accounts.middleware.MFARequiredMiddleware). Idempotent."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, secret)
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists():
        RecoveryCodes.activate(user)
    return user


def totp_code(secret: str = TEST_TOTP_SECRET, *, at: float | None = None) -> str:
    """The code an authenticator app shows for ``secret`` now (or at time ``at``)."""
    import time

    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(time.time() if at is None else at) // app_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))
