"""What the faster register lists must keep: filter options of the user's scope that follow
every write, cell texts right row by row, and no queries for the options once they are kept.
The world is the "two communities" world of conftest.py."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from households import services
from households.models import Household, Member
from tests.factories.households import HouseholdFactory, MemberFactory

pytestmark = pytest.mark.django_db

HOUSEHOLDS = reverse("households_household:index")
MEMBERS = reverse("households_member:index")


def _options(html: str, name: str) -> set[str]:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no {name} select"
    return set(re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))) - {"---------"}


@pytest.mark.parametrize("url", [HOUSEHOLDS, MEMBERS])
def test_filter_options_are_the_users_scope(world, client_for, url):
    html = client_for("group_leader").get(url).content.decode()
    assert _options(html, "grid_group") == {"东港社区 · 第一小组"}
    assert _options(html, "community") == {"东港社区"}
    html = client_for("staff").get(url).content.decode()
    assert _options(html, "grid_group") == {
        "东港社区 · 第一小组",
        "东港社区 · 第二小组",
        "西山村 · 第一小组",
    }


def test_filter_options_follow_a_write(
    world, client_for, staff, django_capture_on_commit_callbacks
):
    client = client_for("staff")
    assert "西山村 · 第二小组" not in _options(
        client.get(HOUSEHOLDS).content.decode(), "grid_group"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.grid_group_create(
            actor=staff, fields={"community": world.community_b, "name": "第二小组"}
        )
    assert "西山村 · 第二小组" in _options(client.get(HOUSEHOLDS).content.decode(), "grid_group")


def test_filter_options_follow_a_new_responsibility(
    world, client_for, group_leader, staff, django_capture_on_commit_callbacks
):
    client = client_for("group_leader")
    assert _options(client.get(HOUSEHOLDS).content.decode(), "grid_group") == {
        "东港社区 · 第一小组"
    }
    with django_capture_on_commit_callbacks(execute=True):
        services.responsibility_assign(
            user=group_leader, level="group_leader", grid_group=world.b1, actor=staff
        )
    assert _options(client.get(HOUSEHOLDS).content.decode(), "grid_group") == {
        "东港社区 · 第一小组",
        "西山村 · 第一小组",
    }


def test_kept_options_cost_no_query(world, client_for):
    client = client_for("staff")
    client.get(HOUSEHOLDS)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(HOUSEHOLDS).status_code == 200
    places = [q["sql"] for q in queries if 'FROM "households_gridgroup"' in q["sql"]]
    assert places == []


@pytest.mark.parametrize("url", [HOUSEHOLDS, MEMBERS])
def test_a_chosen_place_is_checked_against_the_kept_options(world, client_for, url):
    """The options the user may choose are also the values accepted: no query for either."""
    client = client_for("group_leader")
    query = {"community": world.community_a.pk, "grid_group": world.a1.pk}
    client.get(url, query)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, query)
    places = [
        q["sql"]
        for q in queries
        if 'FROM "households_community"' in q["sql"] or 'FROM "households_gridgroup"' in q["sql"]
    ]
    assert places == []
    shown = {f.field_label: f.value for f in response.context["view"].active_filters}
    assert shown == {"社区": "东港社区", "侨眷小组": "东港社区 · 第一小组"}
    # one outside the group leader's scope is refused, and filters nothing in
    response = client.get(url, {"grid_group": world.b1.pk})
    assert not response.context["filters"].is_valid()
    assert "郑海生" not in response.content.decode()


def test_a_filter_outside_the_scope_is_still_refused(world, client_for):
    html = client_for("group_leader").get(HOUSEHOLDS, {"grid_group": world.b1.pk}).content
    assert "郑海生" not in html.decode()  # hB1's householder


def test_each_row_shows_its_own_labels(world, client_for):
    HouseholdFactory(
        grid_group=world.a2, key="A2-K", householder_name="钱重点", is_key=True, is_empty_nest=True
    )
    Household.objects.filter(pk=world.hA2.pk).update(status=Household.Status.MOVED_AWAY)
    html = client_for("staff").get(HOUSEHOLDS).content.decode()
    rows = {}
    for row in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S):
        for household in Household.objects.all():
            if (household.householder_name or household.key) in row:
                rows[household.householder_name or household.key] = row
    assert "重点、空巢" in rows["钱重点"] and "在册" in rows["钱重点"]
    assert "已迁出" in rows["吴国栋"] and "重点" not in rows["吴国栋"]
    assert "在册" in rows["陈家豪"]


def test_member_rows_show_their_own_labels(world, client_for):
    MemberFactory(
        household=world.hA2,
        name="吴海外",
        country="US",
        lives_abroad=True,
        gender=Member.Gender.FEMALE,
        category=Member.Category.OVERSEAS_CHINESE,
    )
    html = client_for("staff").get(MEMBERS).content.decode()
    row = next(r for r in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S) if "吴海外" in r)
    assert "美国" in row and "华侨" in row and "女" in row
    row = next(r for r in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S) if "陈家豪" in r)
    assert "归侨" in row and "美国" not in row


def _row_of(html: str, text: str) -> str:
    return next(r for r in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S) if text in r)


def test_each_row_links_to_its_own_household(world, client_for):
    """The rows' URLs are reversed once a page and filled in with each row's id."""
    client = client_for("staff")
    households = client.get(HOUSEHOLDS).content.decode()
    members = client.get(MEMBERS).content.decode()
    for household in world.households.values():
        url = reverse("households_household:inspect", args=[household.pk])
        assert f'<a href="{url}">{household.householder_name}</a>' in _row_of(
            households, household.householder_name
        )
    for member in (world.mA1, world.mA1b, world.mB1):
        url = reverse("households_household:inspect", args=[member.household_id])
        assert f'<a href="{url}">{member.name}</a>' in _row_of(members, member.name)


def test_cells_are_escaped(world, client_for):
    HouseholdFactory(grid_group=world.a1, householder_name="<b>李</b>", address="x")
    MemberFactory(household=world.hA1, name="<i>周</i>")
    client = client_for("staff")
    households = client.get(HOUSEHOLDS).content.decode()
    assert "&lt;b&gt;李&lt;/b&gt;" in households and "<b>李</b>" not in households
    members = client.get(MEMBERS).content.decode()
    assert "&lt;i&gt;周&lt;/i&gt;" in members and "<i>周</i>" not in members


# --- the page furniture kept for the register lists ----------------------------------------


def _wagtail_template(name: str) -> str:
    import wagtail

    return (Path(wagtail.__file__).parent / "admin/templates/wagtailadmin" / name).read_text()


def _our_template(name: str) -> str:
    return (Path(settings.BASE_DIR) / "templates/households/admin" / name).read_text()


def _block(name: str, text: str) -> str:
    """The block ``name`` of a template, unindented (the outer one when blocks nest)."""
    found = re.search(rf"( *)\{{% block {name} %\}}.*?\n\1\{{% endblock %\}}", text, re.S)
    assert found, f"no block {name}"
    return textwrap.dedent(found.group(0))


def test_the_register_lists_furniture_is_wagtails_with_the_kept_tags():
    """The list template carries a copy of wagtailadmin/base.html's "furniture" block with
    two tags swapped: when Wagtail changes that block, copy it again."""
    expected = (
        _block("furniture", _wagtail_template("base.html"))
        .replace("{% sidebar_props %}", "{% register_sidebar_props %}")
        .replace("{% keyboard_shortcuts_dialog %}", "{% register_keyboard_shortcuts_dialog %}")
        .replace(
            "{% block content %}{% endblock %}",
            "{% block content %}{{ block.super }}{% endblock %}",
        )
        .replace(
            "{% block branding_logo %}{% endblock %}",
            "{% block branding_logo %}{{ block.super }}{% endblock %}",
        )
    )
    assert _block("furniture", _our_template("register_index.html")) == expected


def test_the_register_lists_header_is_wagtails_with_the_kept_filter_panel():
    """Two more copies: generic/base.html's "slim_header" block includes our header instead of
    Wagtail's, and our header is Wagtail's with the filter panel's include swapped for the
    kept one. When Wagtail changes either block, copy it again."""
    wagtail_header = '{% include "wagtailadmin/shared/headers/slim_header.html" '
    expected = _block("slim_header", _wagtail_template("generic/base.html"))
    assert wagtail_header in expected
    expected = expected.replace(wagtail_header, '{% include "households/admin/slim_header.html" ')
    assert _block("slim_header", _our_template("register_index.html")) == expected

    wagtail_panel = (
        '{% include "wagtailadmin/shared/headers/_filters.html" with filters=filters only %}'
    )
    expected = _block("search_form", _wagtail_template("shared/headers/slim_header.html"))
    assert wagtail_panel in expected
    expected = expected.replace(wagtail_panel, "{% register_filters_drilldown filters %}")
    assert _block("search_form", _our_template("slim_header.html")) == expected


def test_the_register_lists_head_is_wagtails_with_the_config_kept_apart():
    """The "js" block is admin_base.html's with Wagtail's configuration (built fresh for its
    CSRF token) kept apart from the scripts, which are kept whole."""
    wagtails = _block("js", _wagtail_template("admin_base.html"))
    config = '{% wagtail_config as config %}\n    {{ config|json_script:"wagtail-config" }}\n'
    extra = "{% block extra_js %}{% endblock %}\n"
    assert config in wagtails and extra in wagtails
    expected = wagtails.replace(
        config, '{% register_wagtail_config %}\n    {% register_kept "js" %}\n'
    ).replace(
        extra, "{% block extra_js %}{{ block.super }}{% endblock %}\n    {% endregister_kept %}\n"
    )
    assert _block("js", _our_template("register_index.html")) == expected


def _config(html: str) -> dict:
    import json

    found = re.search(r'<script id="wagtail-config" type="application/json">(.*?)</script>', html)
    return json.loads(found.group(1))


def _head(html: str) -> str:
    """The page up to the sidebar: head, scripts and Wagtail's configuration (its token out)."""
    head = html[: html.index("data-wagtail-sidebar-branding-logo")]
    head = re.sub(r'"CSRF_TOKEN": "[^"]*"', "", head)
    return " ".join(head.split())


