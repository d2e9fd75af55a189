"""Text a person typed, made safe for one line of an official message (an SMS, a mail's
greeting). Pure functions: this module imports nothing of the project, so the user model can
use it too."""

from __future__ import annotations

import re
import unicodedata

# Characters that draw a bracket like the one around the signature (【侨心】): a name written
# "【侨心】…" (or 《侨心》, （侨心）, ❲侨心❳, ⦅侨心⦆ …) would make the rest of the text look
# like the federation's own words. The rule is Unicode's: every opening and closing punctuation mark
# (categories Ps and Pe: brackets, parentheses, angle, corner, lenticular, tortoise-shell and
# their full-width and vertical forms), so a bracket nobody listed cannot slip through.
_BRACKET_CATEGORIES = ("Ps", "Pe")
_SPACES = re.compile(r"\s+")


def clean_line(value, *, drop) -> str:
    """``value`` as one line: control and format characters, line and paragraph separators
    dropped (no second line that reads as a new message, no right-to-left override), runs of
    white space made one space, and every character for which ``drop`` is true removed."""
    text = "".join(
        " " if unicodedata.category(ch) in ("Zl", "Zp", "Zs") or ch in "\t\n\r\v\f" else ch
        for ch in str(value or "")
        if unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs", "Cn") or ch in "\t\n\r\v\f"
    )
    text = "".join(ch for ch in text if not drop(ch))
    return _SPACES.sub(" ", text).strip()


def sms_user_text(value, *, max_length: int) -> str:
    """Text someone typed, made safe to put inside a text message.

    One line, no brackets of any kind (they could imitate the signature), at most
    ``max_length`` characters (an ellipsis marks the cut). Use it for every piece of text in an
    SMS that did not come from our own templates: names, places, titles, reasons.
    """
    text = clean_line(value, drop=lambda ch: unicodedata.category(ch) in _BRACKET_CATEGORIES)
    if len(text) > max_length:
        text = text[: max(0, max_length - 1)].rstrip() + "…"
    return text
