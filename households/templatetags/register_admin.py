"""The Wagtail admin's page furniture for the register lists, kept instead of rebuilt.

Wagtail builds the sidebar (the main menu: every item's permission check, the page and
collection permission queries behind the Pages, Images and Documents items, then a JSON
encoding of ~250 nodes) and the keyboard-shortcuts dialog on every admin page. On a register
list that was a fifth of the page's time. ``households/admin/register_index.html`` renders the
same furniture with these two tags, which call Wagtail's own tags and keep their output:

- the sidebar per user for ``SIDEBAR_SECONDS``, keyed by everything the menu is worked out
  from that can change without a deploy: the user's permissions, name and avatar, their
  dismissed items, their register scope, the language. Page and collection permissions given
  to a group show within ``SIDEBAR_SECONDS`` (they are not in the key: reading them is the
  cost being saved). A stale menu only shows or hides links: every screen checks permissions
  itself.
- the shortcuts dialog per language, platform (Mac or not) and the user's shortcut setting,
  in this process (it holds nothing personal).
- the page's head: its style sheets and scripts (static files, hooks, the view's media) per
  view class and language, in this process; Wagtail's configuration for its scripts per
  language, the user's shortcut setting and the content locale for ``CONFIG_SECONDS``, with
  the request's own CSRF token put in each time (the locales in it are read from the
  database: a new one shows within ``CONFIG_SECONDS``).
- the filter panel (Wagtail's ``_filters.html``: a drilldown with every filter's field, ~250
  countries among them) per everything it is rendered from (``drilldown_key`` of the register's
  filter sets: the places the user may choose, the values asked for, the language), in this
  process. A panel is a pure function of its key: it is never stale, only evicted.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import OrderedDict

import wagtail
from django import template
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.html import json_script
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from wagtail.admin.templatetags import wagtailadmin_tags

from ..selectors import register_scope_for

register = template.Library()

SIDEBAR_SECONDS = 300
_MAC = re.compile(r"Mac|iPod|iPhone|iPad")


def _profile(user):
    return getattr(user, "wagtail_userprofile", None)


def sidebar_cache_key(user) -> str:
    """What the user's sidebar is worked out from, as one cache key."""
    profile = _profile(user)
    facts = (
        wagtail.__version__,
        user.is_active,
        user.is_superuser,
        # a superuser's menu holds everything: no need to read every permission there is
        () if user.is_superuser else sorted(user.get_all_permissions()),
        user.first_name,
        user.get_username(),
        user.email,  # the avatar falls back to one worked out from the address
        getattr(getattr(profile, "avatar", None), "name", "") or "",
        sorted((getattr(profile, "dismissibles", None) or {}).items()),
        register_scope_for(user).cache_key,
    )
    digest = hashlib.sha256(repr(facts).encode()).hexdigest()[:24]
    return f"households:sidebar:{user.pk}:{get_language()}:{digest}"


@register.simple_tag(takes_context=True)
def register_sidebar_props(context):
    """Wagtail's ``{% sidebar_props %}``, kept per user (see the module docstring)."""
    user = context["request"].user
    key = sidebar_cache_key(user)
    props = cache.get(key)
    if props is None:
        props = str(wagtailadmin_tags.sidebar_props(context))
        cache.set(key, props, SIDEBAR_SECONDS)
    return mark_safe(props)  # Wagtail's own json_script output


_SHORTCUTS = template.Template("{% load wagtailadmin_tags %}{% keyboard_shortcuts_dialog %}")
#: Rendered dialogs by (language, Mac or not, shortcuts on): a handful in all.
_shortcuts_dialogs: dict[tuple[str, bool, bool], str] = {}


