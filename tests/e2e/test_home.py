import pytest

from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_home_page_renders_in_chinese_at_phone_width(phone_page):
    response = phone_page.goto("/")
    assert response.status == 200
    assert phone_page.locator("html").get_attribute("lang") == "zh-hans"
    assert phone_page.locator("h1").inner_text() == "侨心"
    assert phone_page.get_by_role("link", name="注册", exact=True).is_visible()
    # nothing wider than the phone: no sideways scrolling for elderly readers
    overflow = phone_page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    # the stylesheet (served locally, no CDN) is applied: the header is the site's red
    colour = phone_page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert colour == "rgb(179, 38, 30)"
    screenshot(phone_page, "home-phone")


def test_language_switcher_in_the_browser(phone_page):
    phone_page.goto("/")
    phone_page.get_by_role("button", name="English").click()
    phone_page.wait_for_load_state()
    assert phone_page.locator("html").get_attribute("lang") == "en"
    assert phone_page.get_by_role("link", name="Sign up", exact=True).is_visible()
    phone_page.get_by_role("button", name="简体中文").click()
    phone_page.wait_for_load_state()
    assert phone_page.locator("html").get_attribute("lang") == "zh-hans"
