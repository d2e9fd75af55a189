"""The team's public page (a Wagtail page under the home page): what the team offers and has
done this year, and its honour roll."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from . import selectors


class VolunteerTeamPage(Page):
    intro = RichTextField(_("介绍"), blank=True, features=["bold", "italic", "link", "ul", "ol"])

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["portal.HomePage"]
    subpage_types: list[str] = []
    max_count = 1
    template = "volunteers/volunteer_team_page.html"

    class Meta:
        verbose_name = _("义工服务队页面")
        verbose_name_plural = _("义工服务队页面")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["figures"] = selectors.team_figures()
        context["shifts"] = list(selectors.shifts_upcoming()[:3])
        return context
