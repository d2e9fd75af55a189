"""Staff screens for events in the Wagtail admin (/admin/events/): the 活动报名 overview, each
event's sign-ups (with cancel and export), signing up a register person, the yearly report and
copying an annual event to next year.

Wagtail wraps these views in ``require_admin_access``: anonymous users go to the login page and
a ``PermissionDenied`` raised here becomes Wagtail's "permission denied" redirect. Sign-ups and
register people outside the user's scope answer 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin.paginator import WagtailPaginator

from households import access
from households.models import AccessLog, Community, Member
from households.selectors import member_access_for
from households.services import access_log_record

from . import selectors, services, staff_selectors
from .copying import event_copy_to_next_year
from .export import XLSX_CONTENT_TYPE, signups_workbook
from .models import Signup
from .pages import EventPage
from .staff_forms import EventFilterForm, SignupMemberForm

EVENTS_PER_PAGE = 20
SIGNUPS_PER_PAGE = 100

TAB_LABELS = {
    "confirmed": gettext_lazy("已确认"),
    "waitlisted": gettext_lazy("候补"),
    "cancelled": gettext_lazy("已取消"),
    "walk_in": gettext_lazy("现场登记"),
    "no_show": gettext_lazy("未到场"),
}


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _event_or_404(event_id: int, user) -> EventPage:
    """Staff who manage sign-ups see drafts too; group leaders and cadres only live events."""
    events = EventPage.objects.select_related("community")
    if not staff_selectors.user_manages_signups(user):
        events = events.live()
    return get_object_or_404(events, pk=event_id)


def _checkin_url(user, event: EventPage) -> str | None:
    # The check-in screens are built alongside; until their URL exists there is no link.
    if not user.has_perm("events.check_in"):
        return None
    try:
        return reverse("events_checkin_event", args=[event.pk])
    except NoReverseMatch:
        return None


def _may_copy(user, event: EventPage) -> bool:
    if not staff_selectors.user_manages_signups(user):
        return False
    return event.permissions_for_user(user).can_copy_to(event.get_parent())


# -- overview ---------------------------------------------------------------------------------


def event_overview(request):
    user = request.user
    _require(staff_selectors.user_sees_event_screens(user))
    when = "past" if request.GET.get("when") == "past" else "upcoming"
    form = EventFilterForm(
        request.GET,
        years=staff_selectors.event_years(),
        communities=Community.objects.order_by("sort_order", "name"),
    )
    manages = staff_selectors.user_manages_signups(user)
    events = staff_selectors.event_list_for_staff(
        when=when, include_drafts=manages, **form.filters()
    )
    paginator = WagtailPaginator(events, EVENTS_PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "events/admin/staff_index.html",
        {
            "rows": staff_selectors.event_rows(list(page_obj.object_list)),
            "page_obj": page_obj,
            "elided_page_range": paginator.get_elided_page_range(page_obj.number),
            "form": form,
            "when": when,
            "manages": manages,
            "signs_up_members": staff_selectors.user_signs_up_members(user),
            "checkin_available": user.has_perm("events.check_in") and _checkin_url_available(),
        },
    )


def _checkin_url_available() -> bool:
    try:
        reverse("events_checkin_event", args=[1])
    except NoReverseMatch:
        return False
    return True


# -- one event's sign-ups ---------------------------------------------------------------------


def event_signups(request, event_id: int):
    user = request.user
    _require(staff_selectors.user_sees_event_screens(user))
    event = _event_or_404(event_id, user)
    tab = request.GET.get("tab", "confirmed")
    if tab not in staff_selectors.SIGNUP_TABS:
        tab = "confirmed"
    questions = list(event.questions.all())
    signups = staff_selectors.event_signups_for(event=event, user=user, tab=tab)
    paginator = WagtailPaginator(signups, SIGNUPS_PER_PAGE)
    page_obj = paginator.get_page(request.GET.get("p"))
    positions = selectors.waitlist_positions(event.pk) if tab == "waitlisted" else {}
    rows = [
        {
            "signup": signup,
            "answers": [signup.answers.get(str(q.pk), "") for q in questions],
            "position": positions.get(signup.pk),
        }
        for signup in page_obj.object_list
    ]
    counts = staff_selectors.event_signup_tab_counts(event=event, user=user)
    access_log_record(
        user=user,
        action=AccessLog.Action.LIST,
        object_type="event_signups",
        object_id=event.pk,
        filters={"tab": tab},
        row_count=paginator.count,
    )
    return TemplateResponse(
        request,
        "events/admin/staff_signups.html",
        {
            "event": event,
            "tab": tab,
            "tabs": [(key, TAB_LABELS[key], counts[key]) for key in staff_selectors.SIGNUP_TABS],
            "questions": questions,
            "rows": rows,
            "page_obj": page_obj,
            "elided_page_range": paginator.get_elided_page_range(page_obj.number),
            "manages": staff_selectors.user_manages_signups(user),
            "signs_up_members": staff_selectors.user_signs_up_members(user),
            "may_cancel": staff_selectors.user_manages_signups(user)
            or staff_selectors.user_signs_up_members(user),
            "checkin_url": _checkin_url(user, event),
            "is_past": event.is_past,
        },
    )


def event_signups_export(request, event_id: int):
    user = request.user
    _require(staff_selectors.user_sees_event_screens(user))
    event = _event_or_404(event_id, user)
    signups = list(staff_selectors.event_signups_export_for(event=event, user=user))
    content = signups_workbook(
        signups=signups,
        questions=list(event.questions.all()),
        positions=selectors.waitlist_positions(event.pk),
    )
    access_log_record(
        user=user,
        action=AccessLog.Action.EXPORT,
        object_type="event_signups",
        object_id=event.pk,
        filters={"format": "xlsx", "unmasked": False},
        row_count=len(signups),
    )
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    filename = f"{event.title}-{_('报名名单')}-{timezone.localdate():%Y%m%d}.xlsx"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@require_POST
def signup_cancel(request, event_id: int, signup_id: int):
    """Staff cancel any sign-up, also after the deadline; whoever signs up register people
    cancels those in their scope, within the deadline. Seats go to the waiting list."""
    user = request.user
    manages = staff_selectors.user_manages_signups(user)
    _require(manages or staff_selectors.user_signs_up_members(user))
    event = _event_or_404(event_id, user)  # drafts only for those who manage sign-ups
    signup = get_object_or_404(staff_selectors.signup_scope_for(user), pk=signup_id, event=event)
    try:
        services.signup_cancel(signup_id=signup.pk, actor=user)
    except services.SignupRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("已取消 %(name)s 的报名。") % {"name": signup.name})
    url = reverse("events_staff_signups", args=[event_id])
    tab = request.POST.get("tab")
    if tab in staff_selectors.SIGNUP_TABS:
        url += f"?tab={tab}"
    return redirect(url)


# -- signing up a register person ---------------------------------------------------------------


def _member_in_scope_or_404(user, member_id: str):
    try:
        return member_access_for(user, int(member_id))
    except (TypeError, ValueError, Member.DoesNotExist):
        raise Http404 from None


def signup_member(request, event_id: int):
    user = request.user
    _require(staff_selectors.user_signs_up_members(user))
    event = _event_or_404(event_id, user)
    questions = list(event.questions.all())
    query = (request.POST.get("q") if request.method == "POST" else request.GET.get("q")) or ""
    candidates = staff_selectors.member_candidates(user=user, query=query, event=event)
    if query.strip():
        # through the access module: the term is stored masked when it is a number
        access.reveal_record(
            request,
            action=AccessLog.Action.LIST,
            object_type="member",
            filters={"q": query, "event": event.pk},
            row_count=len(candidates),
        )
    chosen = None
    if request.method == "POST" and request.POST.get("member"):
        # Someone outside the user's scope answers 404, as if they did not exist.
        chosen = _member_in_scope_or_404(user, request.POST["member"])
        if chosen.pk not in {m.pk for m in candidates}:
            candidates = [chosen, *candidates]

    form = SignupMemberForm(
        request.POST if request.method == "POST" else None,
        event=event,
        candidates=candidates,
        questions=questions,
    )
    if request.method == "POST" and form.is_valid():
        try:
            signup = services.signup_create(
                event_id=event.pk,
                member_id=chosen.pk,
                party_size=form.cleaned_data["party_size"],
                answers=form.answers(),
                actor=user,
            )
        except Member.DoesNotExist:
            raise Http404 from None
        except services.SignupRefused as refused:
            field = refused.field if refused.field in form.fields else None
            form.add_error(field, refused.message)
        else:
            if signup.status == Signup.Status.CONFIRMED:
                message = _("已为 %(name)s 报名，名额已确认。")
            else:
                message = _("名额已满，%(name)s 已进入候补名单。")
            messages.success(request, message % {"name": signup.name})
            return redirect(
                reverse("events_staff_signups", args=[event.pk])
                + ("?tab=waitlisted" if signup.status == Signup.Status.WAITLISTED else "")
            )
    return TemplateResponse(
        request,
        "events/admin/staff_signup_member.html",
        {
            "event": event,
            "form": form,
            "query": query,
            "candidates": candidates,
            "figures": selectors.event_figures([event.pk])[event.pk],
        },
    )


# -- report -----------------------------------------------------------------------------------


def events_report(request):
    _require(staff_selectors.user_manages_signups(request.user))
    rows = selectors.events_per_community_year()
    return TemplateResponse(request, "events/admin/staff_report.html", {"rows": rows})


# -- copy to next year -------------------------------------------------------------------------


def event_copy(request, event_id: int):
    """GET: a page that asks to confirm (the page header's button is a link); POST: copy."""
    event = _event_or_404(event_id, request.user)
    _require(_may_copy(request.user, event))
    if request.method == "POST":
        copy = event_copy_to_next_year(event=event, actor=request.user)
        messages.success(
            request,
            _("已复制为“%(title)s”（草稿）。请核对时间、地点和名额后再发布。")
            % {"title": copy.title},
        )
        return redirect("wagtailadmin_pages:edit", copy.pk)
    return TemplateResponse(request, "events/admin/staff_copy.html", {"event": event})
