"""Cell values from hand-made registers become clean values or a Chinese message."""

from datetime import date, datetime, timedelta

import pytest
from django.utils.functional import Promise
from django.utils.translation import override
from pypinyin import lazy_pinyin

from households.normalize import (
    CATEGORY_CHOICES,
    COUNTRY_REGIONS,
    FIELDS,
    HEADER_SYNONYMS,
    RELATION_CHOICES,
    NormalizeError,
    clean_text,
    country_choices,
    country_label,
    id_number_birth_date,
    match_headers,
    parse_bool,
    parse_category,
    parse_country,
    parse_date,
    parse_gender,
    parse_id_number,
    parse_mobile,
    parse_phone,
    parse_relation,
)

TOMORROW = date.today() + timedelta(days=2)


def error_text(func, value) -> str:
    with pytest.raises(NormalizeError) as caught:
        func(value)
    return str(caught.value)


# --- clean_text ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("１３８", "138"),
        ("ＡＢＣ ａｂｃ", "ABC abc"),
        ("王\u3000秀英", "王 秀英"),
        ("  北京   朝阳 \t 区\n", "北京 朝阳 区"),
        ("\u200b李\ufeff明", "李明"),
        (13812345678.0, "13812345678"),
        (13812345678, "13812345678"),
        (1.5, "1.5"),
        (date(1980, 1, 31), "1980-01-31"),
        (None, ""),
        ("   ", ""),
        # plain ASCII skips NFKC (it would change nothing) but not the spaces
        ("  1980-01-31\t", "1980-01-31"),
        ("138 1234\r\n5678", "138 1234 5678"),
        ("Tom\u00a0Lee", "Tom Lee"),  # a no-break space is not ASCII: NFKC makes it a space
    ],
)
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "1980-01-31",
        "1980/1/31",
        "1980.1.31",
        "1980年1月31日",
        "1980年1月31号",
        "1980 年 1 月 31 日",
        "19800131",
        "１９８０年１月３１日",
        "１９８０－０１－３１",
        "1980-01-31 00:00:00",
        "1980-01-31T08:30",
        19800131,
        date(1980, 1, 31),
        datetime(1980, 1, 31, 15, 45),
    ],
)
def test_every_written_date_format(raw):
    assert parse_date(raw) == date(1980, 1, 31)


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (29221, date(1980, 1, 1)),
        (29221.0, date(1980, 1, 1)),
        (29221.75, date(1980, 1, 1)),  # a time of day is dropped
        ("29221", date(1980, 1, 1)),
        ("２９２２１", date(1980, 1, 1)),
        (1, date(1900, 1, 1)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),  # after Excel's phantom 1900-02-29
        (36526, date(2000, 1, 1)),
        (45658, date(2025, 1, 1)),
    ],
)
def test_excel_serial_numbers(serial, expected):
    assert parse_date(serial) == expected


@pytest.mark.parametrize("blank", [None, "", "   ", "\u3000"])
def test_blank_date_is_none(blank):
    assert parse_date(blank) is None


@pytest.mark.parametrize("raw", ["1980-13-01", "1980-02-30", "1980/0/1", "19801301", "abc"])
def test_impossible_date_says_how_to_write_it(raw):
    assert error_text(parse_date, raw) == (
        f"无法识别的日期“{raw}”，请写成 1980-01-31 或 1980年1月31日"
    )


def test_serial_60_is_excels_non_existent_leap_day():
    assert "无法识别的日期“60”" in error_text(parse_date, 60)


@pytest.mark.parametrize("raw", [TOMORROW, TOMORROW.isoformat(), "2999年1月1日"])
def test_future_date_is_refused(raw):
    assert "晚于今天" in error_text(parse_date, raw)


@pytest.mark.parametrize("raw", [date(2020, 5, 2), "2020-05-02", 43953])
def test_the_latest_date_can_be_given_once_for_many_rows(raw):
    # an import works today out once; a date after the day it names is refused
    assert parse_date(raw, today=date(2020, 5, 2)) == date(2020, 5, 2)
    with pytest.raises(NormalizeError, match="晚于今天"):
        parse_date(raw, today=date(2020, 5, 1))


@pytest.mark.parametrize("raw", ["1899-12-31", date(1850, 5, 1)])
def test_date_before_1900_is_refused(raw):
    assert "早于1900年" in error_text(parse_date, raw)


