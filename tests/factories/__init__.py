from .accounts import UserFactory, totp_code, with_totp

__all__ = ["UserFactory", "totp_code", "with_totp"]
