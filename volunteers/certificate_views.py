"""Certificates: the public check page (no login), the volunteer's own downloads, and the
office's issuing and downloads."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.locking import LockBusy
from core.masking import mask_name

from . import selectors, services
from .certificate_pdf import certificate_pdf
from .models import Certificate, Volunteer


def verify(request, serial: str):
    """Anyone holding a certificate can check it: genuine or not, name masked, hours, issuer."""
    check = selectors.certificate_check(serial)
    if check is None:
        return render(request, "volunteers/verify.html", {"serial": serial[:40]}, status=404)
    return render(
        request,
        "volunteers/verify.html",
        {
            "serial": serial,
            "c": check.certificate,
            "state": check.state,
            "masked_name": mask_name(check.certificate.name),
        },
    )


def _pdf_response(certificate: Certificate) -> HttpResponse:
    response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certificate.serial}.pdf"'
    return response


@login_required
def my_certificate(request, serial: str):
    volunteer = selectors.volunteer_own_for(request.user)
    certificate = (
        Certificate.objects.filter(serial=serial, volunteer=volunteer).first()
        if volunteer is not None
        else None
    )
    if certificate is None:
        raise Http404
    return _pdf_response(certificate)


# -- the office -----------------------------------------------------------------------------------


def _require(request) -> None:
    if not request.user.has_perm("volunteers.issue_certificate"):
        raise PermissionDenied


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@require_POST
def admin_issue(request, volunteer_id: int):
    _require(request)
    try:
        certificate = services.certificate_issue(
            actor=request.user,
            volunteer_id=volunteer_id,
            period_start=_date(request.POST.get("period_start", "")),
            period_end=_date(request.POST.get("period_end", "")),
        )
    except Volunteer.DoesNotExist:
        raise Http404 from None
    except services.VolunteerRefused as refused:
        messages.error(request, refused.message)
    except LockBusy:
        messages.error(request, _("系统繁忙，请稍后再试。"))
    else:
        messages.success(
            request,
            _("已出具证明 %(serial)s（%(hours)s 小时）。")
            % {"serial": certificate.serial, "hours": certificate.hours},
        )
    return redirect(reverse("volunteers_admin_detail", args=[volunteer_id]) + "#certificates")


def admin_download(request, volunteer_id: int, serial: str):
    _require(request)
    try:
        volunteer = selectors.volunteer_access_for(request.user, volunteer_id)
    except Volunteer.DoesNotExist:
        raise Http404 from None
    certificate = Certificate.objects.filter(serial=serial, volunteer=volunteer).first()
    if certificate is None:
        raise Http404
    return _pdf_response(certificate)
