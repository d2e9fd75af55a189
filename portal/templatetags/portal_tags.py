from django import template

from core.phones import display_phone

register = template.Library()


@register.filter(name="phone")
def phone_filter(value: str) -> str:
    """+8613812345678 → 13812345678; numbers abroad in international format."""
    return display_phone(value) if value else ""
