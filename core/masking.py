"""Masking of personal numbers for people who may not see them in full.

An ID number holds 6 region digits, the 8-digit birth date, 3 sequence digits and a check
digit. Shown as ``3309**********1234`` beside the full birth date, only the 2 district digits
are left to guess (and the check digit cuts those to about one): such a mask is safe only for
people who may unmask anyway. Anyone else gets the birth year (``mask_birth_date``) and the ID
cut to its province and city (``mask_id_number_head``): with the district known, the birth
year and the gender still leave about 366 × 500 candidates.
"""

from __future__ import annotations

from datetime import date


def mask_phone(phone: str) -> str:
    """``+8613812345678`` → ``138****5678``; other numbers keep their first 3 and last 4 digits."""
    digits = phone[3:] if phone.startswith("+86") else phone.lstrip("+")
    if len(digits) <= 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_id_number(number: str) -> str:
    """``330902198001011234`` → ``3309**********1234``: for people who may unmask only."""
    if len(number) <= 8:
        return "*" * len(number)
    return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}"


def mask_id_number_head(number: str) -> str:
    """``330902198001011234`` → ``3309**************``: only province and city, nothing of the
    person (no birth date, no sequence, no check digit)."""
    if len(number) <= 8:
        return "*" * len(number)
    return f"{number[:4]}{'*' * (len(number) - 4)}"


def mask_birth_date(born: date) -> str:
    """``1980-01-01`` → ``1980年``: the year, never the day (see the module's docstring)."""
    return f"{born.year}年"


def mask_name(name: str) -> str:
    """``王秀英`` → ``王*英``, ``李明`` → ``李*``, ``欧阳建国`` → ``欧**国``: enough for someone
    who knows the person to recognise them, too little to find them."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return f"{name[0]}*"
    return f"{name[0]}{'*' * (len(name) - 2)}{name[-1]}"
