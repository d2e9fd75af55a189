"""core.lunar: festival dates from the lunar calendar (checked against published calendars)."""

from datetime import date

import pytest

from core.lunar import LunarDate, lunar_date, lunar_dates_in, lunar_of, next_lunar_date


@pytest.mark.parametrize(
    ("year", "month", "day", "expected"),
    [
        (2026, 1, 1, date(2026, 2, 17)),  # 春节 2026
        (2026, 5, 5, date(2026, 6, 19)),  # 端午 2026
        (2026, 8, 15, date(2026, 9, 25)),  # 中秋 2026
        (2026, 9, 9, date(2026, 10, 18)),  # 重阳 2026
        (2027, 1, 1, date(2027, 2, 6)),  # 春节 2027
    ],
)
def test_festivals(year, month, day, expected):
    assert lunar_date(year, month, day) == expected


def test_the_thirtieth_of_a_short_month_is_its_last_day():
    # 乙巳年十二月 has 29 days: 除夕 is the 29th, the day before 春节 2026
    assert lunar_date(2025, 12, 30) == date(2026, 2, 16)


def test_leap_months():
    assert lunar_date(2025, 6, 1, leap=True) == date(2025, 7, 25)
    with pytest.raises(ValueError):
        lunar_date(2026, 6, 1, leap=True)  # no leap sixth month in 2026
    with pytest.raises(ValueError):
        lunar_date(2026, 13, 1)


def test_lunar_of_and_back():
    assert lunar_of(date(2026, 9, 25)) == LunarDate(2026, 8, 15, False)
    assert lunar_of(date(2025, 7, 25)) == LunarDate(2025, 6, 1, True)


def test_dates_in_a_gregorian_year():
    assert lunar_dates_in(2026, 8, 15) == [date(2026, 9, 25)]
    # 除夕 of 乙巳 falls in February 2026; that of 丙午 in February 2027
    assert lunar_dates_in(2026, 12, 30) == [date(2026, 2, 16)]


def test_next_lunar_date():
    assert next_lunar_date(1, 1, on_or_after=date(2026, 12, 2)) == date(2027, 2, 6)
    assert next_lunar_date(8, 15, on_or_after=date(2026, 9, 25)) == date(2026, 9, 25)
    assert next_lunar_date(8, 15, on_or_after=date(2026, 9, 26)).year == 2027
