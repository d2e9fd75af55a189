import pytest

pytestmark = pytest.mark.django_db


def test_home_page_is_chinese_by_default(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in html
    assert "社区为侨服务好" in html
    assert "注册" in html


def test_english_browser_still_gets_chinese_until_it_chooses(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-hans">' in response.content.decode()


def test_traditional_chinese_browser_gets_traditional(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-TW,zh;q=0.9")
    html = response.content.decode()
    assert '<html lang="zh-hant">' in html
    assert "註冊" in html


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "Sign up"), ("zh-hant", "註冊"), ("zh-hans", "注册")]
)
def test_language_switcher_sets_the_language(client, language, expected):
    response = client.post("/i18n/setlang/", {"language": language, "next": "/"}, follow=True)
    html = response.content.decode()
    assert f'<html lang="{language}">' in html
    assert expected in html


def test_account_pages_use_the_site_look_in_chinese(client):
    for url in ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/",
                "/accounts/login/code/"]:  # fmt: skip
        html = client.get(url).content.decode()
        assert 'class="site-header"' in html, url
        assert '<html lang="zh-hans">' in html, url
    signup = client.get("/accounts/signup/").content.decode()
    assert "手机号码" in signup
    assert "姓名" in signup


def test_wagtail_login_form_redirects_to_the_rate_limited_accounts_login(client):
    response = client.get("/admin/login/?next=/admin/pages/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fpages%2F"
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fpages%2F"


def test_admin_login_redirect_ignores_foreign_next(client):
    response = client.get("/admin/login/?next=https://evil.example.com/")
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_admin_requires_login_through_accounts(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain == [
        ("/admin/login/?next=/admin/", 302),
        ("/accounts/login/?next=%2Fadmin%2F", 302),
    ]
    assert response.status_code == 200


@pytest.mark.parametrize("url", ["/admin/", "/admin/pages/", "/admin/login/?next=/admin/"])
def test_a_logged_in_person_without_admin_access_gets_the_403_page(client, relative, url):
    """Not the login again: allauth would send them straight back to /admin/, and so on for
    ever (ERR_TOO_MANY_REDIRECTS)."""
    client.force_login(relative)
    response = client.get(url, follow=True)
    assert response.status_code == 403
    assert "您没有权限做这件事" in response.content.decode()
    assert len(response.redirect_chain) <= 1


def test_a_logged_in_staff_member_is_sent_on_from_the_admin_login(client, staff):
    client.force_login(staff)
    response = client.get("/admin/login/?next=/admin/pages/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fpages%2F"


def test_a_private_page_refusing_a_logged_in_person_gets_the_403_page(client, relative):
    from django.contrib.auth.models import Group
    from wagtail.models import Page, PageViewRestriction

    page = Page.objects.get(depth=2).specific
    restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(Group.objects.create(name="只给别人"))
    client.force_login(relative)
    response = client.get(page.url, follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) <= 1


@pytest.mark.parametrize("url", ["/django-admin/", "/admin/auth/user/", "/djadmin/"])
def test_django_admin_is_not_exposed(client, staff, url):
    client.force_login(staff)
    assert client.get(url).status_code == 404


def test_healthz_is_trivial(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.content == b"ok"


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 302),
        ("relative", 302),
        ("volunteer", 302),
        ("group_leader", 200),
        ("cadre", 200),
        ("committee_member", 200),
        ("outsider", 302),
        ("staff", 200),
        ("admin", 200),
    ],
)
def test_wagtail_admin_is_for_staff(client_for, persona, status):
    assert client_for(persona).get("/admin/").status_code == status


def test_staff_can_edit_the_home_page(client_for):
    from portal.models import HomePage

    home = HomePage.objects.get()
    client = client_for("staff")
    assert client.get(f"/admin/pages/{home.pk}/edit/").status_code == 200
    assert client.get(f"/admin/pages/add/wagtailcore/page/{home.pk}/").status_code in (200, 302)


def test_my_page_requires_login(client):
    response = client.get("/me/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_unknown_page_is_a_chinese_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "找不到这个页面" in response.content.decode()


def test_signed_in_account_pages_use_the_site_look_in_chinese(client_for):
    client = client_for("relative")
    for url in ["/accounts/password/change/", "/accounts/email/", "/accounts/phone/change/",
                "/accounts/logout/", "/me/"]:  # fmt: skip
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert 'class="site-header"' in html, url
        assert '<html lang="zh-hans">' in html, url
