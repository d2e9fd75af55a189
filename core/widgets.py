"""Form widgets that render in Python instead of one template per option.

Django renders every ``<option>`` of a select through the template engine. A register filter
with a few thousand grid groups and ~250 countries then costs tens of milliseconds per page; the
same HTML built with ``format_html`` costs well under one.
"""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class FastSelect(forms.Select):
    """A single-choice ``<select>`` (no option groups) rendered without templates."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs or {})
        final_attrs["name"] = name
        selected = {"" if v is None else str(v) for v in self.format_value(value)}
        options = []
        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):  # option groups: not supported here
                raise ValueError("FastSelect does not render option groups")
            key = "" if option_value is None else str(option_value)
            options.append((key, " selected" if key in selected else "", label))
        body = format_html_join("", '<option value="{}"{}>{}</option>', options)
        return format_html("<select{}>{}</select>", flatatt(final_attrs), body)
