"""SMS that cannot be abused: which numbers get texts, how many, and what a text may say.

Every text leaves through ``accounts.sms.send_sms``; these tests go through the pages and jobs
that cause texts (sign-up, login by code, the welcome, event notices) and check what reached
the SMS outbox.
"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.utils import timezone

from accounts import sms
from accounts.adapter import AccountAdapter
from accounts.models import Message, User
from accounts.sms import SmsPurpose, SmsRefused, send_sms, sms_user_text
from core import delivery
from core.models import Notice
from events.choices import NOTICE_TOPIC
from events.services import signup_create
from tests.factories import UserFactory
from tests.factories.events import event_create
from tests.factories.households import MemberFactory
from tests.notices import welcome_notice, welcome_run

# What the welcome and notice jobs send, not how they travel: jobs run in the test's process
# also when a broker is configured (tests/accounts/test_tasks.py covers the real worker).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_jobs")]

PASSWORD = "Qx-secret-9981"
TOO_OFTEN = "短信发送太频繁"
# allauth's "code sent" message of the login by code.
SENT = "登录代码已发送"
# A name as an attacker types it: a second line that starts like one of our own texts, and a link.
HOSTILE = "王\n【侨心】您的账户异常，请登录 http://evil.example/verify 处理"


@pytest.fixture
def lax_allauth_limits(settings):
    """allauth's own limits are per minute (3 codes per number, 20 requests per address): an
    attacker waits a minute and goes on. Lifted here, so what stops the loops below is ours,
    counted per hour."""
    settings.ACCOUNT_RATE_LIMITS = {
        **settings.ACCOUNT_RATE_LIMITS,
        "request_login_code": "1000/m/ip,1000/m/key",
        "signup": "1000/m/ip",
    }


def sign_up(client, **fields):
    data = {"name": "赵大爷", "phone": "13812345678", "password1": PASSWORD, "password2": PASSWORD}
    data.update(fields)
    return client.post("/accounts/signup/", data)


def request_code(client, phone: str, ip: str = "203.0.113.7"):
    client.cookies.clear()
    return client.post("/accounts/login/code/", {"phone": phone}, REMOTE_ADDR=ip, follow=True)


def texts_to(phone: str) -> list[str]:
    return [m.text for m in sms.outbox if m.phone == phone]


# --- which numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("+44 901 234 5678", "不是手机号码"),  # premium rate in an allowed country
        ("+1 900 234 5678", "不是手机号码"),  # premium rate
        ("+1 800 234 5678", "不是手机号码"),  # toll free
        ("+33 884 01 23 45", "不是手机号码"),  # shared cost
        ("+234 802 123 4567", "暂不能向这个国家或地区的号码发送短信"),  # Nigeria: not on the list
        ("+7 771 000 9998", "暂不能向这个国家或地区的号码发送短信"),  # Kazakhstan shares +7
    ],
)
def test_sign_up_refuses_numbers_texts_may_not_go_to(client, phone, message):
    response = sign_up(client, name="钱阿姨", phone=phone)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert 'value="钱阿姨"' in html  # the form comes back filled in
    assert not sms.outbox
    assert not User.objects.exists()


def test_login_by_code_refuses_a_premium_rate_number_up_front(client):
    response = request_code(client, "+44 901 234 5678")
    assert response.status_code == 200
    assert "不是手机号码" in response.content.decode()
    assert not sms.outbox


def test_the_allow_list_is_a_setting(client, settings):
    settings.SMS_ALLOWED_REGIONS = ["CN"]
    response = sign_up(client, phone="+852 6123 4567")
    assert "暂不能向这个国家或地区的号码发送短信" in response.content.decode()
    assert not sms.outbox
    # The default holds Hong Kong, Macao, Taiwan and the register's countries.
    settings.SMS_ALLOWED_REGIONS = ["CN", "HK"]
    assert sign_up(client, phone="+852 6123 4567").status_code == 302
    assert texts_to("+85261234567")


def test_the_guard_refuses_such_numbers_whoever_calls_it():
    for phone in ("+449012345678", "+2348021234567"):
        with pytest.raises(SmsRefused):
            send_sms(phone=phone, text="您好", purpose=SmsPurpose.REGISTER)
    assert not sms.outbox


# --- how many -------------------------------------------------------------------------------------


def test_one_number_gets_five_texts_an_hour_whoever_asks(client, relative, lax_allauth_limits):
    login = relative.phone.removeprefix("+86")
    for n in range(5):
        page = request_code(client, login, ip=f"203.0.113.{n + 1}")
        assert SENT in page.content.decode()
    assert len(texts_to(relative.phone)) == 5

    response = request_code(client, login, ip="198.51.100.9")
    html = response.content.decode()
    assert response.status_code == 200
    assert TOO_OFTEN in html
    assert SENT not in html  # not told that a code is on its way
    assert len(texts_to(relative.phone)) == 5


def test_one_address_gets_twenty_texts_an_hour(client, roles, lax_allauth_limits):
    users = [UserFactory() for _ in range(21)]
    for user in users[:20]:
        assert SENT in request_code(client, user.phone).content.decode()
    assert len(sms.outbox) == 20

    response = request_code(client, users[20].phone)
    assert response.status_code == 200
    assert TOO_OFTEN in response.content.decode()
    assert len(sms.outbox) == 20
    assert not texts_to(users[20].phone)
    # Another address is not held up.
    assert SENT in request_code(client, users[20].phone, ip="198.51.100.9").content.decode()


def test_a_sign_up_over_the_limit_is_told_and_sent_nothing(client, settings):
    settings.SMS_IP_HOURLY_LIMIT = 1
    assert sign_up(client, phone="13812345678").status_code == 302
    client.cookies.clear()
    response = client.post(
        "/accounts/signup/",
        {"name": "赵大爷", "phone": "13812345679", "password1": PASSWORD, "password2": PASSWORD},
        follow=True,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert TOO_OFTEN in html
    assert "验证码短信已发出" not in html
    assert [m.phone for m in sms.outbox] == ["+8613812345678"]
    # the refusal changed nothing: no account, and the form comes back filled in
    assert not User.objects.filter(phone="+8613812345679").exists()
    assert response.redirect_chain == []
    assert 'value="13812345679"' in html
    assert 'value="赵大爷"' in html


def test_the_address_is_the_client_behind_the_trusted_proxy(client, roles, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.SMS_IP_HOURLY_LIMIT = 1
    first, second, third = UserFactory(), UserFactory(), UserFactory()
    client.post(
        "/accounts/login/code/",
        {"phone": first.phone},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.5",
    )
    client.cookies.clear()
    # Same proxy, another client: counted apart.
    client.post(
        "/accounts/login/code/",
        {"phone": second.phone},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.6",
    )
    client.cookies.clear()
    # The first client again: over its limit of one.
    response = client.post(
        "/accounts/login/code/",
        {"phone": third.phone},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.5",
        follow=True,
    )
    assert TOO_OFTEN in response.content.decode()
    assert [m.phone for m in sms.outbox] == [first.phone, second.phone]


def test_all_texts_together_are_capped_per_hour(client, roles, settings):
    settings.SMS_HOURLY_LIMIT = 3
    users = [UserFactory() for _ in range(4)]
    for n, user in enumerate(users[:3]):
        request_code(client, user.phone, ip=f"203.0.113.{n + 1}")
    assert len(sms.outbox) == 3
    response = request_code(client, users[3].phone, ip="198.51.100.9")
    assert response.status_code == 200
    assert TOO_OFTEN in response.content.decode()
    assert len(sms.outbox) == 3


def test_a_limit_looks_the_same_for_a_number_nobody_registered(client, relative, settings):
    """Anti-enumeration: a number without an account gets no text, but the browser meets the
    same answers and the same limit as for a registered one."""
    settings.SMS_NUMBER_HOURLY_LIMIT = 1
    unknown = "13700001111"
    known = relative.phone.removeprefix("+86")
    answers = {}
    for phone in (known, unknown):
        first = request_code(client, phone, ip="203.0.113.1")
        second = request_code(client, phone, ip="203.0.113.2")
        answers[phone] = [
            (
                r.status_code,
                r.redirect_chain,
                SENT in r.content.decode(),
                TOO_OFTEN in r.content.decode(),
            )
            for r in (first, second)
        ]
    assert answers[known] == answers[unknown]
    assert answers[unknown][1][3], "the second request meets the limit"
    assert [m.phone for m in sms.outbox] == [relative.phone]


def test_the_unknown_account_text_is_never_sent(client):
    request_code(client, "13700001111")
    assert not sms.outbox


def test_already_registered_is_texted_only_to_a_verified_number(client, roles):
    UserFactory(phone="+8613800001111", phone_verified=False)
    response = sign_up(client, phone="13800001111")
    assert response.status_code in (200, 302)
    assert not [t for t in texts_to("+8613800001111") if "已经注册过" in t]


# --- the welcome ----------------------------------------------------------------------------------


def test_the_welcome_waits_for_the_number_to_be_verified(roles, django_capture_on_commit_callbacks):
    user = UserFactory(phone="+8613800002222", phone_verified=False, email="")
    assert welcome_run(user.pk) == Notice.State.WAITING
    assert not sms.outbox
    assert welcome_notice(user.pk).done_at is None

    with django_capture_on_commit_callbacks(execute=True):
        AccountAdapter().set_phone_verified(user, user.phone)
    [text] = texts_to(user.phone)
    assert "欢迎加入侨心" in text
    assert welcome_notice(user.pk).done_at is not None


def test_sign_up_sends_the_code_but_not_the_welcome_until_verified(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client)
    [code_text] = texts_to("+8613812345678")
    assert "验证码" in code_text
    code = code_text.split("验证码是 ")[1][:6]
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/phone/verify/", {"code": code})
    assert "欢迎加入侨心" in texts_to("+8613812345678")[-1]


def test_a_hostile_name_is_refused_at_sign_up(client):
    response = sign_up(client, name=HOSTILE)
    assert response.status_code == 200
    assert "姓名里不能有网址或换行" in response.content.decode()
    assert not User.objects.exists()
    assert not sms.outbox


def test_a_hostile_name_becomes_one_short_line_without_brackets(roles):
    """A name saved before the sign-up form refused such names (or by another screen)."""
    user = UserFactory(phone="+8613812345678", name=HOSTILE, email="")
    welcome_run(user.pk)
    welcome = texts_to("+8613812345678")[-1]
    assert "欢迎加入侨心" in welcome
    assert "\n" not in welcome and "\r" not in welcome
    assert welcome.startswith("【侨心】")
    assert welcome.count("【") == 1 and welcome.count("】") == 1  # only our own signature
    name = welcome.removeprefix("【侨心】").split("，欢迎加入侨心")[0]
    assert len(name) <= 20
    assert "evil.example" not in welcome


def test_a_welcome_held_by_the_hourly_cap_is_retried_when_it_resets(relative, settings):
    settings.SMS_HOURLY_LIMIT = 1
    sms.sms_throttle(phone="+8613900009999")  # the hour's one text is gone
    assert welcome_run(relative.pk) == Notice.State.PENDING
    assert not sms.outbox
    notice = welcome_notice(relative.pk)
    assert notice.done_at is None
    assert notice.attempts == 0  # a deferral, not a failure: it does not count towards giving up
    wait = (notice.next_attempt_at - timezone.now()).total_seconds()
    assert 3500 < wait <= 3600  # when the cap resets

    caches["limits"].clear()  # the hour has passed
    assert welcome_run(relative.pk) == Notice.State.SENT
    assert texts_to(relative.phone)


# --- event notices -------------------------------------------------------------------------------


def test_user_text_is_made_one_line_without_brackets_and_capped():
    text = sms_user_text(
        " 王\r\n【侨心】\u2028您的\t账户\u202e［通知］〖官方〗 http://evil.example ", max_length=20
    )
    assert text == "王 侨心 您的 账户通知官方 http…"
    assert len(text) == 20
    assert sms_user_text("陈美华", max_length=20) == "陈美华"
    assert sms_user_text(None, max_length=5) == ""


BRACKET_PAIRS = [
    *("《》", "〈〉", "「」", "『』", "（）", "()", "❲❳"),
    *("⦅⦆", "【】", "〔〕", "｢｣", "⟮⟯", "﹙﹚", "︵︶"),
]


@pytest.mark.parametrize("brackets", BRACKET_PAIRS)
def test_no_bracket_pair_can_imitate_the_signature(brackets):
    """Every opening and closing mark (Unicode Ps/Pe), not a list someone has to complete."""
    opening, closing = brackets
    text = sms_user_text(f"{opening}侨心{closing}您的账户异常", max_length=40)
    assert text == "侨心您的账户异常"


def test_event_notice_texts_are_sanitised_and_capped(relative, django_capture_on_commit_callbacks):
    event = event_create(title=HOSTILE, place="活动室\n【侨心】请转账到 6222 0000")
    with django_capture_on_commit_callbacks(execute=True):
        signup_create(event_id=event.pk, actor=relative)
    [text] = texts_to(relative.phone)
    assert "\n" not in text
    assert text.count("【") == 1 and text.startswith("【侨心】")
    assert "evil.example" not in text
    # The in-site message keeps the title as the staff wrote it.
    assert Message.objects.get(user=relative).title.endswith("处理")


def test_event_notices_skip_an_account_number_nobody_verified(
    roles, django_capture_on_commit_callbacks
):
    user = UserFactory(phone="+8613800003333", phone_verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        signup = signup_create(event_id=event_create().pk, actor=user)
    assert not sms.outbox
    notice = Notice.objects.get(topic=NOTICE_TOPIC, object_id=signup.pk)
    assert notice.site_sent_at is not None
    assert notice.sms_sent_at is None


def test_event_notices_reach_a_register_number(staff, django_capture_on_commit_callbacks):
    member = MemberFactory()
    with django_capture_on_commit_callbacks(execute=True):
        signup_create(event_id=event_create().pk, member_id=member.pk, actor=staff)
    [text] = texts_to(member.mobile)
    assert "签到码" in text


def test_an_event_notice_at_the_hourly_cap_waits_and_is_sent_later(relative, settings):
    event = event_create()
    signup = signup_create(event_id=event.pk, actor=relative)  # the notice job is not run here
    settings.SMS_HOURLY_LIMIT = 1
    sms.sms_throttle(phone="+8613900009999")
    notice = Notice.objects.get(topic=NOTICE_TOPIC, object_id=signup.pk)
    assert delivery.notice_deliver(notice_id=notice.pk) == Notice.State.PENDING
    notice.refresh_from_db()
    assert notice.site_sent_at is not None and notice.sms_sent_at is None
    assert notice.attempts == 0 and notice.next_attempt_at > timezone.now()
    assert not sms.outbox

    caches["limits"].clear()  # the hour has passed
    assert delivery.notice_deliver(notice_id=notice.pk) == Notice.State.SENT
    assert len(texts_to(relative.phone)) == 1
