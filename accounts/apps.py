from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("账户")

    def ready(self) -> None:
        from core import notices

        from . import receivers  # noqa: F401  (connects the signal receivers)
        from .notices import WelcomeNotices
        from .services import WELCOME_TOPIC

        notices.register(WELCOME_TOPIC, WelcomeNotices())
