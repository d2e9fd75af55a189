"""Browser tests: Playwright driving Debian's chromium (/usr/bin/chromium) against a live server.

Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
inside one unless told it is safe, which it is here (one thread drives, one serves).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = Path(CHROMIUM).exists()
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"

PHONE = {"width": 390, "height": 844}
# No sandbox (we run as root in CI) and no calls home: the machine has no outside network.
CHROMIUM_ARGS = [
    *("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"),
    *("--disable-background-networking", "--disable-component-update", "--disable-sync"),
    "--disable-dev-shm-usage",
]


def pytest_collection_modifyitems(config, items):
    # On a developer's machine without Debian's chromium the browser tests cannot run; in CI
    # (CI=true) they must, so a missing browser fails there instead of skipping.
    skip = pytest.mark.skipif(
        not HAVE_CHROMIUM and not os.environ.get("CI"),
        reason=f"no chromium at {CHROMIUM}: apt-get install chromium",
    )
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser(django_db_setup):
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Django keeps the data that migrations created (the home page, the site) on the connection
    # object, to restore it for ``serialized_rollback`` tests. Playwright runs the rest of the
    # session in a greenlet with its own context, where ``connections`` hands out new objects:
    # carry the saved data over, or transactional browser tests would start with an empty site.
    saved = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with sync_playwright() as playwright:
        for alias, contents in saved.items():
            connections[alias]._test_serialized_contents = contents
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser, live_server):
    """A page in a phone-sized Chinese browser, pointed at the live server."""
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        is_mobile=True,
        has_touch=True,
        base_url=live_server.url,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


#: The smallest phone width the site must work at.
NARROW = {"width": 360, "height": 740}


def large_text(page) -> None:
    """The browser's text size at 200 % (what an elderly reader sets): the root font size
    doubled through the CSSOM, which the site's CSP allows (an inline style tag it refuses);
    the site sizes in rem, so everything grows."""
    page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")


def axe_serious(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now (axe-core comes in
    the axe-playwright-python wheel: nothing is fetched)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def overflow_x(page) -> int:
    """How many CSS pixels the page is wider than the window (0: nothing to scroll sideways)."""
    return page.evaluate(
        "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)"
    )


@pytest.fixture
def narrow_page(browser, live_server):
    """A page at 360 px in a Chinese phone browser, pointed at the live server."""
    context = browser.new_context(
        viewport=NARROW,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        is_mobile=True,
        has_touch=True,
        base_url=live_server.url,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
