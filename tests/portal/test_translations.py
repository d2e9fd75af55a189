"""Chinese (Simplified) is the source language; English and Traditional Chinese stay complete."""

from pathlib import Path

import polib
import pytest
from django.conf import settings


@pytest.mark.parametrize("language", ["en", "zh_Hant"])
def test_catalogue_is_complete(language):
    path = Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po"
    catalogue = polib.pofile(str(path))
    missing = [entry.msgid for entry in catalogue if not entry.translated()]
    assert not missing, f"{language}: untranslated {missing}"
    assert len(catalogue) > 50


def test_catalogues_are_compiled():
    for language in ("en", "zh_Hant"):
        mo = Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.mo"
        assert mo.exists(), "run `make messages`"
