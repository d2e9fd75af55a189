"""Developers' helper after `makemessages`: fill empty Traditional Chinese entries by converting
the Simplified source text with OpenCC (Taiwan standard), and report English entries that
still need a translator. Chinese (Simplified) is the source language: its catalogue stays empty.
"""

from __future__ import annotations

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Fill zh_Hant from the Simplified source with OpenCC; list untranslated English."

    def handle(self, *args, **options):
        import opencc

        converter = opencc.OpenCC("s2tw")
        for folder in settings.LOCALE_PATHS:
            hant = Path(folder) / "zh_Hant" / "LC_MESSAGES" / "django.po"
            if hant.exists():
                catalogue = polib.pofile(str(hant))
                filled = 0
                for entry in catalogue:
                    if entry.obsolete:
                        continue
                    if entry.msgid_plural:
                        # a fuzzy plural holds a guess from another message: convert afresh
                        if not any(entry.msgstr_plural.values()) or "fuzzy" in entry.flags:
                            entry.msgstr_plural = {
                                0: converter.convert(entry.msgid_plural),
                            }
                            filled += 1
                    elif not entry.msgstr or "fuzzy" in entry.flags:
                        entry.msgstr = converter.convert(entry.msgid)
                        filled += 1
                    if "fuzzy" in entry.flags:
                        entry.flags.remove("fuzzy")
                catalogue.save()
                self.stdout.write(f"zh_Hant: {filled} entries filled by OpenCC.")
            english = Path(folder) / "en" / "LC_MESSAGES" / "django.po"
            if english.exists():
                missing = [e for e in polib.pofile(str(english)) if not e.translated()]
                for entry in missing:
                    self.stdout.write(f"en: untranslated: {entry.msgid!r}")
                self.stdout.write(f"en: {len(missing)} entries still need a translation.")
