"""Public views of events: the events list and the event page (served through the pages'
routes), sign-up and cancel (plain URLs: a write needs no page routing), the calendar files, and
"my sign-ups".

Each reads like a sentence: parse, call a service or selector, render. Rules and messages live
in ``events.services``.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from households.models import Community

from . import audiences, calendars, selectors, services
from .choices import EventKind
from .forms import SignupForm
from .models import Signup
from .pages import EventIndexPage, EventPage
from .qr import signup_qr_svg

# -- the events list --------------------------------------------------------------------------


def event_index(request, index: EventIndexPage):
    when = "past" if request.GET.get("when") == "past" else "upcoming"
    kind = request.GET.get("kind", "")
    kind = kind if kind in EventKind.values else ""
    try:
        community_id = int(request.GET.get("community", ""))
    except ValueError:
        community_id = None
    events = selectors.event_list(
        parent=index, when=when, kind=kind or None, community_id=community_id
    )
    paginator = Paginator(events, index.PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("page"))
    cards = selectors.event_cards(list(page_obj.object_list), user=request.user)
    return index.render(
        request,
        context_overrides={
            "events": cards,
            "page_obj": page_obj,
            "when": when,
            "kind": kind,
            "community_id": community_id,
            "kinds": EventKind.choices,
            "communities": list(Community.objects.order_by("sort_order", "name")),
        },
    )


def event_feed(request, index: EventIndexPage):
    return calendars.feed_response(index=index, request=request)


# -- one event ------------------------------------------------------------------------------------


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
        "audience_notes": audiences.descriptions_for(event),
    }


def event_detail(request, event: EventPage):
    return TemplateResponse(request, "events/event_page.html", _detail_context(request, event))


def event_ics(request, event: EventPage):
    return calendars.event_response(event=event, request=request)


def _live_event_or_404(event_id: int) -> EventPage:
    return get_object_or_404(EventPage.objects.live(), pk=event_id)


def event_signup(request, event_id: int):
    """POST: sign the logged-in person up. A refusal shows the event page again (status 400)
    with the form filled in and the reason next to the field it is about."""
    if request.method != "POST":
        return redirect(_live_event_or_404(event_id).url + "#signup")
    if not request.user.is_authenticated:
        return redirect_to_login(_live_event_or_404(event_id).url)
    try:
        signup = services.signup_create(
            event_id=event_id,
            actor=request.user,
            party_size=request.POST.get("party_size", "1"),
            answers={key[1:]: value for key, value in request.POST.items() if key[:1] == "q"},
        )
    except EventPage.DoesNotExist:
        raise Http404 from None
    except services.SignupRefused as refused:
        return _signup_refused(request, _live_event_or_404(event_id), refused)
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
    return redirect(signup.event.url)


def _signup_refused(request, event: EventPage, refused: services.SignupRefused):
    questions = list(event.questions.all())
    form = SignupForm(request.POST, event=event, questions=questions)
    form.is_valid()  # only to redisplay what was typed; the service decided
    field = refused.field if refused.field in form.fields else None
    if field and not form.fields[field].widget.is_hidden:
        form.add_error(field, refused.message)
        refusal = None
    else:
        refusal = refused.message  # shown above the form, or instead of it
    context = {**_detail_context(request, event, form), "refusal": refusal}
    return TemplateResponse(request, "events/event_page.html", context, status=400)


def event_cancel(request, event_id: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    event = _live_event_or_404(event_id)
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


# -- my sign-ups ----------------------------------------------------------------------------------


@login_required
def my_signups(request):
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


# -- for the benchmarks only --------------------------------------------------------------------


@login_required
@require_POST
def bench_post(request):
    """The cheapest logged-in, CSRF-checked POST: the yardstick ``bench/signups.py`` measures a
    sign-up against on the same server. Routed only with ``BENCH_ENDPOINTS=1`` (events.urls)."""
    return HttpResponse(status=204)
