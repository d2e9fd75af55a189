"""A slow SMS provider for a real worker in the fault tests: ``SMS_BACKEND=tests.support.
slow_sms.SlowFileBackend``.

Each message takes ``TEST_SMS_SECONDS_BEFORE`` seconds before the provider has it (the request
on its way), is then written like ``accounts.sms.FileBackend`` does (the provider has it: it
will reach the phone), then ``TEST_SMS_SECONDS_AFTER`` seconds pass before the call returns
(the answer on its way back). A worker that dies in that second pause is the case no sender can
close: the text went, and nothing on our side knows it.

To put a fault exactly there, ``TEST_SMS_HOLD_AT=n`` makes the answer to the n-th text in the
file take ``TEST_SMS_HOLD_SECONDS`` instead: a test waits for the n-th line, then kills the
worker or cuts its database while the worker is still waiting for that answer.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.conf import settings

from accounts.sms import FileBackend, SmsMessage


def _seconds(name: str) -> float:
    return float(os.environ.get(name, "0") or 0)


def _texts_taken() -> int:
    path = Path(settings.SMS_FILE_PATH) / "sms.jsonl"
    return path.read_bytes().count(b"\n") if path.exists() else 0


class SlowFileBackend(FileBackend):
    def send_messages(self, messages: list[SmsMessage]) -> int:
        hold_at = int(os.environ.get("TEST_SMS_HOLD_AT", "0") or 0)
        sent = 0
        for message in messages:
            time.sleep(_seconds("TEST_SMS_SECONDS_BEFORE"))
            sent += super().send_messages([message])
            if hold_at and _texts_taken() == hold_at:
                time.sleep(_seconds("TEST_SMS_HOLD_SECONDS"))
            else:
                time.sleep(_seconds("TEST_SMS_SECONDS_AFTER"))
        return sent
