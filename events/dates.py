"""Dates the way people read them: "11月28日（周六）14:30", in the site's time zone.

One wording for the event pages, "my sign-ups" and every notification; the pattern is in the
catalogues, so each language writes it its own way ("Sat 28/11 at 14:30").
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

WEEKDAYS = (
    gettext_lazy("周一"),
    gettext_lazy("周二"),
    gettext_lazy("周三"),
    gettext_lazy("周四"),
    gettext_lazy("周五"),
    gettext_lazy("周六"),
    gettext_lazy("周日"),
)


def when_text(value, *, year: bool = False) -> str:
    if not value:
        return ""
    local = timezone.localtime(value)
    params = {
        "year": local.year,
        "month": local.month,
        "day": local.day,
        "weekday": str(WEEKDAYS[local.weekday()]),
        "time": local.strftime("%H:%M"),
    }
    if year:
        return _("%(year)d年%(month)d月%(day)d日（%(weekday)s）%(time)s") % params
    return _("%(month)d月%(day)d日（%(weekday)s）%(time)s") % params
