"""Turn the cells of the overseas-Chinese household register into clean values.

Community staff keep the register in Excel or CSV files typed by hand: full-width digits,
dates as text or as bare Excel serial numbers, countries in Simplified, Traditional or
English, phone numbers read back as floats. Every ``parse_*`` function takes whatever a
spreadsheet reader hands over (str, int, float, date, datetime or None), returns None for
an empty cell and raises :class:`NormalizeError` with a Chinese message that says what is
wrong and what to write instead, so the import can show it next to the row.

Nothing here touches the database.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from datetime import date, datetime, timedelta
from functools import cache

import pycountry
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from pypinyin import lazy_pinyin

from core.phones import InvalidPhone, normalize_phone


class NormalizeError(ValueError):
    """A cell that cannot be understood.

    ``message`` is a lazy translation with ``%(name)s`` placeholders filled from ``params``
    when rendered, like Django's ValidationError, so it shows in the reader's language.
    """

    def __init__(self, message, params: dict | None = None):
        self.message = message
        self.params = params or {}
        super().__init__(message)

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text


# Zero-width characters survive copy-paste from WeChat and web pages and are invisible.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def clean_text(value) -> str:
    """NFKC-normalised, stripped text with runs of whitespace collapsed to one space.

    Excel hands numbers back as floats, so a phone typed as 13812345678 arrives as
    13812345678.0; whole floats lose their ".0".
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, date):
        value = value.isoformat()
    text = str(value)
    if not text.isascii():  # NFKC leaves ASCII as it is, and the invisible ones are not ASCII
        text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    return " ".join(text.split())


def _key(value) -> str:
    """Matching key: case, spaces, punctuation and symbols do not count."""
    text = clean_text(value).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC")


def _lookup(table: dict[str, str], value, message, params=None) -> str | None:
    """``params`` may be a function: it is called only for a message (a million rows that
    all parse must not each build the error text)."""
    text = clean_text(value)
    if not text:
        return None
    try:
        return table[_key(text)]
    except KeyError:
        extra = params() if callable(params) else (params or {})
        raise NormalizeError(message, {"value": text, **extra}) from None


def _words(*texts: str) -> list[str]:
    """Word lists are written "a、b、c" to keep the tables short."""
    return "、".join(texts).split("、")


def _table(synonyms: dict[str, list[str]]) -> dict[str, str]:
    return {_key(word): code for code, words in synonyms.items() for word in [code, *words]}


# --- dates ----------------------------------------------------------------------------------

_BAD_DATE = _("无法识别的日期“%(value)s”，请写成 1980-01-31 或 1980年1月31日")
_DATE_RE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号號]?"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)
_SERIAL_RE = re.compile(r"\d{4,5}(?:\.\d+)?")
_YEAR_RE = re.compile(r"(19|20)\d\d|2100")
_NUMBER_RE = re.compile(r"\d{1,5}(\.\d+)?")
_EIGHT_DIGITS_RE = re.compile(r"\d{8}")


def _from_serial(serial: int, text: str) -> date:
    """Excel's 1900 date system: serial 1 is 1900-01-01.

    Excel copies Lotus 1-2-3 in treating 1900 as a leap year, so serial 60 is the
    non-existent 1900-02-29 and every later serial is one day too high; counting from
    1899-12-30 instead of 1899-12-31 corrects that.
    """
    if serial < 1 or serial == 60:
        raise _date_error(text)
    return date(1899, 12, 31 if serial < 60 else 30) + timedelta(days=serial)


def parse_date(value, *, today: date | None = None) -> date | None:
    """A date from a date cell, an Excel serial number or the usual ways of writing one.

    Four-digit numbers from 1900 to 2100 are refused as a bare year rather than read as
    serials (which would be days in 1905): "出生年月" columns often hold only the year.
    ``today`` (default: today in the current time zone) is the latest date accepted; an import
    works it out once for all its rows.
    """
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return _check_range(value, value.isoformat(), today)
    text = clean_text(value)
    if not text:
        return None
    if isinstance(value, bool):
        raise _date_error(text)
    if _YEAR_RE.fullmatch(text):
        raise NormalizeError(
            _("日期“%(value)s”只有年份，请写完整的年月日，如 1980-01-31"), {"value": text}
        )
    numeric = isinstance(value, int | float) and _NUMBER_RE.fullmatch(text)
    if numeric or _SERIAL_RE.fullmatch(text):
        return _check_range(_from_serial(int(float(text)), text), text, today)
    if _EIGHT_DIGITS_RE.fullmatch(text):
        parts = (text[:4], text[4:6], text[6:])
    elif match := _DATE_RE.fullmatch(text):
        parts = match.groups()
    else:
        raise _date_error(text)
    try:
        result = date(*map(int, parts))
    except ValueError:
        raise _date_error(text) from None
    return _check_range(result, text, today)


