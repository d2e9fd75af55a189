from datetime import date

import pytest

from core.masking import mask_birth_date, mask_id_number, mask_id_number_head, mask_phone
from core.phones import InvalidPhone, display_phone, normalize_phone


def test_mainland_mobile_is_masked_like_the_register_shows_it():
    assert mask_phone("+8613812345678") == "138****5678"


def test_id_number_keeps_region_and_last_four():
    assert mask_id_number("330902198001011234") == "3309**********1234"


def test_id_number_head_keeps_province_and_city_only():
    # nothing of the person: no birth date, no sequence, no check digit
    assert mask_id_number_head("330902198001011234") == "3309**************"
    assert mask_id_number_head("11010519491231002X") == "1101**************"
    assert mask_id_number_head("1234") == "****"


def test_birth_date_is_masked_to_the_year():
    assert mask_birth_date(date(1980, 1, 31)) == "1980年"


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        "138 1234 5678",
        "+86 138-1234-5678",
        "008613812345678",
        "１３８１２３４５６７８",
    ],
)
def test_mainland_numbers_in_any_common_format(typed):
    assert normalize_phone(typed) == "+8613812345678"


def test_overseas_number_needs_its_country_code():
    assert normalize_phone("+852 6123 4567") == "+85261234567"
    assert normalize_phone("+1 415 555 2671") == "+14155552671"


@pytest.mark.parametrize("typed", ["", "12345", "1381234567", "0580-1234567", "hello"])
def test_invalid_or_landline_numbers_are_refused(typed):
    with pytest.raises(InvalidPhone):
        normalize_phone(typed)


def test_display_drops_the_mainland_prefix():
    assert display_phone("+8613812345678") == "13812345678"
    assert display_phone("+85261234567") == "+852 6123 4567"
