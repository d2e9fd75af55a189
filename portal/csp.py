"""Content-Security-Policy: the middleware that sends it, and Wagtail's choosers rendered so
that they pass it.

The policy itself is in settings (``CONTENT_SECURITY_POLICY``, see SECURITY.md). No inline
script runs anywhere: our templates keep their scripts in static files, and the Wagtail widgets
that still write an inline ``<script>`` (date pickers, choosers, inline panels) are rendered with
an inert data element instead, which ``static/js/admin-init.js`` starts.
"""

from __future__ import annotations

import json
from functools import cache

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

PERMISSIONS_POLICY_HEADER = "Permissions-Policy"


@cache
def _admin_prefix() -> str:
    return reverse("wagtailadmin_home")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with the two cases where the policy depends on the response.

    - ``frame-ancestors`` follows ``X-Frame-Options``: 'none' (DENY, Django's default) except
      where a view asks for SAMEORIGIN, as Wagtail's preview does for the editor's preview panel
      (the page rendered for a preview gets the policy of the preview's response).
    - Wagtail's admin gets ``CONTENT_SECURITY_POLICY_ADMIN_UPDATE`` on top (style elements:
      the rich-text editor writes its placeholders as a ``<style>`` with per-block selectors).

    It also sends ``Permissions-Policy`` (``PERMISSIONS_POLICY``): the camera for the check-in
    page, nothing else.
    """

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if response.get("X-Frame-Options", "").upper() == "SAMEORIGIN":
            parts.replace = {**(parts.replace or {}), "frame-ancestors": ["'self'"]}
        if request.path_info.startswith(_admin_prefix()):
            parts.update = {**settings.CONTENT_SECURITY_POLICY_ADMIN_UPDATE, **(parts.update or {})}
        return parts

    def process_response(self, request, response):
        if getattr(request, "is_dummy", False):
            # Wagtail's preview runs the page through the middleware with a dummy request; the
            # policy belongs on the real (admin) response that carries it to the browser.
            return response
        response = super().process_response(request, response)
        if settings.PERMISSIONS_POLICY and PERMISSIONS_POLICY_HEADER not in response:
            response[PERMISSIONS_POLICY_HEADER] = settings.PERMISSIONS_POLICY
        return response


# --- Wagtail's choosers ----------------------------------------------------------------------

_INIT_ELEMENT = (
    '<script type="application/json" data-controller="qx-init" data-qx-init-call="{}" '
    'data-qx-init-id="{}"{}></script>'
)


def chooser_init_html(*, call: str, id_: str, options: dict | None) -> str:
    """The inert element that admin-init.js turns into ``call(id_, options)``."""
    extra = format_html(' data-qx-init-options="{}"', json.dumps(options)) if options else ""
    return format_html(_INIT_ELEMENT, call, id_, extra)


def install_chooser_rendering() -> None:
    """Render every Wagtail chooser widget (pages, images, documents, snippets, tasks) without
    its inline ``<script>new PageChooser(…)</script>``.

    Wagtail 8.0 builds that script in Python (``BaseChooser.render``), so no template can change
    it; this replaces that one method, keeping everything else of Wagtail's widget. A chooser
    whose start-up call we do not know keeps Wagtail's own rendering (and the policy would show
    it as a violation in tests/e2e/test_csp.py).
    """
    from wagtail.admin.widgets.chooser import BaseChooser
    from wagtail.admin.widgets.workflows import AdminTaskChooser

    if hasattr(BaseChooser.render, "wagtail_render"):
        return
    wagtail_render = BaseChooser.render

    def start_call(widget, id_, name, value_data) -> tuple[str, dict | None] | None:
        if isinstance(widget, AdminTaskChooser):
            return "createTaskChooser", None  # its render_js_init: createTaskChooser(id)
        if type(widget).render_js_init is BaseChooser.render_js_init:
            return widget.js_constructor, widget.get_js_init_options(id_, name, value_data)
        return None

    def render(self, name, value, attrs=None, renderer=None):
        id_ = (attrs or {}).get("id")
        if not id_:
            return wagtail_render(self, name, value, attrs, renderer)
        value_data = self.get_value_data(value)
        call = start_call(self, id_, name, value_data)
        if call is None:
            return wagtail_render(self, name, value, attrs, renderer)
        widget_html = self.render_html(name, value_data, attrs)
        init = chooser_init_html(call=call[0], id_=id_, options=call[1])
        # Both parts are HTML escaped by Django (Wagtail's template, format_html).
        return mark_safe(f"{widget_html}{init}")

    render.wagtail_render = wagtail_render
    BaseChooser.render = render