def _date_error(text: str) -> NormalizeError:
    return NormalizeError(_BAD_DATE, {"value": text})


def _check_range(value: date, text: str, today: date | None = None) -> date:
    if value > (today or timezone.localdate()):
        raise NormalizeError(_("日期“%(value)s”晚于今天，请核对"), {"value": text})
    if value.year < 1900:
        raise NormalizeError(_("日期“%(value)s”早于1900年，请核对"), {"value": text})
    return value


# --- countries and regions ------------------------------------------------------------------

# Hong Kong, Macao and Taiwan are regions of China: labelled as such, never listed as
# countries beside China.
COUNTRY_REGIONS = {"HK", "MO", "TW"}

_COUNTRY_ALIASES = {
    "US": _words("美国、美國、USA、US、United States、America、美利坚、美利堅"),
    "GB": _words("英国、英國、UK、Britain、Great Britain、England"),
    "HK": _words("香港、中国香港、中國香港、香港特别行政区、香港特別行政區、Hong Kong、HK"),
    "MO": _words("澳门、澳門、中国澳门、中國澳門、澳门特别行政区、Macau、Macao"),
    "TW": _words("台湾、臺灣、台灣、中国台湾、中國台灣、中国臺灣、中國臺灣、Taiwan"),
    "KR": _words("韩国、韓國、南韩、南韓、South Korea、Korea"),
    "KP": _words("朝鲜、朝鮮、北韩、北韓、North Korea"),
    "RU": _words("俄罗斯、俄羅斯、Russia"),
    "VN": _words("越南、Vietnam"),
    "NL": _words("荷兰、荷蘭、Holland"),
    "NZ": _words("新西兰、紐西蘭、新西蘭、纽西兰"),
    "AU": _words("澳洲、澳大利亚、澳大利亞"),
    "AE": _words("阿联酋、阿聯酋、UAE"),
    "CN": _words("中国、中國、China、PRC、中国大陆、中國大陸"),
}

_LABEL_OVERRIDES = {
    "zh_CN": {"HK": "中国香港", "MO": "中国澳门", "TW": "中国台湾"},
    "zh_TW": {"HK": "中國香港", "MO": "中國澳門", "TW": "中國台灣"},
    "en": {"HK": "Hong Kong, China", "MO": "Macao, China", "TW": "Taiwan, China"},
}


@cache
def _catalogue(locale: str) -> gettext.NullTranslations:
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[locale], fallback=True
    )


@cache
def _country_table() -> dict[str, str]:
    """Every way of naming a country that we accept, keyed by :func:`_key`.

    Names translated by pycountry come first; a name shared by two countries would be
    a guess, so it is dropped. Codes and the staff aliases then take precedence.
    """
    table: dict[str, str | None] = {}
    catalogues = [_catalogue(loc) for loc in ("zh_CN", "zh_TW", "zh_HK")]
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            name = getattr(country, attr, None)
            if not name:
                continue
            for word in {name, *(cat.gettext(name) for cat in catalogues)}:
                key, code = _key(word), country.alpha_2
                if table.setdefault(key, code) != code:
                    table[key] = None
    for country in pycountry.countries:
        table[_key(country.alpha_3)] = country.alpha_2
        table[_key(country.alpha_2)] = country.alpha_2
    table.update(_table(_COUNTRY_ALIASES))
    return {key: code for key, code in table.items() if code}


def parse_country(value) -> str | None:
    """ISO 3166-1 alpha-2 code of a country or region written in any common way."""
    return _lookup(
        _country_table(),
        value,
        _("无法识别的国家或地区“%(value)s”，请写中文全称（如 美国、中国香港）或两位代码（如 US）"),
    )


def _locale(language: str) -> str:
    language = language.lower().replace("_", "-")
    if language.startswith("zh"):
        traditional = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")
        return "zh_TW" if language.startswith(traditional) else "zh_CN"
    return "en"


