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
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

outbox: list[SmsMessage] = []
_file_lock = threading.Lock()


class SmsError(Exception):
    """The provider refused or could not be reached."""


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


def send_sms(*, phone: str, text: str) -> None:
    """Send one message to an E.164 number, signed with SMS_SIGNATURE. Raises SmsError."""
    message = SmsMessage(phone=phone, text=f"{settings.SMS_SIGNATURE}{text}")
    try:
        get_backend().send_messages([message])
    except SmsError:
        raise
    except Exception as exc:  # a provider's own exceptions become ours
        logger.exception("SMS to %s failed", phone)
        raise SmsError(str(exc)) from exc
