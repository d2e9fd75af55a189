"""Masking of personal numbers for people who may not see them in full."""

from __future__ import annotations


def mask_phone(phone: str) -> str:
    """``+8613812345678`` → ``138****5678``; other numbers keep their first 3 and last 4 digits."""
    digits = phone[3:] if phone.startswith("+86") else phone.lstrip("+")
    if len(digits) <= 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_id_number(number: str) -> str:
    """``330902198001011234`` → ``3309**********1234``."""
    if len(number) <= 8:
        return "*" * len(number)
    return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}"
