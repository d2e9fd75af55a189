"""The events journey in a phone browser: a relative signs up and gets a QR code; at the door a
staff member scans it with the phone camera (a fake camera showing that QR code)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import expect

from events.models import Signup
from events.pages import EventQuestion
from events.qr import checkin_text
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, screenshot
from tests.factories.events import event_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _logged_in(context, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_relative_signs_up_with_family_and_sees_the_qr_code(phone_page, live_server, relative):
    event = event_create(
        title="中秋联欢晚会",
        capacity=30,
        party_size_max=3,
        questions=[{"label": "是否需要接送", "kind": EventQuestion.Kind.YES_NO, "required": True}],
    )
    page = phone_page
    _logged_in(page.context, live_server, relative)

    page.goto("/events/")
    page.get_by_role("link", name=re.compile("中秋联欢晚会")).click()
    page.wait_for_url(re.compile(re.escape(event.url) + "$"))
    page.get_by_label("参加人数（含本人）").fill("4")
    page.get_by_label("否").check()
    page.get_by_role("button", name="确认报名").click()
    assert "最多 3 人" in page.locator("#signup").inner_text()  # refused, form kept
    assert page.get_by_label("否").is_checked()
    assert not Signup.objects.exists()

    page.get_by_label("参加人数（含本人）").fill("2")
    page.get_by_role("button", name="确认报名").click()
    page.wait_for_url(re.compile(re.escape(event.url) + "$"))
    assert "报名成功" in page.locator("main").inner_text()
    signup = Signup.objects.get(event=event, user=relative)
    assert (signup.status, signup.party_size) == ("confirmed", 2)
    screenshot(page, "event-signed-up")

    page.get_by_role("link", name="查看签到二维码").click()
    page.wait_for_url(re.compile(r"/me/events/$"))
    assert page.locator("figure.qr svg").is_visible()
    assert signup.code in page.locator("figure.qr").inner_text()
    screenshot(page, "my-signups-qr")


def _camera_file(text: str, path: Path) -> None:
    """A few frames of video (Y4M) showing the QR code of ``text``, for chromium's fake camera."""
    import segno
    from PIL import Image

    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=10, border=4)
    buffer.seek(0)
    qr = Image.open(buffer).convert("L")
    frame = Image.new("L", (640, 480), 255)
    frame.paste(qr, ((640 - qr.width) // 2, (480 - qr.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    cb, cr = cb.resize((320, 240)), cr.resize((320, 240))
    with path.open("wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(10):
            out.write(b"FRAME\n" + y.tobytes() + cb.tobytes() + cr.tobytes())


def test_staff_scans_the_qr_code_at_the_door(browser, live_server, staff, tmp_path):
    event = event_create(title="重阳敬老活动")
    arriving = Signup.objects.create(
        event=event, name="王秀英", phone="+8613812345678", status="confirmed", party_size=2
    )
    camera = tmp_path / "qr.y4m"
    _camera_file(checkin_text(arriving.code), camera)
    fake_camera = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}",
    ]
    # A second chromium from the session's Playwright, started with the fake camera.
    with_camera = browser.browser_type.launch(
        executable_path=CHROMIUM, headless=True, args=[*CHROMIUM_ARGS, *fake_camera]
    )
    try:
        context = with_camera.new_context(
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            base_url=live_server.url,
            permissions=["camera"],
        )
        _logged_in(context, live_server, staff)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"/admin/events/checkin/{event.pk}/")
        page.get_by_role("button", name="打开摄像头扫码").click()
        # A locator, not wait_for_function: Playwright evals that string, which the CSP refuses.
        expect(page.locator("[data-scan-result]")).to_contain_text("王秀英")
        screenshot(page, "checkin-scanned")
    finally:
        with_camera.close()
    arriving.refresh_from_db()
    assert arriving.checked_in_at is not None