def country_label(code: str, language: str = "zh-hans") -> str:
    """Display name of ``code`` in ``language`` (zh-hans, zh-hant or en)."""
    locale = _locale(language)
    country = pycountry.countries.get(alpha_2=(code or "").upper())
    if country is None:
        return code
    if country.alpha_2 in _LABEL_OVERRIDES[locale]:
        return _LABEL_OVERRIDES[locale][country.alpha_2]
    if locale == "en":
        return getattr(country, "common_name", None) or country.name
    return _catalogue(locale).gettext(country.name)


@cache
def _choices(locale: str) -> tuple[tuple[str, str], ...]:
    def sort_key(item):
        label = item[1]
        return (lazy_pinyin(label) if locale != "en" else [label.casefold()], label)

    pairs = [
        (c.alpha_2, country_label(c.alpha_2, locale))
        for c in pycountry.countries
        if c.alpha_2 != "CN"
    ]
    return tuple(sorted(pairs, key=sort_key))


def country_choices(language: str = "zh-hans") -> list[tuple[str, str]]:
    """Countries and regions a household member can live in, sorted for reading.

    Chinese labels sort by pinyin, as a Chinese reader looks them up. Mainland China is
    left out: the register records people living outside it.
    """
    return list(_choices(_locale(language)))


# --- identity numbers -----------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits (GB 11643)."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def parse_id_number(value, *, today: date | None = None) -> str | None:
    """An 18-character PRC resident identity number, upper-case X, checked (the birth date in
    it no later than ``today``, by default today in the current time zone)."""
    text = "".join(clean_text(value).split()).upper()
    if not text:
        return None
    if len(text) != 18:
        raise NormalizeError(
            _("身份证号“%(value)s”应为18位，现在是%(length)s位（15位的旧号码请换成18位新号码）"),
            {"value": text, "length": len(text)},
        )
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise NormalizeError(_("身份证号“%(value)s”只能是数字，最后一位可以是 X"), {"value": text})
    try:
        born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        born = None
    if born is None or born > (today or timezone.localdate()) or born.year < 1900:
        raise NormalizeError(
            _("身份证号“%(value)s”里的出生日期（第7–14位）“%(born)s”不对，请核对"),
            {"value": text, "born": text[6:14]},
        )
    if id_check_char(text[:17]) != text[17]:
        raise NormalizeError(_("身份证号校验位不对，请核对最后一位"), {"value": text})
    return text


def id_number_birth_date(number, *, today: date | None = None) -> date:
    """Birth date encoded in characters 7–14 of an identity number."""
    text = parse_id_number(number, today=today)
    if text is None:
        raise NormalizeError(_("身份证号是空的"))
    return date(int(text[6:10]), int(text[10:12]), int(text[12:14]))


# --- phones ---------------------------------------------------------------------------------


_BAD_MOBILE = _(
    "手机号码“%(value)s”不对：大陆手机号是11位数字，境外号码要带国家或地区代码（如 +852）"
)


def parse_mobile(value) -> str | None:
    """A mobile number as E.164; mainland numbers may omit +86."""
    text = clean_text(value)
    if not text:
        return None
    try:
        return normalize_phone(text, region="CN", mobile_only=True)
    except InvalidPhone:
        raise NormalizeError(_BAD_MOBILE, {"value": text}) from None


def parse_phone(value) -> str | None:
    """A home phone: E.164 when recognised, otherwise the text as written.

    Landlines abroad are often written without a country code and cannot be checked, so
    anything with a plausible number of digits is kept for a person to read.
    """
    text = clean_text(value)
    if not text:
        return None
    try:
        return normalize_phone(text, region="CN", mobile_only=False)
    except InvalidPhone:
        if 7 <= sum(ch.isdigit() for ch in text) <= 20:
            return text
    raise NormalizeError(
        _("电话号码“%(value)s”不对：应有7–20位数字，固定电话带区号（如 020-12345678）"),
        {"value": text},
    )


# --- small vocabularies ---------------------------------------------------------------------

_GENDERS = {
    "male": _words("男、男性、M、male、男士"),
    "female": _words("女、女性、F、female、女士"),
}
_BOOLS = {
    True: _words("是、有、Y、yes、true、1、√、✓、✔、对、對"),
    False: _words("否、无、無、没有、沒有、N、no、false、0、×、✗、✘"),
}
_GENDER_TABLE = _table(_GENDERS)
# Ticks and crosses are symbols, which _key drops, so these match on case and space only.
_BOOL_TABLE = {clean_text(w).casefold(): flag for flag, words in _BOOLS.items() for w in words}


