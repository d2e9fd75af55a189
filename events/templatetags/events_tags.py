"""Dates the way people read them: "11月28日（周六）14:30", in the site's time zone."""

from __future__ import annotations

from django import template
from django.utils import timezone

from ..dates import when_text

register = template.Library()


@register.filter
def when(value):
    return when_text(value)


@register.filter
def when_full(value):
    return when_text(value, year=True)


@register.simple_tag
def when_range(starts_at, ends_at) -> str:
    """Start and end; the end shows only its time when both fall on one day."""
    if not starts_at or not ends_at:
        return when_text(starts_at)
    start, end = timezone.localtime(starts_at), timezone.localtime(ends_at)
    if start.date() == end.date():
        return f"{when_text(starts_at, year=True)}–{end:%H:%M}"
    return f"{when_text(starts_at, year=True)} – {when_text(ends_at, year=True)}"
