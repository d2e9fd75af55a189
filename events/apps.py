from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("活动报名")

    def ready(self) -> None:
        from core import notices

        from . import receivers  # noqa: F401  (connects the signal receivers)
        from .choices import NOTICE_TOPIC
        from .notices import SignupNotices

        notices.register(NOTICE_TOPIC, SignupNotices())