@pytest.mark.parametrize("raw", ["1980", 1980, 1980.0, "２０１０"])
def test_bare_year_is_not_read_as_a_serial_from_1905(raw):
    assert "只有年份" in error_text(parse_date, raw)


# --- countries ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("美国", "US"),
        ("美國", "US"),
        ("USA", "US"),
        ("usa", "US"),
        ("U.S.A.", "US"),
        ("United States", "US"),
        ("united states of america", "US"),
        ("美利坚合众国", "US"),
        ("America", "US"),
        ("us", "US"),
        ("Ｕｓａ", "US"),
        (" 美 国 ", "US"),
        ("英国", "GB"),
        ("UK", "GB"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("GBR", "GB"),
        ("韩国", "KR"),
        ("韓國", "KR"),
        ("South Korea", "KR"),
        ("朝鲜", "KP"),
        ("俄罗斯", "RU"),
        ("俄羅斯", "RU"),
        ("Russia", "RU"),
        ("越南", "VN"),
        ("Viet Nam", "VN"),
        ("荷兰", "NL"),
        ("荷蘭", "NL"),
        ("Holland", "NL"),
        ("新西兰", "NZ"),
        ("紐西蘭", "NZ"),
        ("新西蘭", "NZ"),
        ("阿联酋", "AE"),
        ("阿聯酋", "AE"),
        ("UAE", "AE"),
        ("中国", "CN"),
        ("中國", "CN"),
        ("China", "CN"),
        ("PRC", "CN"),
        ("加拿大", "CA"),
        ("Canada", "CA"),
        ("澳大利亚", "AU"),
        ("澳洲", "AU"),
        ("馬來西亞", "MY"),
        ("马来西亚", "MY"),
        ("印度尼西亚", "ID"),
        ("新加坡", "SG"),
        ("法國", "FR"),
        ("德国", "DE"),
        ("deu", "DE"),
        ("Bolivia", "BO"),
        ("Bolivia, Plurinational State of", "BO"),
    ],
)
def test_country_in_chinese_english_or_code(raw, code):
    assert parse_country(raw) == code


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("香港", "HK"),
        ("中国香港", "HK"),
        ("中國香港", "HK"),
        ("香港特别行政区", "HK"),
        ("Hong Kong", "HK"),
        ("HK", "HK"),
        ("澳门", "MO"),
        ("澳門", "MO"),
        ("中国澳门", "MO"),
        ("中國澳門", "MO"),
        ("Macau", "MO"),
        ("Macao", "MO"),
        ("台湾", "TW"),
        ("臺灣", "TW"),
        ("台灣", "TW"),
        ("中国台湾", "TW"),
        ("中國台灣", "TW"),
        ("Taiwan", "TW"),
    ],
)
def test_hong_kong_macao_and_taiwan_are_regions(raw, code):
    assert parse_country(raw) == code
    assert code in COUNTRY_REGIONS


@pytest.mark.parametrize("blank", [None, "", "  "])
def test_blank_country_is_none(blank):
    assert parse_country(blank) is None


@pytest.mark.parametrize("raw", ["火星", "美", "美国国", "英", "XX", "Amerika"])
def test_unknown_country_is_not_guessed(raw):
    assert error_text(parse_country, raw) == (
        f"无法识别的国家或地区“{raw}”，请写中文全称（如 美国、中国香港）或两位代码（如 US）"
    )


@pytest.mark.parametrize(
    ("code", "language", "label"),
    [
        ("HK", "zh-hans", "中国香港"),
        ("MO", "zh-hans", "中国澳门"),
        ("TW", "zh-hans", "中国台湾"),
        ("HK", "zh-hant", "中國香港"),
        ("MO", "zh-hant", "中國澳門"),
        ("TW", "zh-hant", "中國台灣"),
        ("HK", "en", "Hong Kong, China"),
        ("MO", "en", "Macao, China"),
        ("TW", "en", "Taiwan, China"),
        ("US", "zh-hans", "美国"),
        ("US", "zh-hant", "美國"),
        ("US", "en", "United States"),
        ("NL", "zh-hant", "荷蘭"),
        ("BO", "en", "Bolivia"),
        ("GB", "en", "United Kingdom"),
        ("XX", "zh-hans", "XX"),
    ],
)
def test_country_label(code, language, label):
    assert country_label(code, language) == label


def test_country_label_defaults_to_simplified_chinese():
    assert country_label("US") == "美国"


def test_country_choices_leave_out_mainland_china_and_include_the_regions():
    choices = dict(country_choices())
    assert "CN" not in choices
    assert choices["HK"] == "中国香港"
    assert choices["TW"] == "中国台湾"
    assert choices["US"] == "美国"
    assert len(choices) > 240


