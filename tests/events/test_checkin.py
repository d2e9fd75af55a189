"""Check-in at the door: the QR code on a sign-up, reading it back, and the admin screens.

Outcomes of the admin URLs, as Wagtail gives them (see tests/households/test_permissions.py):
people without admin access are sent to the login page; admin users without
``events.check_in`` are sent to the dashboard with an error (or get 403 on a fetch() call).
"""

from __future__ import annotations

import datetime
import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import Signup, SignupLog
from events.qr import checkin_text, parse_checkin_text, signup_qr_svg
from tests.factories.events import event_create

pytestmark = pytest.mark.django_db

OK, DENIED, LOGIN = "ok", "denied", "login"
EXPECTED = {
    "anonymous": LOGIN,
    "relative": LOGIN,
    "volunteer": LOGIN,
    "outsider": LOGIN,
    "group_leader": DENIED,
    "cadre": DENIED,
    "committee_member": DENIED,
    "staff": OK,
    "admin": OK,
}
XHR = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}


def _signup(event, name, *, phone="", status=Signup.Status.CONFIRMED, party_size=1, **extra):
    return Signup.objects.create(
        event=event, name=name, phone=phone, status=status, party_size=party_size, **extra
    )


@pytest.fixture
def event():
    return event_create(title="中秋茶话会", capacity=20, party_size_max=4)


@pytest.fixture
def wang(event):
    return _signup(event, "王秀英", phone="+8613812345678", party_size=2)


@pytest.fixture
def staff_client(client_for):
    return client_for("staff")


def _url(name, *args):
    return reverse(f"events_checkin_{name}", args=args)


def _outcome(response, path) -> str:
    if response.status_code == 200:
        return OK
    if response.status_code == 302:
        location = urlsplit(response["Location"])
        if location.path in ("/admin/login/", "/accounts/login/"):  # the admin's login gate
            assert parse_qs(location.query)["next"] == [path]
            return LOGIN
        if response["Location"] == reverse("wagtailadmin_home"):
            return DENIED
    return f"HTTP {response.status_code} {response.get('Location', '')}"


def _checked_in(signup) -> bool:
    signup.refresh_from_db()
    return signup.checked_in_at is not None


# -- QR code ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["QX:ABCD2345", "qx:abcd2345", "  QX:ABCD2345\n", "ABCD2345", "abcd2345", " abcd 2345 ",
     "ABCD-2345", "QX：ABCD2345"],
)  # fmt: skip
def test_parse_checkin_text_accepts_what_people_and_scanners_give(text):
    assert parse_checkin_text(text) == "ABCD2345"


@pytest.mark.parametrize(
    "text", ["", None, "   ", "QX:", "ABC2345", "ABCD23456", "https://example.com/", "QX:ABCD234!"]
)
def test_parse_checkin_text_refuses_what_is_not_a_code(text):
    assert parse_checkin_text(text) is None


def _svg_matrix(svg: str) -> list[str]:
    """Rebuild the QR's modules from segno's SVG path (``M x y``, ``m dx dy``, ``h n``)."""
    scale = int(re.search(r'transform="scale\((\d+)\)"', svg).group(1))
    size = int(re.search(r'width="(\d+)"', svg).group(1)) // scale
    path = re.search(r' d="([^"]+)"', svg).group(1)
    rows = [[0] * size for _ in range(size)]
    x = y = 0.0
    for command, args in re.findall(r"([A-Za-z])([^A-Za-z]*)", path):
        numbers = [float(n) for n in args.split()]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        elif command == "h":
            for column in range(int(x), int(x + numbers[0])):
                rows[int(y)][column] = 1
            x += numbers[0]
        else:
            raise AssertionError(f"unexpected path command {command!r}")
    return ["".join(map(str, row)) for row in rows]


def test_signup_qr_svg_is_an_inline_svg(event, wang):
    svg = signup_qr_svg(wang)

    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<?xml" not in svg  # inline: goes straight into a page
    assert 'stroke="#000"' in svg
    assert 'transform="scale(5)"' in svg
    assert f"签到码 {wang.code}" in svg
    # A regular QR code (phones do not read Micro QR): version 1 is 21 modules, plus 2 + 2 border.
    assert len(_svg_matrix(svg)) == 25
    assert checkin_text(wang.code) == f"QX:{wang.code}"