def parse_gender(value) -> str | None:
    """Gender as "male" or "female"."""
    return _lookup(_GENDER_TABLE, value, _("无法识别的性别“%(value)s”，请写 男 或 女"))


def parse_bool(value) -> bool | None:
    """Yes/no from the ways staff tick a box."""
    if isinstance(value, bool):
        return value
    text = clean_text(value)
    if not text:
        return None
    try:
        return _BOOL_TABLE["".join(text.split()).casefold()]
    except KeyError:
        raise NormalizeError(
            _("无法识别的“是/否”值“%(value)s”，请写 是 或 否"), {"value": text}
        ) from None


# code: (label, every word accepted for it)
_CATEGORIES = {
    "returnee": (_("归侨"), "归侨、歸僑"),
    "relative": (_("侨眷"), "侨眷、僑眷、侨属、僑屬、港澳眷属、港澳眷屬、眷属、眷屬"),
    "overseas_chinese": (_("华侨"), "华侨、華僑"),
    "ethnic_chinese": (_("外籍华人"), "外籍华人、外籍華人、华人、華人、华裔、華裔"),
    "hk_macao": (_("港澳同胞"), "港澳同胞、港澳居民、香港同胞、澳门同胞、澳門同胞"),
    "student_abroad": (_("留学人员"), "留学人员、留學人員、留学生、留學生"),
}
CATEGORY_CHOICES = [(code, label) for code, (label, _synonyms) in _CATEGORIES.items()]
_CATEGORY_TABLE = _table({code: _words(words) for code, (_label, words) in _CATEGORIES.items()})


def parse_category(value) -> str | None:
    """One of the CATEGORY_CHOICES codes."""
    return _lookup(
        _CATEGORY_TABLE,
        value,
        _("无法识别的类别“%(value)s”，请写以下之一：%(accepted)s"),
        lambda: {"accepted": "、".join(str(label) for _code, label in CATEGORY_CHOICES)},
    )


_RELATIONS = {
    "householder": (_("户主"), "户主、戶主、本人"),
    "spouse": (_("配偶"), "配偶、妻、妻子、夫、丈夫、老伴"),
    "child": (
        _("子女"),
        "子女、子、女、儿、兒、儿子、兒子、女儿、女兒、长子、長子、次子、长女、長女、次女",
    ),
    "child_in_law": (_("儿媳/女婿"), "儿媳、兒媳、媳妇、媳婦、女婿"),
    "parent": (_("父母"), "父母、父亲、父親、母亲、母親、父、母、岳父、岳母、公公、婆婆"),
    "grandchild": (_("孙子女"), "孙子、孙女、外孙、外孙女、孫子、孫女、外孫、外孫女"),
    "grandparent": (_("祖父母"), "祖父母、祖父、祖母、外祖父、外祖母、爷爷、爺爺、奶奶"),
    "sibling": (_("兄弟姐妹"), "兄弟姐妹、兄、弟、姐、妹、兄弟、姐妹、哥哥、弟弟、姐姐、妹妹"),
    "other": (_("其他"), "其他、其它、亲属、親屬"),
}
RELATION_CHOICES = [(code, label) for code, (label, _synonyms) in _RELATIONS.items()]
_RELATION_TABLE = _table({code: _words(words) for code, (_label, words) in _RELATIONS.items()})


def parse_relation(value) -> str | None:
    """One of the RELATION_CHOICES codes: relation to the householder."""
    return _lookup(
        _RELATION_TABLE,
        value,
        _("无法识别的与户主关系“%(value)s”，请写 户主、配偶、子、女、父、母、孙子、兄弟姐妹 等"),
    )


# --- column headers -------------------------------------------------------------------------