def test_chinese_country_choices_are_in_pinyin_order():
    labels = [label for _code, label in country_choices()]
    assert labels == sorted(labels, key=lazy_pinyin)
    assert labels.index("阿根廷") < labels.index("美国") < labels.index("新加坡")


def test_traditional_and_english_country_choices():
    assert dict(country_choices("zh-hant"))["HK"] == "中國香港"
    english = [label for _code, label in country_choices("en")]
    assert english == sorted(english, key=str.casefold)
    assert "Taiwan, China" in english


def test_country_choices_are_a_fresh_list_each_time():
    country_choices().clear()
    assert country_choices()


# --- identity numbers ---------------------------------------------------------------------

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def with_check(first17: str) -> str:
    """The 18-character number, check character computed here independently."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def test_the_sample_number_from_the_standard_is_valid():
    assert parse_id_number("11010519491231002X") == "11010519491231002X"
    assert with_check("11010519491231002") == "11010519491231002X"


def test_valid_number_with_digit_check():
    number = with_check("33090219800131123")
    assert number[-1].isdigit()
    assert parse_id_number(number) == number


def test_lower_case_x_spaces_and_full_width_are_normalised():
    assert parse_id_number("110105 19491231 002x") == "11010519491231002X"
    assert parse_id_number("１１０１０５１９４９１２３１００２ｘ") == "11010519491231002X"


@pytest.mark.parametrize("blank", [None, "", " "])
def test_blank_id_number_is_none(blank):
    assert parse_id_number(blank) is None


@pytest.mark.parametrize("raw", ["11010519491231002", "110105194912310021X", "110105491231002"])
def test_wrong_length(raw):
    assert error_text(parse_id_number, raw) == (
        f"身份证号“{raw}”应为18位，现在是{len(raw)}位（15位的旧号码请换成18位新号码）"
    )


def test_wrong_check_character():
    good = with_check("33090219800131123")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert error_text(parse_id_number, bad) == "身份证号校验位不对，请核对最后一位"


def test_letters_before_the_last_place():
    assert "只能是数字" in error_text(parse_id_number, "3309021980013112AX")


@pytest.mark.parametrize("born", ["19801301", "19800230", "18991231", TOMORROW.strftime("%Y%m%d")])
def test_impossible_birth_date_in_the_number(born):
    number = with_check(f"330902{born}123")
    message = error_text(parse_id_number, number)
    assert message == f"身份证号“{number}”里的出生日期（第7–14位）“{born}”不对，请核对"


def test_birth_date_from_the_number():
    assert id_number_birth_date("11010519491231002X") == date(1949, 12, 31)
    assert id_number_birth_date(with_check("33090220000229123")) == date(2000, 2, 29)


def test_an_id_number_is_checked_against_the_day_given():
    number = with_check("33090220200502123")
    assert parse_id_number(number, today=date(2020, 5, 2)) == number
    assert id_number_birth_date(number, today=date(2020, 5, 2)) == date(2020, 5, 2)
    with pytest.raises(NormalizeError, match="出生日期"):
        parse_id_number(number, today=date(2020, 5, 1))


def test_birth_date_of_a_bad_number_is_an_error():
    with pytest.raises(NormalizeError):
        id_number_birth_date("123")
    with pytest.raises(NormalizeError):
        id_number_birth_date("")


# --- phones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "008613812345678",
        "１３８１２３４５６７８",
        13812345678,
        13812345678.0,
    ],
)
def test_mainland_mobile(raw):
    assert parse_mobile(raw) == "+8613812345678"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+852 6123 4567", "+85261234567"),
        ("00852 6123 4567", "+85261234567"),
        ("+1 415 555 0123", "+14155550123"),
        ("+61 412 345 678", "+61412345678"),
        ("+60 12-345 6789", "+60123456789"),
    ],
)
def test_overseas_mobile_with_country_code(raw, e164):
    assert parse_mobile(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "1381234567", "020-12345678", "电话"])
def test_bad_mobile_explains_both_formats(raw):
    assert error_text(parse_mobile, raw) == (
        f"手机号码“{raw}”不对：大陆手机号是11位数字，境外号码要带国家或地区代码（如 +852）"
    )


def test_blank_mobile_is_none():
    assert parse_mobile(None) is None
    assert parse_mobile(" ") is None


@pytest.mark.parametrize(
    ("raw", "result"),
    [
        ("020-12345678", "+862012345678"),
        ("0755 8888 6666", "+8675588886666"),
        ("13812345678", "+8613812345678"),
        ("+852 2123 4567", "+85221234567"),
        ("分机 1234567", "分机 1234567"),  # unrecognised but plausible: kept as written
    ],
)
def test_home_phone(raw, result):
    assert parse_phone(raw) == result


@pytest.mark.parametrize("raw", ["123", "12-34", "无"])
def test_home_phone_with_too_few_digits(raw):
    assert error_text(parse_phone, raw).startswith(f"电话号码“{raw}”不对")


def test_blank_home_phone_is_none():
    assert parse_phone("") is None


# --- small vocabularies -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "gender"),
    [
        ("男", "male"),
        ("男性", "male"),
        ("M", "male"),
        ("m", "male"),
        ("Male", "male"),
        ("女", "female"),
        ("女性", "female"),
        ("F", "female"),
        ("FEMALE", "female"),
        (" 女 ", "female"),
    ],
)
def test_gender(raw, gender):
    assert parse_gender(raw) == gender


def test_gender_blank_and_unknown():
    assert parse_gender("") is None
    assert error_text(parse_gender, "未知") == "无法识别的性别“未知”，请写 男 或 女"


@pytest.mark.parametrize(
    "raw", ["是", "有", "Y", "y", "yes", "YES", "true", "1", 1, 1.0, "√", "✓", True]
)
def test_bool_true(raw):
    assert parse_bool(raw) is True


@pytest.mark.parametrize("raw", ["否", "无", "無", "N", "no", "False", "0", 0, "×", False])
def test_bool_false(raw):
    assert parse_bool(raw) is False


def test_bool_blank_and_unknown():
    assert parse_bool(None) is None
    assert parse_bool("  ") is None
    assert error_text(parse_bool, "也许") == "无法识别的“是/否”值“也许”，请写 是 或 否"


def test_category_codes():
    assert [code for code, _label in CATEGORY_CHOICES] == [
        "returnee",
        "relative",
        "overseas_chinese",
        "ethnic_chinese",
        "hk_macao",
        "student_abroad",
    ]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("归侨", "returnee"),
        ("歸僑", "returnee"),
        ("侨眷", "relative"),
        ("僑眷", "relative"),
        ("侨属", "relative"),
        ("港澳眷属", "relative"),
        ("港澳眷屬", "relative"),
        ("眷属", "relative"),
        ("华侨", "overseas_chinese"),
        ("華僑", "overseas_chinese"),
        ("华人", "ethnic_chinese"),
        ("華人", "ethnic_chinese"),
        ("外籍华人", "ethnic_chinese"),
        ("华裔", "ethnic_chinese"),
        ("港澳同胞", "hk_macao"),
        ("港澳居民", "hk_macao"),
        ("香港同胞", "hk_macao"),
        ("澳门同胞", "hk_macao"),
        ("留学生", "student_abroad"),
        ("留學生", "student_abroad"),
        ("留学人员", "student_abroad"),
        ("returnee", "returnee"),
    ],
)
def test_category(raw, code):
    assert parse_category(raw) == code


def test_unknown_category_lists_what_is_accepted():
    assert error_text(parse_category, "侨胞") == (
        "无法识别的类别“侨胞”，请写以下之一：归侨、侨眷、华侨、外籍华人、港澳同胞、留学人员"
    )
    assert parse_category("") is None


def test_relation_codes():
    assert [code for code, _label in RELATION_CHOICES] == [
        "householder",
        "spouse",
        "child",
        "child_in_law",
        "parent",
        "grandchild",
        "grandparent",
        "sibling",
        "other",
    ]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("户主", "householder"),
        ("戶主", "householder"),
        ("本人", "householder"),
        ("配偶", "spouse"),
        ("妻", "spouse"),
        ("妻子", "spouse"),
        ("丈夫", "spouse"),
        ("老伴", "spouse"),
        ("子", "child"),
        ("女", "child"),
        ("儿子", "child"),
        ("女儿", "child"),
        ("長子", "child"),
        ("长女", "child"),
        ("次女", "child"),
        ("女兒", "child"),
        ("兒子", "child"),
        ("儿媳", "child_in_law"),
        ("女婿", "child_in_law"),
        ("兒媳", "child_in_law"),
        ("父亲", "parent"),
        ("母", "parent"),
        ("岳母", "parent"),
        ("婆婆", "parent"),
        ("孙子", "grandchild"),
        ("外孙女", "grandchild"),
        ("孫女", "grandchild"),
        ("祖父", "grandparent"),
        ("外祖母", "grandparent"),
        ("奶奶", "grandparent"),
        ("兄", "sibling"),
        ("妹妹", "sibling"),
        ("姐妹", "sibling"),
        ("其他", "other"),
        ("其它", "other"),
        ("亲属", "other"),
    ],
)
def test_relation(raw, code):
    assert parse_relation(raw) == code


def test_unknown_relation_is_an_error_not_other():
    assert "无法识别的与户主关系“邻居”" in error_text(parse_relation, "邻居")
    assert parse_relation(None) is None


# --- headers ------------------------------------------------------------------------------


def test_every_field_has_a_label_and_synonyms():
    assert set(FIELDS) == set(HEADER_SYNONYMS)
    assert FIELDS["country"] == "侨居国/所在国家(地区)"
    for key, label in FIELDS.items():
        assert match_headers([str(label)]) == {0: key}


def test_no_header_word_belongs_to_two_fields():
    owners = {}
    for key, words in HEADER_SYNONYMS.items():
        for word in words:
            (found,) = match_headers([word]).values()
            assert found == key, (word, key, found)
            owners.setdefault(word, key)
    assert len(owners) == sum(len(words) for words in HEADER_SYNONYMS.values())


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("手机", "mobile"),
        ("聯繫電話", "mobile"),
        ("Phone", "mobile"),
        ("MOBILE", "mobile"),
        ("成员姓名", "name"),
        ("Name", "name"),
        ("所在国家(地区)", "country"),
        ("所在国家（地区）", "country"),
        ("所在国家【地区】", "country"),
        ("侨居国家", "country"),
        ("Country", "country"),
        ("网格小组", "grid_group"),
        ("侨眷小组", "grid_group"),
        ("村(社)", "community"),
        ("村（社）", "community"),
        ("出生年月", "birth_date"),
        ("公民身份号码", "id_number"),
        ("姓名（必填）", "name"),
        ("姓名(必填)", "name"),
        ("*姓名", "name"),
        ("姓名*", "name"),
        ("姓名：", "name"),
        (" 姓 名 ", "name"),
        ("性别(必填)*", "gender"),
        ("出生日期（格式：1980-01-31）", "birth_date"),
        ("是否在境外", "lives_abroad"),
        ("重点侨户", "is_key"),
        ("困难侨户", "is_hardship"),
        ("空巢", "is_empty_nest"),
    ],
)
def test_header_synonyms_and_decorations(header, field):
    assert match_headers([header]) == {0: field}


def test_unknown_and_blank_headers_map_to_none():
    assert match_headers(["序号", "", None, "工作单位"]) == {0: None, 1: None, 2: None, 3: None}


def test_a_field_is_never_given_two_columns():
    headers = ["姓名", "手机号码", "联系电话", "名字", "电话"]
    assert match_headers(headers) == {0: "name", 1: "mobile", 2: None, 3: None, 4: None}


def test_full_register_header_row():
    headers = [
        "序号",
        "户编号",
        "户主姓名",
        "姓名（必填）",
        "与户主关系",
        "类别/身份",
        "侨居国/所在国家（地区）",
        "手机号码",
        "家庭电话",
        "身份证号码",
        "出生日期",
        "性别",
        "所属社区",
        "网格/小组",
        "住址",
        "国内联系人",
        "同意联系",
        "备注",
    ]
    assert list(match_headers(headers).values()) == [
        None,
        "household_key",
        "householder_name",
        "name",
        "relation",
        "category",
        "country",
        "mobile",
        "home_phone",
        "id_number",
        "birth_date",
        "gender",
        "community",
        "grid_group",
        "address",
        "home_contact",
        "consent",
        "notes",
    ]


# --- the error itself ---------------------------------------------------------------------


def test_messages_are_lazy_translations_rendered_when_shown():
    with pytest.raises(NormalizeError) as caught:
        parse_country("火星")
    assert isinstance(caught.value.message, Promise)
    assert caught.value.params == {"value": "火星"}
    with override("en"):
        assert "火星" in str(caught.value)


def test_labels_are_lazy_translations():
    assert isinstance(FIELDS["name"], Promise)
    assert all(isinstance(label, Promise) for _code, label in CATEGORY_CHOICES)
    assert all(isinstance(label, Promise) for _code, label in RELATION_CHOICES)