@pytest.mark.parametrize("url", [HOUSEHOLDS, MEMBERS])
@pytest.mark.parametrize("persona", ["group_leader", "staff"])
def test_the_kept_head_is_the_one_wagtail_renders(world, client_for, persona, url):
    from django.middleware.csrf import _unmask_cipher_token
    from django.template.loader import render_to_string

    client = client_for(persona)
    client.get(url)  # kept, if it was not already
    response = client.get(url)
    html = response.content.decode()
    context = response.context[0].flatten()
    wagtails = render_to_string(
        "wagtailadmin/generic/index.html", context, request=response.wsgi_request
    )
    assert _head(html) == _head(wagtails)
    # the token is the request's own, masked afresh on every page as Wagtail's is
    token = _config(html)["CSRF_TOKEN"]
    assert _unmask_cipher_token(token) == client.cookies["csrftoken"].value
    assert _config(client.get(url).content.decode())["CSRF_TOKEN"] != token


def _panel(html: str) -> str:
    """The filter panel of a list page, whitespace aside."""
    outlet = r'data-w-drilldown-w-dropdown-outlet="[^"]*"\s*>'
    found = re.search(outlet + r"(.*)</div>\s*<input hidden", html, re.S)
    assert found, "no filter panel"
    return " ".join(found.group(1).split())


