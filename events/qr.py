"""The check-in QR code on a sign-up, and reading it back at the door.

The QR holds ``QX:<code>``, nothing else: no name, no phone, no URL, so a photo of someone's
code tells a stranger nothing. Upper case letters, digits and ``:`` are QR's alphanumeric
mode, which keeps the symbol small (version 1) and easy to read on a worn phone screen.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import segno
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from .models import Signup

PREFIX = "QX:"
# Sign-up codes are 8 characters from ``models.CODE_ALPHABET``; any capital letter or digit is
# accepted here so that a mistyped code is answered "unknown", not "unreadable".
_CODE = re.compile(r"[A-Z0-9]{8}")
# Staff type codes the way they are read aloud: in groups, with spaces or dashes.
_SEPARATORS = re.compile(r"[\s\-‐–—_·]+")


def checkin_text(code: str) -> str:
    return f"{PREFIX}{code.upper()}"


def signup_qr_svg(signup: Signup) -> str:
    """An inline ``<svg>`` of the sign-up's check-in QR code (black on transparent)."""
    qr = segno.make_qr(checkin_text(signup.code), error="m")
    return qr.svg_inline(
        scale=5,
        border=2,
        dark="#000",
        svgclass="signup-qr",
        title=_("签到码 %(code)s") % {"code": signup.code},
    )


def parse_checkin_text(text: str | None) -> str | None:
    """The sign-up code in what a scanner or a person gave us, or None when it is not one.

    Accepts ``QX:ABCD2345``, the bare ``ABCD2345``, either in lower case, with spaces around,
    a full-width colon (Chinese keyboards) and spaces or dashes between groups of characters.
    """
    if not text:
        return None
    value = text.strip().upper().replace("：", ":")
    if value.startswith(PREFIX):
        value = value[len(PREFIX) :]
    value = _SEPARATORS.sub("", value)
    return value if _CODE.fullmatch(value) else None
