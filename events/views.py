"""Public views of events: the event page, sign-up, cancel, and "my sign-ups".

Each reads like a sentence: parse, call a service or selector, render. Rules and messages live
in ``events.services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import SignupForm
from .models import EventPage, Signup


def _detail_context(request, event: EventPage, form: SignupForm | None = None) -> dict:
    questions = list(event.questions.all())
    figures = selectors.event_figures([event.pk])[event.pk]
    my_signup = None
    if request.user.is_authenticated:
        my_signup = selectors.signup_active_for(event=event, user=request.user)
    if form is None:
        form = SignupForm(event=event, questions=questions)
    return {
        "page": event,
        "self": event,
        "figures": figures,
        "seats_left": figures.seats_left(event.capacity),
        "state": event.signup_state(),
        "my_signup": my_signup,
        "position": selectors.waitlist_position(my_signup) if my_signup else None,
        "form": form,
        "questions": questions,
    }


def event_detail(request, event: EventPage):
    return TemplateResponse(request, "events/event_page.html", _detail_context(request, event))


def event_signup(request, event: EventPage):
    if request.method != "POST":
        return redirect(event.url + "#signup")
    if not request.user.is_authenticated:
        return redirect_to_login(event.url)
    questions = list(event.questions.all())
    form = SignupForm(request.POST, event=event, questions=questions)
    form.is_valid()  # only to redisplay what was typed; the service decides
    try:
        signup = services.signup_create(
            event_id=event.pk,
            user=request.user,
            party_size=form.party_size_value(),
            answers=form.answers(),
            actor=request.user,
        )
    except services.SignupRefused as refused:
        field = refused.field if refused.field in form.fields else None
        if field and not form.fields[field].widget.is_hidden:
            form.add_error(field, refused.message)
            refusal = None
        else:
            refusal = refused.message  # shown above the form, or instead of it
        context = {**_detail_context(request, event, form), "refusal": refusal}
        return TemplateResponse(request, "events/event_page.html", context, status=400)
    if signup.status == Signup.Status.CONFIRMED:
        messages.success(
            request,
            _("报名成功！签到码 %(code)s，活动当天出示“我的报名”里的二维码即可签到。")
            % {"code": signup.code},
        )
    else:
        messages.info(
            request,
            _("名额已满，您已进入候补名单第 %(n)d 位。有人取消时会按顺序递补并通知您。")
            % {"n": selectors.waitlist_position(signup)},
        )
    return redirect(event.url)


def event_cancel(request, event: EventPage):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.user.is_authenticated:
        return redirect_to_login(event.url)
    signup = selectors.signup_active_for(event=event, user=request.user)
    if signup is None:
        messages.error(request, _("您没有这个活动的有效报名。"))
        return redirect(event.url)
    try:
        services.signup_cancel(signup_id=signup.pk, actor=request.user)
    except services.SignupRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("已取消报名。"))
    return redirect(event.url)


@login_required
def my_signups(request):
    from .qr import signup_qr_svg

    signups = list(selectors.signups_of_user(user=request.user)[:100])
    positions = selectors.waitlist_positions(
        *{s.event_id for s in signups if s.status == Signup.Status.WAITLISTED}
    )
    upcoming, past = [], []
    for signup in signups:
        signup.position = positions.get(signup.pk)
        if signup.event.is_past:
            past.append(signup)
        else:
            signup.qr_svg = (
                signup_qr_svg(signup) if signup.status == Signup.Status.CONFIRMED else ""
            )
            upcoming.append(signup)
    upcoming.reverse()  # soonest first
    return TemplateResponse(request, "events/my_signups.html", {"upcoming": upcoming, "past": past})


@login_required
@require_POST
def my_signup_cancel(request, signup_id: int):
    signup = get_object_or_404(selectors.signups_of_user(user=request.user), pk=signup_id)
    if not signup.event.live:
        raise Http404
    try:
        services.signup_cancel(signup_id=signup.pk, actor=request.user)
    except services.SignupRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("已取消“%(title)s”的报名。") % {"title": signup.event.title})
    return redirect("events:my_signups")