@pytest.mark.parametrize(
    "params",
    [{}, {"community": "A"}, {"grid_group": "b1", "status": "active"}, {"community": "999999"}],
    ids=["none", "community", "group and status", "unknown community"],
)
@pytest.mark.parametrize("persona", ["group_leader", "staff"])
def test_the_kept_filter_panel_is_the_one_wagtail_renders(world, client_for, persona, params):
    from django.template.loader import render_to_string

    places = {"A": world.community_a.pk, "b1": world.b1.pk}
    query = {name: places.get(value, value) for name, value in params.items()}
    client = client_for(persona)
    client.get(HOUSEHOLDS, query)  # the panel kept, if it was not already
    response = client.get(HOUSEHOLDS, query)
    filters = response.context["filters"]
    wagtails = render_to_string("wagtailadmin/shared/headers/_filters.html", {"filters": filters})
    assert _panel(response.content.decode()) == " ".join(wagtails.split())


def test_the_kept_filter_panel_shows_the_values_asked_for(world, client_for):
    client = client_for("staff")
    chosen = r'<option value="{}" selected>'
    html = client.get(HOUSEHOLDS, {"community": world.community_a.pk}).content.decode()
    assert re.search(chosen.format(world.community_a.pk), _panel(html))
    html = client.get(HOUSEHOLDS, {"community": world.community_b.pk}).content.decode()
    assert re.search(chosen.format(world.community_b.pk), _panel(html))
    assert not re.search(chosen.format(world.community_a.pk), _panel(html))
    # a community outside a group leader's scope is refused in the panel too
    html = client_for("group_leader").get(HOUSEHOLDS, {"community": world.community_b.pk})
    assert "w-field--error" in _panel(html.content.decode())


def _sidebar(html: str) -> str:
    return re.search(r'<script id="wagtail-sidebar-props"[^>]*>(.*?)</script>', html, re.S)[1]


@pytest.mark.parametrize("persona", ["group_leader", "staff"])
def test_the_kept_sidebar_is_the_one_wagtail_builds(world, client_for, persona, rf, request):
    from wagtail.admin.templatetags.wagtailadmin_tags import sidebar_props

    client = client_for(persona)
    html = client.get(HOUSEHOLDS).content.decode()
    page = rf.get(HOUSEHOLDS)
    page.user = request.getfixturevalue(persona)
    assert _sidebar(html) == _sidebar(str(sidebar_props({"request": page})))
    assert _sidebar(client.get(MEMBERS).content.decode()) == _sidebar(html)  # from the cache
    assert "keyboard-shortcuts-dialog" in html


def test_the_kept_sidebar_spares_wagtails_permission_queries(world, client_for):
    client = client_for("staff")
    client.get(HOUSEHOLDS)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(HOUSEHOLDS).status_code == 200
    wagtail_permissions = [
        q["sql"]
        for q in queries
        if "wagtailcore_grouppagepermission" in q["sql"]
        or "wagtailcore_groupcollectionpermission" in q["sql"]
    ]
    assert wagtail_permissions == []


def test_the_sidebar_follows_the_users_permissions(world, client_for, group_leader, roles):
    client = client_for("group_leader")
    before = _sidebar(client.get(HOUSEHOLDS).content.decode())
    assert "households_import" not in before and "/admin/register/import/" not in before
    group_leader.groups.add(roles["staff"])  # given the office's role: the menu grows at once
    after = _sidebar(client.get(HOUSEHOLDS).content.decode())
    assert "/admin/register/import/" in after
