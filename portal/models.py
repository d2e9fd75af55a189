from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from events import selectors as events

from .blocks import BodyBlock


class HomePage(Page):
    """The site's front door: a welcome, entry cards and (in later issues) live figures."""

    intro = RichTextField(_("导语"), blank=True, features=["bold", "italic", "link"])
    body = StreamField(BodyBlock(), verbose_name=_("正文"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]

    max_count = 1
    parent_page_types = ["wagtailcore.Page"]

    class Meta:
        verbose_name = _("首页")
        verbose_name_plural = _("首页")

    def __str__(self) -> str:
        return self.title

    UPCOMING_EVENTS = 3

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        upcoming = list(events.event_list()[: self.UPCOMING_EVENTS])
        context["upcoming_events"] = events.event_cards(upcoming, user=request.user)
        context["events_index"] = events.events_index() if upcoming else None
        return context
