"""Refusals answer with a page in the site's look and in Chinese, never Django's bare English."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_a_form_posted_without_its_csrf_token_gets_the_sites_page():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": "13812345678", "password": "x"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "页面已过期，请重新提交" in html
    assert 'class="site-header' in html or "<header" in html


def test_a_refused_action_gets_the_sites_403_page(rf):
    """Django's own 403 handler (a PermissionDenied raised outside the admin) renders ours."""
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    response = permission_denied(rf.get("/me/"), PermissionDenied())
    html = response.content.decode()
    assert response.status_code == 403
    assert "您没有权限做这件事" in html
    assert "<h1>403 Forbidden</h1>" not in html


def test_a_refusal_inside_the_admin_is_wagtails_message_not_an_error(client_for):
    """Wagtail turns a PermissionDenied inside the admin into its own "no permission" message."""
    response = client_for("committee_member").get("/admin/register/import/")
    assert response.status_code == 302
