"""Sending text messages through a pluggable backend, the way Django sends email.

``settings.SMS_BACKEND`` names a class. The portal ships three:

* ``ConsoleBackend`` (development default): prints each message on the server's console, so the
  person running ``make run`` can read the verification code;
* ``FileBackend``: appends each message as a JSON line to ``SMS_FILE_PATH``/``sms.jsonl``;
* ``LocmemBackend`` (tests): keeps messages in ``accounts.sms.outbox``.

A real provider (Aliyun SMS, Tencent Cloud SMS, …) is one small class:

.. code-block:: python

    class ProviderBackend(BaseSmsBackend):
        def send_messages(self, messages: list[SmsMessage]) -> int:
            for message in messages:
                ...  # call the provider's API with message.phone (E.164) and message.text
            return len(messages)

then ``SMS_BACKEND=myproject.sms.ProviderBackend``. Raise ``SmsError`` on a failure the caller
should see (the verification form then tells the person to try again; background jobs retry).

Every text leaves through ``send_sms``, and ``send_sms`` is also the guard, so that no caller can
forget a rule: only to numbers of SMS_ALLOWED_REGIONS that are mobiles (no premium-rate number
abroad); a code is the only text that may go to a number nobody verified (``SmsPurpose``); limits
per number, per client IP and for all texts per hour, on the shared cache; the message is one
line and carries no second signature. Text a person typed goes in through ``sms_user_text``.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.module_loading import import_string

from core.delivery import DeliveryDeferred
from core.phones import InvalidPhone, is_textable, textable_check

from .models import User
from .text import clean_line as _clean_line
from .text import sms_user_text

__all__ = ["sms_user_text"]  # kept here too: every sender of texts imports it from here

logger = logging.getLogger(__name__)

outbox: list[SmsMessage] = []
_file_lock = threading.Lock()


class SmsError(Exception):
    """The provider refused or could not be reached (or a limit refused: SmsRateLimited)."""


@dataclass(frozen=True)
class SmsMessage:
    phone: str
    text: str
    sent_at: str = field(default_factory=lambda: timezone.now().isoformat())


class BaseSmsBackend:
    def send_messages(self, messages: list[SmsMessage]) -> int:
        raise NotImplementedError


class ConsoleBackend(BaseSmsBackend):
    def send_messages(self, messages: list[SmsMessage]) -> int:
        for message in messages:
            sys.stdout.write(f"[SMS to {message.phone}] {message.text}\n")
        sys.stdout.flush()
        return len(messages)


class FileBackend(BaseSmsBackend):
    def send_messages(self, messages: list[SmsMessage]) -> int:
        folder = Path(settings.SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        with _file_lock, (folder / "sms.jsonl").open("a", encoding="utf-8") as handle:
            for message in messages:
                handle.write(json.dumps(asdict(message), ensure_ascii=False) + "\n")
        return len(messages)


class LocmemBackend(BaseSmsBackend):
    def send_messages(self, messages: list[SmsMessage]) -> int:
        outbox.extend(messages)
        return len(messages)


def get_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()


# --- the guard every text passes ----------------------------------------------------------------


class SmsRateLimited(SmsError, DeliveryDeferred):
    """A limit refused the text (``scope``: "ip", "number" or "all"); nothing was sent.

    A subclass of SmsError, so that forms answer it like a provider failure, and of the
    outbox's DeliveryDeferred, so that a notice that meets the hourly cap waits for the cap to
    reset (``retry_after``, in seconds) instead of counting a failure or being lost.
    """

    def __init__(self, scope: str, retry_after: int):
        self.scope = scope
        retry_after = max(1, int(retry_after))
        DeliveryDeferred.__init__(
            self, f"SMS limit reached ({scope}); retry in {retry_after}s", retry_after=retry_after
        )


class SmsRefused(Exception):
    """This text may not go to this number (region, type of number, or a number nobody vouched
    for). Permanent: not an SmsError, a retry would be refused again."""


class SmsPurpose(StrEnum):
    """Why a text goes to a number; it decides which numbers are allowed.

    CODE      a one-time code that a person types back on the site: the one text that may go to a
              number not verified yet (that is how it gets verified). Needs the request.
    ACCOUNT   about an account, to that account's own number once verified (the welcome, "this
              number is already registered", notices to an account): checked here against
              ``User.phone_verified``.
    REGISTER  a notice to a person's number in the register, which staff entered or imported.
              accounts cannot read the register, so the caller vouches: pass only a number read
              from ``Member.mobile`` (events.notifications.signup_sms_recipient does).
    """

    CODE = "code"
    ACCOUNT = "account"
    REGISTER = "register"


#: The lenticular brackets of a Chinese SMS signature (【侨心】) and their look-alikes: the
#: whole message may hold our own quotes and parentheses (“活动名”, （周三）), never these.
_SIGNATURE_BRACKETS = frozenset("【】〖〗︻︼︗︘〘〙")


def _one_line(text: str) -> str:
    """The last guard on a whole message: whatever a caller put in, the text that leaves is one
    line without a second signature. Our own wording keeps its quotes and parentheses; the
    pieces people typed were already cleaned by ``sms_user_text``."""
    signature = set(settings.SMS_SIGNATURE[:1] + settings.SMS_SIGNATURE[-1:])
    return _clean_line(text, drop=lambda ch: ch in _SIGNATURE_BRACKETS or ch in signature)


def sms_number_allowed(phone: str) -> bool:
    """Whether texts may go to ``phone`` at all (region allow-list, mobile numbers only).
    Senders that can choose another channel ask this first."""
    return is_textable(phone)


def _key(*parts: str) -> str:
    # Numbers and addresses are personal data: the cache holds a keyed hash, not the value.
    digest = salted_hmac("accounts.sms.limit", ":".join(parts)).hexdigest()[:32]
    return f"sms:limit:{parts[0]}:{digest}"


def _hit(scope: str, key: str, limit: int, window: int = 3600) -> None:
    """Count one text against a limit of ``limit`` per ``window`` seconds, counted from the first
    text of the window. Raises SmsRateLimited when the text is over the limit.

    ``cache.add`` and ``cache.incr`` are atomic on Redis, so web processes and workers on
    several machines share one count.
    """
    now = time.time()
    count = None
    for _attempt in range(3):
        if caches["limits"].add(key, 0, timeout=window):
            caches["limits"].set(f"{key}:since", now, timeout=window)
        try:
            count = caches["limits"].incr(key)
            break
        except ValueError:  # expired between add and incr: start the window again
            continue
    if count is None:
        raise SmsError("SMS limit could not be counted")
    if count > limit:
        since = caches["limits"].get(f"{key}:since") or now
        raise SmsRateLimited(scope, retry_after=since + window - now)


def _client_ip(request) -> str:
    """The client's address as allauth's rate limits see it: through the adapter's
    ``get_client_ip`` (which honours ALLAUTH_TRUSTED_PROXY_COUNT / TRUSTED_CLIENT_IP_HEADER),
    an IPv6 address cut to its /64 network like allauth does."""
    from allauth import app_settings as allauth_settings
    from allauth.account.adapter import get_adapter

    ip = get_adapter(request).get_client_ip(request)
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        prefix = allauth_settings.RATE_LIMIT_IPV6_PREFIX
        return str(ipaddress.IPv6Network(f"{address}/{prefix}", strict=False).network_address)
    return str(address)


def sms_throttle(*, phone: str, request=None) -> None:
    """Count one text to ``phone`` against the limits; raise SmsRateLimited when one is reached.

    ``send_sms`` calls it for every text. Call it directly for a text that is *not* sent but
    must look sent (the anti-enumeration texts dropped for numbers nobody verified), so the
    person in the browser meets the same limits either way. With a request the text also
    counts per client IP and per number; jobs count only against the hourly cap.
    Raises SmsError when the shared cache cannot count (fail closed: no limit, no text).
    """
    try:
        if request is not None:
            _hit("ip", _key("ip", _client_ip(request)), settings.SMS_IP_HOURLY_LIMIT)
            _hit("number", _key("number", phone), settings.SMS_NUMBER_HOURLY_LIMIT)
        _hit("all", "sms:limit:all", settings.SMS_HOURLY_LIMIT)
    except SmsError:
        raise
    except Exception as exc:  # the cache is down: refuse rather than send without limits
        logger.exception("SMS limits could not be counted")
        raise SmsError("SMS limits unavailable") from exc


def _would_hit(key: str, limit: int) -> bool:
    return (caches["limits"].get(key) or 0) + 1 <= limit


def sms_would_allow(*, phone: str, request=None) -> bool:
    """Would one more text to ``phone`` pass the limits ``sms_throttle`` counts? Only looks:
    counts nothing. For a form that must refuse *before* it changes anything (the sign-up:
    a refused text must not leave an account behind). Two requests at once may both see room;
    the count in ``send_sms`` stays the guard. A cache that cannot be read says yes here and
    refuses in ``sms_throttle`` (fail closed there)."""
    try:
        if request is not None:
            if not _would_hit(_key("ip", _client_ip(request)), settings.SMS_IP_HOURLY_LIMIT):
                return False
            if not _would_hit(_key("number", phone), settings.SMS_NUMBER_HOURLY_LIMIT):
                return False
        return _would_hit("sms:limit:all", settings.SMS_HOURLY_LIMIT)
    except Exception:
        logger.exception("SMS limits could not be read")
        return True


def _verified_account_number(phone: str) -> bool:
    return User.objects.filter(phone=phone, phone_verified=True, is_active=True).exists()


def send_sms(*, phone: str, text: str, purpose: SmsPurpose, request=None) -> None:
    """Send one message to an E.164 number, signed with SMS_SIGNATURE. The one way out.

    In this order: the number must be textable (SMS_ALLOWED_REGIONS, a mobile) else SmsRefused;
    the text counts against the limits (``sms_throttle``) else SmsRateLimited; an ACCOUNT text
    needs a verified account with that number else SmsRefused (checked after counting, so a
    refused text costs the same as a sent one and the browser cannot tell them apart); the
    whole message is made one line without a second signature. Raises SmsError when the
    provider fails.
    """
    purpose = SmsPurpose(purpose)
    if purpose == SmsPurpose.CODE and request is None:
        raise ValueError("a code is sent in answer to a request: pass it for the limits")
    try:
        textable_check(phone)
    except InvalidPhone as exc:
        logger.info("SMS (%s) refused: %s", purpose, exc)
        raise SmsRefused(str(exc)) from exc
    sms_throttle(phone=phone, request=request)
    if purpose == SmsPurpose.ACCOUNT and not _verified_account_number(phone):
        logger.info("SMS (%s) refused: no verified account has this number", purpose)
        raise SmsRefused("not a verified account number")
    message = SmsMessage(phone=phone, text=f"{settings.SMS_SIGNATURE}{_one_line(text)}")
    try:
        get_backend().send_messages([message])
    except SmsError:
        raise
    except Exception as exc:  # a provider's own exceptions become ours
        logger.exception("SMS (%s) failed", purpose)
        raise SmsError(str(exc)) from exc
