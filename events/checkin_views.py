"""Check-in at the door, in the Wagtail admin, made for a phone held in one hand.

One page per event: the figures, a search (name, last digits of the phone, or the code) with a
签到 button per sign-up, a camera scanner for the QR codes people show, and a form for people who
come without a sign-up. Every write goes through ``events.services`` and every read through the
check-in scope (``events.selectors.checkin_scope_for``: this event, for whoever may check people
in); these views only parse, call and answer. Only users with ``events.check_in`` get in; the
event must be live.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from households.normalize import NormalizeError, parse_phone

from . import selectors, services
from .choices import EventKind
from .models import Signup
from .pages import EventPage
from .qr import parse_checkin_text

LIST_LIMIT = 200
WALK_IN_MAX = services.WALK_IN_MAX  # for the browser's number field


def _require_check_in(request: HttpRequest) -> None:
    if not selectors.user_checks_in(request.user):
        raise PermissionDenied


def _event_or_404(request: HttpRequest, event_id: int) -> EventPage:
    """The live event, for a user who may check people in (permission first, so that people
    without it learn nothing about which events exist)."""
    _require_check_in(request)
    return get_object_or_404(EventPage.objects.live().select_related("community"), pk=event_id)


def _page_url(event: EventPage, q: str = "") -> str:
    url = reverse("events_checkin_event", args=[event.pk])
    return f"{url}?{urlencode({'q': q})}" if q else url


def _hhmm(moment) -> str:
    return timezone.localtime(moment).strftime("%H:%M")


class WalkInForm(forms.Form):
    """Name and party size are checked by ``walk_in_record`` (one set of rules and messages);
    the form checks the phone number and gives the typed values back on an error."""

    name = forms.CharField(label=gettext_lazy("姓名"), max_length=60, required=False)
    phone = forms.CharField(
        label=gettext_lazy("联系电话（可不填）"),
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    party_size = forms.CharField(
        label=gettext_lazy("人数"),
        initial="1",
        max_length=3,
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": WALK_IN_MAX, "inputmode": "numeric"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs.update(required=True, autocomplete="off")

    def clean_phone(self) -> str:
        try:
            return parse_phone(self.cleaned_data["phone"]) or ""
        except NormalizeError as exc:
            raise ValidationError(str(exc)) from None


def _render_event(
    request: HttpRequest, event: EventPage, *, walk_in_form: WalkInForm | None = None, status=200
) -> TemplateResponse:
    q = request.GET.get("q", "").strip()[:60]
    figures = selectors.event_figures([event.pk])[event.pk]
    signups = list(selectors.checkin_search(event=event, q=q, user=request.user)[: LIST_LIMIT + 1])
    walk_ins = selectors.walk_ins_for(event=event, user=request.user)
    return TemplateResponse(
        request,
        "events/admin/checkin_event.html",
        {
            "event": event,
            "figures": figures,
            "checked_in_confirmed": figures.attended - figures.walk_ins,
            "q": q,
            "signups": signups[:LIST_LIMIT],
            "more": len(signups) > LIST_LIMIT,
            "walk_ins": walk_ins,
            "walk_in_form": walk_in_form or WalkInForm(),
            "walk_in_max": WALK_IN_MAX,
        },
        status=status,
    )


def checkin_index(request: HttpRequest) -> TemplateResponse:
    """The events that have not ended yet, to pick the one at the door."""
    _require_check_in(request)
    events = list(selectors.event_list(when="upcoming")[:50])
    figures = selectors.event_figures([event.pk for event in events])
    rows = [(event, figures[event.pk]) for event in events]
    return TemplateResponse(request, "events/admin/checkin_index.html", {"rows": rows})


def checkin_event(request: HttpRequest, event_id: int) -> TemplateResponse:
    event = _event_or_404(request, event_id)
    return _render_event(request, event)


def _figures_json(event: EventPage) -> dict:
    figures = selectors.event_figures([event.pk])[event.pk]
    return {
        "confirmed": figures.confirmed,
        "checked_in": figures.attended - figures.walk_ins,
        "walk_ins": figures.walk_ins,
        "attended": figures.attended,
    }


@require_POST
def checkin_scan(request: HttpRequest, event_id: int) -> JsonResponse:
    """A code from the camera or the manual box → JSON ``{ok, name, party_size, message}``.

    ``already`` is true when the person had checked in before (ok stays true: they are in).
    """
    event = _event_or_404(request, event_id)
    raw = request.POST.get("code", "")
    code = parse_checkin_text(raw)

    def answer(ok: bool, message: str, signup: Signup | None = None, **extra) -> JsonResponse:
        return JsonResponse(
            {
                "ok": ok,
                "name": signup.name if signup else "",
                "party_size": signup.party_size if signup else 0,
                "message": message,
                "code": code or "",
                "counts": _figures_json(event),
                **extra,
            }
        )

    if code is None:
        return answer(
            False, _("没有识别出签到码。签到码是 8 位字母和数字（如 ABCD2345），请核对后重试。")
        )
    signup = selectors.checkin_signup_by_code(event=event, code=code, user=request.user)
    if signup is None:
        # A code of another event is not found here either: the door of one event learns
        # nothing about the others.
        return answer(False, _("找不到签到码 %(code)s 的报名，请核对后重试。") % {"code": code})
    try:
        signup, already = services.signup_check_in(signup_id=signup.pk, actor=request.user)
    except services.SignupRefused as exc:
        return answer(False, exc.message, signup)
    leaving = timezone.now() - signup.checked_in_at >= services.CHECK_OUT_AFTER
    if already and event.kind == EventKind.VOLUNTEER and leaving:
        # at a volunteer shift the second scan, a while later, is the volunteer leaving
        signup = services.signup_check_out(signup_id=signup.pk, actor=request.user)
        return answer(
            True,
            _("签退成功：%(name)s，%(start)s 签到，%(end)s 签退。")
            % {
                "name": signup.name,
                "start": _hhmm(signup.checked_in_at),
                "end": _hhmm(signup.checked_out_at),
            },
            signup,
            already=True,
            checked_out=True,
        )
    if already:
        return answer(
            True,
            _("%(name)s 已签到（%(time)s 签到），无需重复签到。")
            % {"name": signup.name, "time": _hhmm(signup.checked_in_at)},
            signup,
            already=True,
        )
    return answer(
        True,
        _("签到成功：%(name)s，共 %(n)d 人。") % {"name": signup.name, "n": signup.party_size},
        signup,
        already=False,
    )


@require_POST
def checkin_signup(request: HttpRequest, event_id: int, signup_id: int) -> HttpResponse:
    """The 签到 button in the list."""
    event = _event_or_404(request, event_id)
    signup = get_object_or_404(selectors.checkin_scope_for(request.user, event), pk=signup_id)
    try:
        signup, already = services.signup_check_in(signup_id=signup.pk, actor=request.user)
    except services.SignupRefused as exc:
        messages.error(request, exc.message)
    else:
        if already:
            messages.warning(
                request,
                _("%(name)s 已签到（%(time)s 签到），无需重复签到。")
                % {"name": signup.name, "time": _hhmm(signup.checked_in_at)},
            )
        else:
            messages.success(
                request,
                _("签到成功：%(name)s，共 %(n)d 人。")
                % {"name": signup.name, "n": signup.party_size},
            )
    return redirect(_page_url(event, request.POST.get("q", "")))


@require_POST
def checkin_check_out(request: HttpRequest, event_id: int, signup_id: int) -> HttpResponse:
    """The 签退 button (volunteer shifts): the time served runs from check-in to here."""
    event = _event_or_404(request, event_id)
    signup = get_object_or_404(selectors.checkin_scope_for(request.user, event), pk=signup_id)
    try:
        signup = services.signup_check_out(signup_id=signup.pk, actor=request.user)
    except services.SignupRefused as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(
            request,
            _("签退成功：%(name)s，%(start)s 签到，%(end)s 签退。")
            % {
                "name": signup.name,
                "start": _hhmm(signup.checked_in_at),
                "end": _hhmm(signup.checked_out_at),
            },
        )
    return redirect(_page_url(event, request.POST.get("q", "")))


@require_POST
def checkin_undo(request: HttpRequest, event_id: int, signup_id: int) -> HttpResponse:
    """The 撤销 button: for a check-in made by mistake."""
    event = _event_or_404(request, event_id)
    signup = get_object_or_404(selectors.checkin_scope_for(request.user, event), pk=signup_id)
    try:
        services.signup_check_in_undo(signup_id=signup.pk, actor=request.user)
    except services.SignupRefused as exc:
        messages.warning(request, exc.message)
    else:
        messages.success(request, _("已撤销 %(name)s 的签到。") % {"name": signup.name})
    return redirect(_page_url(event, request.POST.get("q", "")))


@require_POST
def checkin_walk_in(request: HttpRequest, event_id: int) -> HttpResponse:
    """Someone who came without a sign-up. On an error the page comes back with the form
    filled in and the message under the field."""
    event = _event_or_404(request, event_id)
    form = WalkInForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            signup = services.walk_in_record(
                event=event,
                name=data["name"],
                phone=data["phone"],
                party_size=data["party_size"],
                actor=request.user,
            )
        except services.SignupRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _("已现场登记：%(name)s，共 %(n)d 人。")
                % {"name": signup.name, "n": signup.party_size},
            )
            return redirect(_page_url(event))
    return _render_event(request, event, walk_in_form=form)