# field key: (label, *headers as staff write them). Matching ignores case, spaces, punctuation
# and brackets, so "所在国家（地区）" and "所在国家(地区)" are one word; no word is in two fields.
_HEADERS = {
    "household_key": (
        _("户编号"),
        "户编号、户号、户编码、侨户编号、家庭编号、戶編號、household no",
    ),
    "householder_name": (_("户主姓名"), "户主姓名、户主、户主名字、戶主姓名、戶主、householder"),
    "name": (_("姓名"), "姓名、名字、成员姓名、家庭成员、成员、侨眷姓名、name、full name"),
    "relation": (
        _("与户主关系"),
        "与户主关系、与户主的关系、與戶主關係、关系、關係、家庭关系、relation、relationship",
    ),
    "category": (
        _("类别/身份"),
        "类别/身份、类别、身份、类型、侨属类别、人员类别、身份类别、類別、category",
    ),
    "country": (
        _("侨居国/所在国家(地区)"),
        "侨居国/所在国家(地区)、侨居国、侨居国家、侨居国(地区)、僑居國、所在国家、所在国",
        "所在国家(地区)、国家、國家、国家或地区、国家(地区)、居住国、居住国家",
        "country、country/region",
    ),
    "lives_abroad": (
        _("是否在境外"),
        "是否在境外、是否境外、在境外、境外、是否在国外、在国外、是否出国、abroad、lives abroad",
    ),
    "mobile": (
        _("联系电话"),
        "联系电话、手机、手机号、手机号码、电话、电话号码、联系方式、聯繫電話、電話、手機",
        "手機號碼、phone、mobile、tel、telephone",
    ),
    "home_phone": (
        _("家庭电话"),
        "家庭电话、家庭電話、住宅电话、固定电话、固话、座机、宅电、home phone、landline",
    ),
    "id_number": (
        _("身份证号"),
        "身份证号、身份证、身份证号码、公民身份号码、证件号码、证件号、身份證號、身份證號碼",
        "id number、id no、id",
    ),
    "birth_date": (
        _("出生日期"),
        "出生日期、出生年月、出生年月日、生日、出生、birth date、date of birth、dob、birthday",
    ),
    "gender": (_("性别"), "性别、性別、sex、gender"),
    "community": (
        _("社区"),
        "社区、所属社区、所在社区、村(社)、村社、村/社区、村居、社區、community",
    ),
    "grid_group": (
        _("网格/小组"),
        "网格/小组、网格、小组、侨眷小组、网格小组、所属小组、所属网格、網格、小組、group、grid",
    ),
    "address": (_("地址"), "地址、住址、家庭住址、家庭地址、现住址、居住地址、国内地址、address"),
    "home_contact": (
        _("国内联系人"),
        "国内联系人、國內聯繫人、联系人、国内亲属、国内联系人姓名、紧急联系人",
        "home contact、contact",
    ),
    "consent": (_("同意联系"), "同意联系、是否同意联系、同意、是否同意、同意联络、consent"),
    "notes": (_("备注"), "备注、備註、备注说明、说明、附注、其他、notes、note、remarks"),
    "is_key": (_("重点侨户"), "重点侨户、重點僑戶、是否重点侨户、重点户、重点、key household"),
    "is_hardship": (_("困难侨户"), "困难侨户、困難僑戶、是否困难侨户、困难户、困难、hardship"),
    "is_empty_nest": (_("空巢"), "空巢、空巢老人、是否空巢、空巢侨户、empty nest"),
}
FIELDS: dict[str, str] = {key: label for key, (label, *_synonyms) in _HEADERS.items()}
HEADER_SYNONYMS: dict[str, list[str]] = {
    key: _words(*words) for key, (_label, *words) in _HEADERS.items()
}
_HEADER_TABLE = _table(HEADER_SYNONYMS)
_REQUIRED_MARK = re.compile(r"[(\[【]\s*(?:必填|必填项|选填|可选|非必填)\s*[)\]】]$")
_TRAILING_HINT = re.compile(r"\s*[(\[【][^()\[\]【】]*[)\]】]$")


def _match_header(header) -> str | None:
    text = _REQUIRED_MARK.sub("", clean_text(header).strip("*: ")).strip()
    # A hint in brackets after a known header, e.g. "出生日期(如1980-01-31)", is ignored.
    return _HEADER_TABLE.get(_key(text)) or _HEADER_TABLE.get(_key(_TRAILING_HINT.sub("", text)))


def match_headers(headers: list[str]) -> dict[int, str | None]:
    """Field key for each column index, None for columns we do not import.

    When two columns mean the same field the first one wins, so a stray second "电话"
    column cannot overwrite the first.
    """
    result: dict[int, str | None] = {}
    for index, header in enumerate(headers):
        field = _match_header(header) if _key(header) else None
        result[index] = field if field not in result.values() else None
    return result
