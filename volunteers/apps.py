from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "volunteers"
    verbose_name = _("侨之爱义工服务队")

    def ready(self) -> None:
        from core import notices

        from . import pages  # noqa: F401  (the team page's model)
        from .choices import NOTICE_TOPIC, REQUEST_TOPIC
        from .notices import RequestNotices, VolunteerNotices

        notices.register(NOTICE_TOPIC, VolunteerNotices())
        notices.register(REQUEST_TOPIC, RequestNotices())

        from events import audiences
        from events.choices import EventKind

        from .audiences import ShiftsTakenBySlot

        audiences.register(EventKind.VOLUNTEER, ShiftsTakenBySlot())
