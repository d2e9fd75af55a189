"""The Chinese lunar calendar, through tyme4py: festivals (春节 1/1, 端午 5/5, 中秋 8/15, 重阳 9/9)
are lunar days, and visits, events and reminders need their Gregorian dates.

A lunar year starts at 春节, in January or February of the Gregorian year of the same number, so
``lunar_date(2026, 8, 15)`` is 中秋 in 2026. Days late in the twelfth month (除夕, 12/30) fall in
the next Gregorian year: ``lunar_dates_in`` answers "which dates in this Gregorian year".
A month has 29 or 30 days; a festival on the 30th of a short month is kept on its last day
(除夕 is then 12/29), as people keep it.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from tyme4py.lunar import LunarDay, LunarMonth
from tyme4py.solar import SolarDay


class LunarDate(NamedTuple):
    year: int
    month: int  # 1–12
    day: int  # 1–30
    leap: bool = False  # a leap month (闰月) repeats the month before it


def lunar_date(year: int, month: int, day: int, *, leap: bool = False) -> date:
    """The Gregorian date of lunar ``year``/``month``/``day``.

    ``day`` past the end of a 29-day month is its last day. ``leap=True`` asks for the leap
    month of that number, and raises ValueError when the year has none.
    """
    if not 1 <= month <= 12:
        raise ValueError(f"lunar month must be 1–12, got {month}")
    if not 1 <= day <= 30:
        raise ValueError(f"lunar day must be 1–30, got {day}")
    lunar_month = LunarMonth.from_ym(year, -month if leap else month)
    day = min(day, lunar_month.get_day_count())
    solar = LunarDay.from_ymd(year, lunar_month.get_month_with_leap(), day).get_solar_day()
    return date(solar.get_year(), solar.get_month(), solar.get_day())


def lunar_of(day: date) -> LunarDate:
    """The lunar date of a Gregorian ``day``."""
    lunar = SolarDay.from_ymd(day.year, day.month, day.day).get_lunar_day()
    month = lunar.get_lunar_month()
    return LunarDate(lunar.get_year(), month.get_month(), lunar.get_day(), month.is_leap())


def lunar_dates_in(year: int, month: int, day: int) -> list[date]:
    """The dates in Gregorian ``year`` that are lunar ``month``/``day`` (one, or for a day late
    in the twelfth month sometimes none or two), in order."""
    found = []
    for lunar_year in (year - 1, year):
        moment = lunar_date(lunar_year, month, day)
        if moment.year == year:
            found.append(moment)
    return sorted(found)


def next_lunar_date(month: int, day: int, *, on_or_after: date) -> date:
    """The first date on or after ``on_or_after`` that is lunar ``month``/``day``."""
    lunar_year = lunar_of(on_or_after).year
    for candidate_year in (lunar_year - 1, lunar_year, lunar_year + 1):
        moment = lunar_date(candidate_year, month, day)
        if moment >= on_or_after:
            return moment
    raise AssertionError("unreachable: a lunar day recurs every year")  # pragma: no cover
