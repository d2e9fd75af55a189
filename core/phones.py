"""Phone numbers as people type them, stored as E.164.

Mainland mobile numbers are accepted in national format (13812345678, 138 1234 5678,
+86 138-1234-5678, full-width digits); numbers abroad need their country code.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from phonenumbers import PhoneNumberType

# A plain mainland mobile ("13812345678", "+8613812345678") is checked against the mobile
# pattern of phonenumbers' own metadata: the same answer as the full parse, about 30 times
# faster, which matters for an import of a million rows. Anything else takes the full parse.
_PLAIN_CN_MOBILE = re.compile(r"(?:\+?86)?(1\d{10})")
_CN_MOBILE = re.compile(
    phonenumbers.PhoneMetadata.metadata_for_region("CN").mobile.national_number_pattern
)


class InvalidPhone(ValueError):
    pass


def _parse_valid(text: str, region: str | None) -> phonenumbers.PhoneNumber:
    """The parsed number, or InvalidPhone when it does not parse or is not a valid number."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(str(exc)) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid number")
    return number


def normalize_phone(raw: str, *, region: str = "CN", mobile_only: bool = True) -> str:
    """Return the E.164 form of ``raw`` or raise InvalidPhone."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        raise InvalidPhone("empty")
    if text.startswith("00"):
        text = "+" + text[2:]
    plain = _PLAIN_CN_MOBILE.fullmatch(text)
    if plain and (region == "CN" or text.startswith("+")) and _CN_MOBILE.fullmatch(plain[1]):
        return f"+86{plain[1]}"
    number = _parse_valid(text, region)
    if mobile_only and number.country_code == 86:
        kind = phonenumbers.number_type(number)
        if kind not in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
            raise InvalidPhone("not a mobile number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """Mainland numbers without +86; others in international format."""
    if e164.startswith("+86"):
        return e164[3:]
    try:
        return phonenumbers.format_number(
            phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
    except phonenumbers.NumberParseException:
        return e164


# --- numbers a text may go to -----------------------------------------------------------------

# Types of number that receive texts. Everything else (premium rate, shared cost, toll free,
# VoIP, pagers, UAN, voicemail, a landline) either cannot receive a text or is a way to make the
# site pay someone: a text to a premium-rate number abroad is "toll fraud".
_TEXTABLE_TYPES = (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


class NotTextable(InvalidPhone):
    """A valid number the portal will not send a text to. ``code`` is "region" or "type";
    ``message`` says so in the reader's language and what to do instead."""

    def __init__(self, code: str):
        from django.utils.translation import gettext_lazy as _

        self.code = code
        self.message = {
            "region": _(
                "暂不能向这个国家或地区的号码发送短信。请换一个能收短信的手机号码"
                "（大陆、港澳台或侨胞常住国家的号码），或改用电子邮箱。"
            ),
            "type": _(
                "这个号码不是手机号码（可能是收费、免费或共享费用的服务号码），收不到短信，"
                "请填写您自己的手机号码。"
            ),
        }[code]
        super().__init__(code)


def textable_check(e164: str, *, allowed_regions=None) -> None:
    """Raise NotTextable unless a text to ``e164`` may be sent: a mobile number (by
    phonenumbers' metadata) of a region in ``allowed_regions`` (default: the setting
    ``SMS_ALLOWED_REGIONS``). Raises InvalidPhone for something that is not a number at all."""
    if allowed_regions is None:
        from django.conf import settings

        allowed_regions = settings.SMS_ALLOWED_REGIONS
    number = _parse_valid(e164, None)
    # The region of the number itself (+1 684… is American Samoa, not the US), not of the
    # calling code.
    if phonenumbers.region_code_for_number(number) not in allowed_regions:
        raise NotTextable("region")
    if phonenumbers.number_type(number) not in _TEXTABLE_TYPES:
        raise NotTextable("type")


def is_textable(e164: str) -> bool:
    try:
        textable_check(e164)
    except InvalidPhone:
        return False
    return True