JSQR = Path(settings.BASE_DIR) / "static" / "vendor" / "jsqr" / "jsQR.js"
DECODE = """
const jsQR = require(process.argv[1]);
const rows = JSON.parse(require("fs").readFileSync(0, "utf8"));
const scale = 4, pad = 6, size = (rows.length + 2 * pad) * scale;
const data = new Uint8ClampedArray(size * size * 4).fill(255);
rows.forEach((row, y) => [...row].forEach((bit, x) => {
  if (bit !== "1") return;
  for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) {
    const i = (((y + pad) * scale + dy) * size + (x + pad) * scale + dx) * 4;
    data[i] = data[i + 1] = data[i + 2] = 0;
  }
}));
const found = jsQR(data, size, size);
process.stdout.write(JSON.stringify(found ? found.data : null));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js to run the vendored jsQR")
def test_the_vendored_jsqr_reads_the_code_back(event, wang):
    """The symbol in the SVG, read by the same decoder phones without BarcodeDetector use."""
    matrix = _svg_matrix(signup_qr_svg(wang))

    result = subprocess.run(
        ["node", "-e", DECODE, str(JSQR)],
        input=json.dumps(matrix),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert json.loads(result.stdout) == f"QX:{wang.code}"
    assert parse_checkin_text(json.loads(result.stdout)) == wang.code


# -- who may use the screens ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", list(EXPECTED))
@pytest.mark.parametrize("name", ["index", "event"])
def test_check_in_pages_by_persona(client_for, event, wang, persona, name):
    path = _url("index") if name == "index" else _url("event", event.pk)

    response = client_for(persona).get(path)

    assert _outcome(response, path) == EXPECTED[persona]
    if EXPECTED[persona] == OK:
        assert "中秋茶话会" in response.content.decode()


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_writes_by_persona(client_for, event, wang, persona):
    client = client_for(persona)
    paths = [
        (_url("scan", event.pk), {"code": wang.code}),
        (_url("signup", event.pk, wang.pk), {}),
        (_url("walk_in", event.pk), {"name": "赵大妈", "party_size": "1"}),
    ]
    for path, data in paths:
        response = client.post(path, data)
        if EXPECTED[persona] == OK:
            assert response.status_code in (200, 302)
        else:
            assert _outcome(response, path) == EXPECTED[persona]
    if EXPECTED[persona] == OK:
        assert _checked_in(wang)
        assert Signup.objects.filter(status=Signup.Status.WALK_IN).count() == 1
    else:
        assert not _checked_in(wang)
        assert not Signup.objects.filter(status=Signup.Status.WALK_IN).exists()


def test_a_scan_without_permission_answers_403_to_fetch(client_for, event, wang):
    response = client_for("committee_member").post(
        _url("scan", event.pk), {"code": wang.code}, **XHR
    )

    assert response.status_code == 403
    assert not _checked_in(wang)


def test_unpublished_or_missing_event_is_404(staff_client):
    draft = event_create(title="草稿活动", publish=False)

    assert staff_client.get(_url("event", draft.pk)).status_code == 404
    assert staff_client.post(_url("scan", draft.pk), {"code": "ABCD2345"}).status_code == 404
    assert staff_client.get(_url("event", draft.pk + 999)).status_code == 404


def test_the_event_index_page_is_not_a_check_in_target(staff_client, event):
    assert staff_client.get(_url("event", event.get_parent().pk)).status_code == 404


def test_scan_only_takes_post(staff_client, event):
    assert staff_client.get(_url("scan", event.pk)).status_code == 405


# -- the page ---------------------------------------------------------------------------------


def test_page_shows_counts_scanner_and_confirmed_people(staff_client, event, wang, staff):
    chen = _signup(event, "陈家豪", phone="+8613900001111")
    services.signup_check_in(signup_id=chen.pk, actor=staff)
    _signup(event, "李候补", status=Signup.Status.WAITLISTED)
    services.walk_in_record(event=event, name="赵大妈", party_size=3, actor=staff)

    html = staff_client.get(_url("event", event.pk)).content.decode()

    assert re.search(r'data-count="confirmed">3<', html)  # 王 2 + 陈 1
    assert re.search(r'data-count="checked_in">1<', html)
    assert re.search(r'data-count="walk_ins">3<', html)
    assert "王秀英" in html and "陈家豪" in html
    assert "李候补" not in html  # the list shows confirmed sign-ups; a search finds the others
    assert "138****5678" in html and "+8613812345678" not in html
    assert f'data-scan-url="{_url("scan", event.pk)}"' in html
    assert "vendor/jsqr/jsQR.js" in html and "events/checkin.js" in html
    assert "HTTPS" in html  # says why the camera may not open
    assert 'name="q"' in html  # the manual code box


@pytest.mark.parametrize(
    ("q", "found"),
    [("王", {"王秀英"}), ("5678", {"王秀英"}), ("1111", {"陈家豪"}), ("候补", {"李候补"})],
)
def test_search_by_name_phone_end_or_code(staff_client, event, wang, q, found):
    _signup(event, "陈家豪", phone="+8613900001111")
    _signup(event, "李候补", status=Signup.Status.WAITLISTED)
    _signup(event, "赵现场", status=Signup.Status.WALK_IN)

    response = staff_client.get(_url("event", event.pk), {"q": q})

    listed = set(re.findall(r"<strong>([^<]+)</strong>", _list_html(response)))
    assert listed == found


@pytest.fixture
def door_client(roles):
    """A door volunteer who may check people in but not unmask numbers."""
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    user = UserFactory(name="门口义工")
    user.user_permissions.add(
        Permission.objects.get(codename="access_admin", content_type__app_label="wagtailadmin"),
        Permission.objects.get(codename="check_in", content_type__app_label="events"),
    )
    client = Client()
    client.force_login(user)
    return client


def _listed(response) -> set[str]:
    return set(re.findall(r"<strong>([^<]+)</strong>", _list_html(response)))


def test_who_may_not_unmask_finds_a_phone_only_by_the_whole_number(door_client, event, wang):
    _signup(event, "陈家豪", phone="+8613900001111")
    page = _url("event", event.pk)
    for n in range(3, 11):  # the end of the number, one digit more each time
        assert _listed(door_client.get(page, {"q": "13812345678"[-n:]})) == set(), n
    assert _listed(door_client.get(page, {"q": "1381234"})) == set()
    assert _listed(door_client.get(page, {"q": "13812345678"})) == {"王秀英"}
    assert _listed(door_client.get(page, {"q": "+86 138 1234 5678"})) == {"王秀英"}
    assert _listed(door_client.get(page, {"q": "王秀"})) == {"王秀英"}


def test_search_by_the_end_of_a_phone_is_logged_masked(staff_client, staff, event, wang):
    from households.models import AccessLog

    assert _listed(staff_client.get(_url("event", event.pk), {"q": "345678"})) == {"王秀英"}
    search = AccessLog.objects.get(action=AccessLog.Action.SEARCH)
    assert search.user == staff
    assert search.object_type == "event_signups" and search.object_id == event.pk
    assert search.filters == {"q": "******", "by_part": True}


def test_search_by_code_in_lower_case(staff_client, event, wang):
    _signup(event, "陈家豪")

    response = staff_client.get(_url("event", event.pk), {"q": f"qx:{wang.code.lower()}"})

    assert set(re.findall(r"<strong>([^<]+)</strong>", _list_html(response))) == {"王秀英"}


def _list_html(response) -> str:
    html = response.content.decode()
    return html.split("data-checkin-list>", 1)[1].split("</ul>", 1)[0]


def test_waitlisted_person_found_by_search_has_no_check_in_button(staff_client, event):
    waiting = _signup(event, "李候补", status=Signup.Status.WAITLISTED)

    listing = _list_html(staff_client.get(_url("event", event.pk), {"q": "李候补"}))

    assert "没有确认名额" in listing
    assert _url("signup", event.pk, waiting.pk) not in listing


# -- checking in with the button ----------------------------------------------------------------


def test_check_in_button(staff_client, staff, event, wang):
    response = staff_client.post(_url("signup", event.pk, wang.pk), {"q": "王"})

    assert response.status_code == 302
    assert response["Location"] == _url("event", event.pk) + "?q=%E7%8E%8B"
    wang.refresh_from_db()
    assert wang.checked_in_at is not None
    assert wang.checked_in_by == staff
    assert SignupLog.objects.filter(signup=wang, action=SignupLog.Action.CHECK_IN).count() == 1
    page = staff_client.get(response["Location"]).content.decode()
    assert "签到成功：王秀英，共 2 人。" in page
    assert _url("undo", event.pk, wang.pk) in page  # now offers 撤销


def test_check_in_button_twice_keeps_the_first_time(staff_client, event, wang):
    staff_client.post(_url("signup", event.pk, wang.pk))
    wang.refresh_from_db()
    first = wang.checked_in_at

    response = staff_client.post(_url("signup", event.pk, wang.pk), follow=True)

    wang.refresh_from_db()
    assert wang.checked_in_at == first
    assert "已签到" in response.content.decode()
    assert SignupLog.objects.filter(signup=wang, action=SignupLog.Action.CHECK_IN).count() == 1


def test_check_in_button_refuses_a_waitlisted_sign_up(staff_client, event):
    waiting = _signup(event, "李候补", status=Signup.Status.WAITLISTED)

    response = staff_client.post(_url("signup", event.pk, waiting.pk), follow=True)

    assert "李候补 还在候补名单上，没有确认名额。" in response.content.decode()
    assert not _checked_in(waiting)


def test_check_in_button_for_a_sign_up_of_another_event_is_404(staff_client, event):
    other = event_create(title="重阳敬老宴")
    theirs = _signup(other, "别的活动的人")

    response = staff_client.post(_url("signup", event.pk, theirs.pk))

    assert response.status_code == 404
    assert not _checked_in(theirs)


def test_undo(staff_client, staff, event, wang):
    services.signup_check_in(signup_id=wang.pk, actor=staff)

    response = staff_client.post(_url("undo", event.pk, wang.pk), follow=True)

    wang.refresh_from_db()
    assert wang.checked_in_at is None and wang.checked_in_by is None
    assert SignupLog.objects.filter(signup=wang, action=SignupLog.Action.UNDO_CHECK_IN).exists()
    html = response.content.decode()
    assert "已撤销 王秀英 的签到。" in html
    assert re.search(r'data-count="checked_in">0<', html)


# -- checking in by scan ----------------------------------------------------------------------


def _scan(client, event, code):
    response = client.post(_url("scan", event.pk), {"code": code}, **XHR)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_scan_checks_in(staff_client, staff, event, wang):
    answer = _scan(staff_client, event, f"QX:{wang.code}")

    assert answer["ok"] is True and answer["already"] is False
    assert answer["name"] == "王秀英"
    assert answer["party_size"] == 2
    assert answer["message"] == "签到成功：王秀英，共 2 人。"
    assert answer["counts"] == {"confirmed": 2, "checked_in": 2, "walk_ins": 0, "attended": 2}
    wang.refresh_from_db()
    assert wang.checked_in_by == staff


def test_scan_accepts_a_typed_lower_case_code(staff_client, event, wang):
    answer = _scan(staff_client, event, f"  {wang.code.lower()} ")

    assert answer["ok"] is True
    assert _checked_in(wang)


def test_scanning_twice_says_already_with_the_first_time(staff_client, event, wang):
    _scan(staff_client, event, f"QX:{wang.code}")
    wang.refresh_from_db()
    first = wang.checked_in_at

    answer = _scan(staff_client, event, f"QX:{wang.code}")

    wang.refresh_from_db()
    assert wang.checked_in_at == first
    assert answer["ok"] is True and answer["already"] is True
    hhmm = timezone.localtime(first).strftime("%H:%M")
    assert answer["message"] == f"王秀英 已签到（{hhmm} 签到），无需重复签到。"
    assert SignupLog.objects.filter(signup=wang, action=SignupLog.Action.CHECK_IN).count() == 1


def test_scan_refuses_a_code_of_another_event(staff_client, event):
    other = event_create(title="重阳敬老宴")
    theirs = _signup(other, "别的活动的人")

    answer = _scan(staff_client, event, f"QX:{theirs.code}")

    assert answer["ok"] is False
    # found nowhere: the door of one event learns nothing about another (not even its title)
    assert answer["message"] == f"找不到签到码 {theirs.code} 的报名，请核对后重试。"
    assert "重阳敬老宴" not in json.dumps(answer, ensure_ascii=False)
    assert answer["name"] == ""  # nothing about people of other events
    assert not _checked_in(theirs)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (Signup.Status.WAITLISTED, "李四 还在候补名单上，没有确认名额。"),
        (Signup.Status.CANCELLED, "李四 的报名已经取消。"),
    ],
)
def test_scan_refuses_waitlisted_and_cancelled(staff_client, event, status, message):
    signup = _signup(event, "李四", status=status)

    answer = _scan(staff_client, event, f"QX:{signup.code}")

    assert answer == {
        "ok": False,
        "name": "李四",
        "party_size": 1,
        "message": message,
        "code": signup.code,
        "counts": {"confirmed": 0, "checked_in": 0, "walk_ins": 0, "attended": 0},
    }
    assert not _checked_in(signup)


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("QX:ZZZZ9999", "找不到签到码 ZZZZ9999 的报名，请核对后重试。"),
        ("https://example.com/", "没有识别出签到码"),
        ("", "没有识别出签到码"),
    ],
)
def test_scan_of_an_unknown_code(staff_client, event, wang, code, message):
    answer = _scan(staff_client, event, code)

    assert answer["ok"] is False
    assert answer["message"].startswith(message)
    assert not _checked_in(wang)


def test_scan_needs_the_csrf_token(staff, event, wang):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)

    response = client.post(_url("scan", event.pk), {"code": wang.code}, **XHR)

    assert response.status_code == 403
    assert not _checked_in(wang)


# -- walk-ins ---------------------------------------------------------------------------------


def test_walk_in_is_recorded(staff_client, staff, event):
    response = staff_client.post(
        _url("walk_in", event.pk), {"name": " 赵大妈 ", "phone": "13912345678", "party_size": "2"}
    )

    assert response.status_code == 302
    walk_in = Signup.objects.get(status=Signup.Status.WALK_IN)
    assert (walk_in.name, walk_in.phone, walk_in.party_size) == ("赵大妈", "+8613912345678", 2)
    assert walk_in.checked_in_by == staff and walk_in.checked_in_at is not None
    html = staff_client.get(response["Location"]).content.decode()
    assert "已现场登记：赵大妈，共 2 人。" in html
    assert re.search(r'data-count="walk_ins">2<', html)


def _field_error(html: str, field: str) -> str:
    """The error text shown under one field of the walk-in form."""
    block = html.split(f'data-contentpath="{field}"', 1)[1]
    errors = block.split("data-field-errors", 1)[1].split('<div class="w-field__help"', 1)[0]
    return " ".join(re.sub(r"<[^>]*>", " ", errors.split(">", 1)[1]).split())


def test_walk_in_without_a_name_comes_back_filled_in(staff_client, event):
    response = staff_client.post(
        _url("walk_in", event.pk), {"name": "  ", "phone": "13912345678", "party_size": "3"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "请填写现场登记人的姓名。" in _field_error(html, "name")
    assert 'value="13912345678"' in html
    assert re.search(r'name="party_size" value="3"', html)
    assert not Signup.objects.filter(status=Signup.Status.WALK_IN).exists()


@pytest.mark.parametrize(
    ("party_size", "message"),
    [
        ("abc", "请填写人数（数字）。"),
        ("0", "人数应在 1 到 20 之间。"),
        ("21", "人数应在 1 到 20 之间。"),
    ],
)
def test_walk_in_with_a_bad_party_size(staff_client, event, party_size, message):
    response = staff_client.post(
        _url("walk_in", event.pk), {"name": "赵大妈", "party_size": party_size}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert message in _field_error(html, "party_size")
    assert 'value="赵大妈"' in html
    assert not Signup.objects.filter(status=Signup.Status.WALK_IN).exists()


def test_walk_in_with_a_bad_phone(staff_client, event):
    response = staff_client.post(
        _url("walk_in", event.pk), {"name": "赵大妈", "phone": "12", "party_size": "1"}
    )

    assert response.status_code == 200
    assert "电话号码“12”不对" in _field_error(response.content.decode(), "phone")
    assert not Signup.objects.filter(status=Signup.Status.WALK_IN).exists()


# -- the events to choose from -----------------------------------------------------------------


def test_index_lists_events_not_yet_ended(staff_client, event):
    now = timezone.now()
    event_create(title="去年的茶话会", starts_at=now - datetime.timedelta(days=300))

    html = staff_client.get(_url("index")).content.decode()

    assert _url("event", event.pk) in html
    assert "去年的茶话会" not in html


# -- checking out (volunteer shifts) ------------------------------------------------------------


@pytest.fixture
def shift():
    from events.choices import EventKind

    return event_create(title="每月义诊", kind=EventKind.VOLUNTEER, capacity=10, party_size_max=1)


def test_check_out_at_a_shift_by_button_and_by_a_second_scan(staff_client, staff, shift):
    doctor = Signup.objects.create(event=shift, name="王医生", status="confirmed", party_size=1)
    response = staff_client.post(_url("check_out", shift.pk, doctor.pk), follow=True)
    assert "还没有签到，不能签退" in response.content.decode()

    services.signup_check_in(signup_id=doctor.pk, actor=staff)
    page = staff_client.get(_url("event", shift.pk)).content.decode()
    assert _url("check_out", shift.pk, doctor.pk) in page  # shifts offer 签退
    # a second scan right away is a double scan, not leaving
    answer = staff_client.post(_url("scan", shift.pk), {"code": doctor.code}, **XHR).json()
    assert answer["ok"] and "无需重复签到" in answer["message"]
    doctor.refresh_from_db()
    assert doctor.checked_out_at is None

    Signup.objects.filter(pk=doctor.pk).update(
        checked_in_at=timezone.now() - datetime.timedelta(hours=3)
    )
    answer = staff_client.post(_url("scan", shift.pk), {"code": doctor.code}, **XHR).json()
    assert answer["ok"] and answer["checked_out"] and "签退成功：王医生" in answer["message"]
    doctor.refresh_from_db()
    assert doctor.checked_out_at is not None
    assert SignupLog.objects.filter(signup=doctor, action=SignupLog.Action.CHECK_OUT).exists()

    services.signup_check_in_undo(signup_id=doctor.pk, actor=staff)
    doctor.refresh_from_db()
    assert doctor.checked_out_at is None  # undoing the check-in clears the check-out too


def test_ordinary_events_have_no_check_out(staff_client, staff, event, wang):
    services.signup_check_in(signup_id=wang.pk, actor=staff)
    Signup.objects.filter(pk=wang.pk).update(
        checked_in_at=timezone.now() - datetime.timedelta(hours=3)
    )
    answer = staff_client.post(_url("scan", event.pk), {"code": wang.code}, **XHR).json()
    assert "无需重复签到" in answer["message"]
    assert (
        _url("check_out", event.pk, wang.pk)
        not in staff_client.get(_url("event", event.pk)).content.decode()
    )


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_check_out_by_persona(client_for, staff, shift, persona):
    person = Signup.objects.create(event=shift, name="李护士", status="confirmed", party_size=1)
    services.signup_check_in(signup_id=person.pk, actor=staff)
    path = _url("check_out", shift.pk, person.pk)
    response = client_for(persona).post(path)
    person.refresh_from_db()
    if EXPECTED[persona] == OK:
        assert response.status_code == 302 and person.checked_out_at is not None
    else:
        assert _outcome(response, path) == EXPECTED[persona]
        assert person.checked_out_at is None
