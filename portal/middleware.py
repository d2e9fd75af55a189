from __future__ import annotations

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

_TRADITIONAL = ("zh-tw", "zh-hk", "zh-mo", "zh-hant")


class PortalLocaleMiddleware(LocaleMiddleware):
    """Simplified Chinese unless the visitor chose otherwise.

    A choice made with the language switcher (the language cookie) always wins. Without one, a
    browser whose preferred Chinese is Traditional (Taiwan, Hong Kong, Macao) gets zh-hant and
    every other browser, English ones included, gets the site's default, zh-hans: the portal
    is a Chinese site first, and English is offered, not assumed.
    """

    def process_request(self, request):
        language = self._chosen(request) or self._from_browser(request) or settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    @staticmethod
    def _chosen(request) -> str | None:
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if code and code in dict(settings.LANGUAGES):
            return code
        return None

    @staticmethod
    def _from_browser(request) -> str | None:
        for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
            code = code.lower()
            if code.startswith(_TRADITIONAL):
                return "zh-hant"
            if code.startswith("zh"):
                return "zh-hans"
        return None
