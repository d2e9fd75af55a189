"""Security headers: every response carries the Content-Security-Policy, and no page our staff
use in the Wagtail admin writes an inline script that the policy would block.

The browser's view of the same (no violation, the widgets still work) is tests/e2e/test_csp.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import wagtail
from django.template.loader import render_to_string
from django.test import Client

from tests.factories.events import event_create
from tests.households.conftest import world  # noqa: F401 (the register's households)

pytestmark = pytest.mark.django_db

# An inline script the browser would execute: no src, and no data type (JSON islands are inert).
EXECUTABLE_INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*\btype=\"application/(?:ld\+)?json\")[^>]*>",
    re.IGNORECASE,
)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+=", re.IGNORECASE)


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def assert_strict(directives: dict[str, list[str]]) -> None:
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]  # no 'unsafe-inline', 'unsafe-eval', hashes
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:", "blob:"]
    assert directives["connect-src"] == ["'self'"]
    assert directives["media-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    # nothing from another host, anywhere in the policy
    assert not [s for sources in directives.values() for s in sources if "//" in s or "*" in s]


@pytest.fixture
def event():
    return event_create(title="重阳敬老活动")


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client


@pytest.mark.parametrize(
    "url", ["/", "/events/", "event", "/accounts/login/", "/accounts/signup/", "/no-such-page/"]
)
def test_every_public_response_carries_the_strict_policy(client, event, url):
    response = client.get(event.url if url == "event" else url)
    assert response.status_code in (200, 404)
    directives = policy(response)
    assert_strict(directives)
    assert directives["frame-ancestors"] == ["'none'"]
    assert "style-src-elem" not in directives  # the admin's allowance stays in the admin


def test_logged_in_pages_and_the_admin_carry_the_policy(client_for, event):
    relative = client_for("relative")
    for url in ["/me/", "/me/events/", event.url]:
        response = relative.get(url)
        assert response.status_code == 200, url
        assert_strict(policy(response))

    response = client_for("staff").get("/admin/")
    assert response.status_code == 200
    directives = policy(response)
    assert_strict(directives)
    assert directives["frame-ancestors"] == ["'none'"]
    # the rich-text editor's placeholder <style>: style elements only, in the admin only
    assert directives["style-src-elem"] == ["'self'", "'unsafe-inline'"]
    assert "style-src-attr" not in directives


def test_wagtail_preview_may_be_framed_by_the_editor_only(staff_client, event):
    from portal.models import HomePage

    home = HomePage.objects.get()
    preview_url = f"/admin/pages/{home.pk}/edit/preview/"
    form = {"title": home.title, "slug": home.slug, "body-count": "0"}
    assert staff_client.post(preview_url, form).json()["is_valid"]
    response = staff_client.get(preview_url)
    assert 'class="site-header"' in response.content.decode()  # the page itself, previewed
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert policy(response)["frame-ancestors"] == ["'self'"]


def test_other_security_headers(client):
    response = client.get("/")
    assert response.headers["Permissions-Policy"] == (
        "camera=(self), microphone=(), geolocation=(), payment=(), usb=()"
    )
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


# --- no inline script in the pages -----------------------------------------------------------


def _inline_scripts(html: str) -> list[str]:
    return [html[m.start() : m.start() + 160] for m in EXECUTABLE_INLINE_SCRIPT.finditer(html)]


def test_public_pages_have_no_inline_script_style_or_handler(client_for, event):
    relative = client_for("relative")
    for url in ["/", "/events/", event.url, "/me/", "/me/events/", "/accounts/login/"]:
        html = relative.get(url).content.decode()
        assert _inline_scripts(html) == [], url
        assert not STYLE_ATTRIBUTE.search(html), url
        assert not INLINE_HANDLER.search(html), url
    # the error pages too (500.html is rendered without context)
    for name in ["404.html", "429.html", "500.html"]:
        html = render_to_string(name)
        assert _inline_scripts(html) == [], name
        assert not STYLE_ATTRIBUTE.search(html), name


def test_admin_pages_staff_use_have_no_inline_script(staff_client, event, world):  # noqa: F811
    urls = [
        "/admin/",
        "/admin/pages/",
        f"/admin/pages/{event.get_parent().pk}/",
        # date-time pickers, the image chooser, the questions' inline panel, the schedule dialog
        f"/admin/pages/{event.pk}/edit/",
        f"/admin/pages/add/events/eventpage/{event.get_parent().pk}/",
        "/admin/pages/search/?q=重阳",
        "/admin/reports/site-history/",  # date filters
        "/admin/reports/workflow/",
        "/admin/reports/workflow_tasks/",
        "/admin/reports/locked/",
        "/admin/reports/aging-pages/",
        "/admin/images/",
        "/admin/documents/",
        "/admin/register/households/",
        "/admin/register/households/new/",
        f"/admin/register/households/inspect/{world.hA1.pk}/",
        f"/admin/register/households/edit/{world.hA1.pk}/",
        "/admin/register/members/",
        "/admin/register/members/new/",
        f"/admin/register/members/edit/{world.mA1.pk}/",
        "/admin/register/import/",
        "/admin/register/access-log/",
        "/admin/register/stats/",
        "/admin/events/",
        "/admin/events/report/",
        f"/admin/events/{event.pk}/signup-member/",
        f"/admin/events/{event.pk}/copy/",
        "/admin/events/checkin/",
        f"/admin/events/checkin/{event.pk}/",
        f"/admin/events/{event.pk}/signups/",
    ]
    for url in urls:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert _inline_scripts(html) == [], url
        assert not INLINE_HANDLER.search(html), url
        assert not STYLE_ATTRIBUTE.search(html), url


def test_admin_only_screens_have_no_inline_script(client_for, event):
    from wagtail.models import Workflow

    admin = client_for("admin")
    workflow = Workflow.objects.first() or Workflow.objects.create(name="审核")
    for url in [
        "/admin/workflows/list/",
        f"/admin/workflows/edit/{workflow.pk}/",  # the task chooser
        "/admin/workflows/tasks/index/",
        "/admin/images/multiple/add/",
        "/admin/documents/multiple/add/",
        "/admin/users/",
        "/admin/groups/",
        "/admin/collections/",
        "/admin/redirects/",
        f"/admin/pages/{event.pk}/move/",
        f"/admin/pages/{event.pk}/copy/",
        f"/admin/pages/{event.pk}/privacy/",
        f"/admin/pages/{event.pk}/history/",
    ]:
        response = admin.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        if response.headers["Content-Type"].startswith("application/json"):
            html = response.json()["html"]  # a modal's content
        assert _inline_scripts(html) == [], url
        assert not INLINE_HANDLER.search(html), url


def test_chooser_modals_have_no_inline_script(staff_client):
    for url in ["/admin/images/chooser/", "/admin/choose-page/", "/admin/documents/chooser/"]:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert _inline_scripts(response.json()["html"]) == [], url


def test_the_editor_renders_wagtail_widgets_as_inert_start_elements(staff_client, event):
    html = staff_client.get(f"/admin/pages/{event.pk}/edit/").content.decode()
    calls = set(re.findall(r'data-qx-init-call="([A-Za-z]+)"', html))
    assert {"initDateTimeChooser", "InlinePanel", "ImageChooser"} <= calls
    assert 'data-qx-init-id="id_starts_at"' in html
    assert "admin-init.js" in html


def test_chooser_widgets_render_without_inline_script():
    from wagtail.admin.widgets import AdminPageChooser
    from wagtail.admin.widgets.workflows import AdminTaskChooser
    from wagtail.documents.widgets import AdminDocumentChooser
    from wagtail.images.widgets import AdminImageChooser

    for widget, call in [
        (AdminPageChooser(), "PageChooser"),
        (AdminImageChooser(), "ImageChooser"),
        (AdminDocumentChooser(), "DocumentChooser"),
        (AdminTaskChooser(), "createTaskChooser"),
    ]:
        html = widget.render("field", None, attrs={"id": "id_field"})
        assert _inline_scripts(html) == [], widget
        assert f'data-qx-init-call="{call}" data-qx-init-id="id_field"' in html


# Wagtail's templates that write an inline script, and where each is handled. A Wagtail upgrade
# that adds one fails here: override it (templates/wagtailadmin/) the way these are.
WAGTAIL_INLINE_SCRIPTS = {
    "admin/templates/wagtailadmin/widgets/date_input.html": "overridden",
    "admin/templates/wagtailadmin/widgets/time_input.html": "overridden",
    "admin/templates/wagtailadmin/widgets/datetime_input.html": "overridden",
    "admin/templates/wagtailadmin/panels/inline_panel.html": "overridden",
    "admin/templates/wagtailadmin/panels/multiple_chooser_panel.html": "overridden",
    # wagtail.contrib.search_promotions is not installed
    "contrib/search_promotions/templates/wagtailsearchpromotions/add.html": "not installed",
    "contrib/search_promotions/templates/wagtailsearchpromotions/edit.html": "not installed",
}


def test_every_wagtail_template_with_an_inline_script_is_handled(settings):
    root = Path(wagtail.__file__).parent
    found = set()
    for path in root.rglob("templates/**/*.html"):
        relative = path.relative_to(root).as_posix()
        if "/tests/" in relative or relative.startswith("test/"):
            continue
        if EXECUTABLE_INLINE_SCRIPT.search(path.read_text(encoding="utf-8")):
            found.add(relative)
    assert found == set(WAGTAIL_INLINE_SCRIPTS)
    templates = Path(settings.BASE_DIR) / "templates"
    for relative, how in WAGTAIL_INLINE_SCRIPTS.items():
        if how == "overridden":
            override = templates / relative.split("/templates/", 1)[1]
            assert override.exists(), override
            assert not EXECUTABLE_INLINE_SCRIPT.search(override.read_text(encoding="utf-8"))