@register.simple_tag(takes_context=True)
def register_keyboard_shortcuts_dialog(context):
    """Wagtail's ``{% keyboard_shortcuts_dialog %}``, kept per language, platform and the
    user's shortcut setting: all the dialog is made from."""
    request = context["request"]
    enabled = bool(getattr(_profile(request.user), "keyboard_shortcuts", True))
    mac = bool(_MAC.search(request.headers.get("User-Agent", "")))
    key = (get_language() or "", mac, enabled)
    dialog = _shortcuts_dialogs.get(key)
    if dialog is None:
        dialog = _SHORTCUTS.render(template.Context({"request": request}))
        if len(_shortcuts_dialogs) < 64:
            _shortcuts_dialogs[key] = dialog
    return mark_safe(dialog)


#: Rendered filter panels by ``drilldown_key``, the most recently used last.
_drilldowns: OrderedDict[tuple, str] = OrderedDict()
#: ~30 KB each (the countries): a few MB per process at most.
DRILLDOWNS_KEPT = 128


@register.simple_tag
def register_filters_drilldown(filters):
    """Wagtail's ``{% include "wagtailadmin/shared/headers/_filters.html" with filters=filters
    only %}``, kept per ``filters.drilldown_key()`` (see the module docstring)."""
    key_of = getattr(filters, "drilldown_key", None)
    key = key_of() if key_of is not None else None
    panel = _drilldowns.get(key) if key is not None else None
    if panel is None:
        panel = render_to_string("wagtailadmin/shared/headers/_filters.html", {"filters": filters})
        if key is not None:
            _drilldowns[key] = panel
            if len(_drilldowns) > DRILLDOWNS_KEPT:
                _drilldowns.popitem(last=False)
    else:
        _drilldowns.move_to_end(key)
    return mark_safe(panel)  # Wagtail's own template's output


class KeptNode(template.Node):
    def __init__(self, name: str, nodelist: template.NodeList):
        self.name = name
        self.nodelist = nodelist

    def render(self, context):
        view = context.get("view")
        key = (self.name, type(view).__module__, type(view).__qualname__, get_language() or "")
        output = _kept.get(key)
        if output is None:
            output = self.nodelist.render(context)
            if len(_kept) < 64:
                _kept[key] = output
        return output


#: Rendered parts of the page by (name, view class, language): a handful in all.
_kept: dict[tuple[str, str, str, str], str] = {}


@register.tag
def register_kept(parser, token):
    """``{% register_kept "name" %}…{% endregister_kept %}``: the body rendered once per name,
    view class and language in this process, then kept. Only for parts of the page made of
    nothing else: static files' URLs, hooks' output, the view's media."""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError("register_kept takes one quoted name")
    nodelist = parser.parse(("endregister_kept",))
    parser.delete_first_token()
    return KeptNode(bits[1][1:-1], nodelist)


CONFIG_SECONDS = 300
#: Wagtail's configuration for its scripts, less the CSRF token, with when it was worked out.
_configs: dict[tuple[str, bool, str], tuple[float, dict]] = {}


@register.simple_tag(takes_context=True)
def register_wagtail_config(context):
    """Wagtail's ``{% wagtail_config as config %}{{ config|json_script:"wagtail-config" }}``,
    kept per language, the user's shortcut setting and the content locale for
    ``CONFIG_SECONDS`` (see the module docstring). Building it costs a query for the locales,
    six reversed URLs and ~50 translated strings on every page."""
    request = context["request"]
    locale = context.get("locale")
    key = (
        get_language() or "",
        bool(getattr(_profile(request.user), "keyboard_shortcuts", True)),
        getattr(locale, "language_code", ""),
    )
    kept = _configs.get(key)
    if kept is None or time.monotonic() - kept[0] > CONFIG_SECONDS:
        config = wagtailadmin_tags.wagtail_config(context)
        kept = (time.monotonic(), {k: v for k, v in config.items() if k != "CSRF_TOKEN"})
        if len(_configs) < 64:
            _configs[key] = kept
    config = {"CSRF_TOKEN": get_token(request), **kept[1]}
    return json_script(config, "wagtail-config")
