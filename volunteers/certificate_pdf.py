"""The certificate as a PDF (WeasyPrint), with the Chinese font embedded so that it prints the
same anywhere, and a QR code of the public check page (segno, drawn locally)."""

from __future__ import annotations

from pathlib import Path

import segno
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .models import Certificate


def verify_url(certificate: Certificate) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse(
        "volunteers:verify", args=[certificate.serial]
    )


def certificate_pdf(certificate: Certificate) -> bytes:
    from weasyprint import HTML

    font = Path(settings.CERTIFICATE_FONT)
    url = verify_url(certificate)
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            "volunteers/certificate_pdf.html",
            {
                "c": certificate,
                "font_url": font.as_uri() if font.exists() else "",
                "qr": segno.make(url, error="m").svg_data_uri(scale=3),
                "verify_url": url,
            },
        )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
