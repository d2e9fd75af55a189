"""One household in the Wagtail admin: its page, Wagtail's history and usage screens (scoped:
outside the user's scope they answer 404), showing a member's full numbers once, moving the
household and merging a duplicate into it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.views.generic import (
    HistoryView,
    InspectView,
    UsageView,
)

from .. import access, selectors, services
from ..models import AccessLog, Household


class ScopedObjectMixin:
    """Objects outside the user's scope answer 404, as if they did not exist."""

    def get_object(self, queryset=None):
        queryset = selectors.household_scope_for(self.request.user)
        return get_object_or_404(queryset, pk=self.kwargs[self.pk_url_kwarg])


class HouseholdDetailView(ScopedObjectMixin, InspectView):
    template_name = "households/admin/household_detail.html"
    page_title = gettext_lazy("侨户详情")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        household = self.object
        members = list(household.members.order_by("id").select_related("home_contact"))
        unmasked_id = self.request.session.pop("households_unmasked", None)
        masking = access.masking_for(self.request.user)
        for member in members:
            member.show_full = unmasked_id == member.pk
            member.id_number_shown = masking.id_number(member.id_number)
            member.birth_date_shown = masking.birth_date(member.birth_date)
        services.access_log_record(
            user=self.request.user,
            action=AccessLog.Action.DETAIL,
            object_type="household",
            object_id=household.pk,
            row_count=len(members),
        )
        context.update(
            household=household,
            members=members,
            changes=household.changes.select_related("actor")[:20],
            may_unmask=masking.may_unmask,
            may_change=self.request.user.has_perm("households.change_household"),
            may_change_member=self.request.user.has_perm("households.change_member"),
            leaders=selectors.household_responsibles(household),
        )
        return context


class ScopedBaseObjectMixin:
    """Wagtail's history and usage screens of a register model (BaseObjectMixin): objects
    outside the user's scope answer 404, so their history is read only in scope."""

    def get_base_object_queryset(self):
        return selectors.register_object_scope_for(self.model, self.request.user)


class ScopedSingleObjectMixin:
    """The same for Wagtail's edit and delete screens (SingleObjectMixin)."""

    def get_queryset(self):
        return selectors.register_object_scope_for(self.model, self.request.user)


class RegisterHistoryView(ScopedBaseObjectMixin, HistoryView):
    pass


class RegisterUsageView(ScopedBaseObjectMixin, UsageView):
    pass


def _household_or_404(request, pk) -> Household:
    return get_object_or_404(selectors.household_scope_for(request.user), pk=pk)


def member_unmask(request, pk):
    """POST: show one member's full numbers on the household page, once. Logged."""
    if request.method != "POST":
        raise Http404
    member = get_object_or_404(selectors.member_scope_for(request.user), pk=pk)
    try:
        services.member_unmask(user=request.user, member=member)
    except services.RegisterError as exc:
        raise PermissionDenied(str(exc)) from exc
    request.session["households_unmasked"] = member.pk
    return redirect("households_household:inspect", member.household_id)


class MoveForm(forms.Form):
    grid_group = forms.ModelChoiceField(label=gettext_lazy("调到小组"), queryset=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid_group"].queryset = selectors.grid_group_scope_for(user)


def household_move(request, pk):
    if not request.user.has_perm("households.change_household"):
        raise PermissionDenied
    household = _household_or_404(request, pk)
    form = MoveForm(
        request.POST or None, user=request.user, initial={"grid_group": household.grid_group_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.household_move(
                household=household, grid_group=form.cleaned_data["grid_group"], actor=request.user
            )
        except services.RegisterError as exc:
            form.add_error("grid_group", str(exc))
        else:
            messages.success(
                request, _("已调整到 %(group)s。") % {"group": form.cleaned_data["grid_group"]}
            )
            return redirect("households_household:inspect", household.pk)
    return TemplateResponse(
        request, "households/admin/household_move.html", {"household": household, "form": form}
    )


class MergeForm(forms.Form):
    duplicate_key = forms.CharField(
        label=gettext_lazy("要并入本户的重复户的户编号"),
        max_length=64,
        help_text=gettext_lazy("那一户的成员和记录都会移到本户，那一户标记为“已合并”。"),
    )


def household_merge(request, pk):
    if not request.user.has_perm("households.change_household"):
        raise PermissionDenied
    keep = _household_or_404(request, pk)
    form = MergeForm(request.POST or None)
    duplicate = None
    if request.method == "POST" and form.is_valid():
        key = form.cleaned_data["duplicate_key"].strip()
        duplicate = selectors.household_scope_for(request.user).filter(key=key).first()
        problem = (
            _("找不到户编号为“%(key)s”的侨户。") % {"key": key}
            if duplicate is None
            else services.household_merge_problem(keep=keep, duplicate=duplicate)
        )
        if problem:
            form.add_error("duplicate_key", problem)
            duplicate = None
        elif "confirm" in request.POST:
            try:
                services.household_merge(keep=keep, duplicate=duplicate, actor=request.user)
            except services.RegisterError as exc:
                form.add_error("duplicate_key", str(exc))
            else:
                messages.success(request, _("已把 %(dup)s 并入本户。") % {"dup": duplicate})
                return redirect("households_household:inspect", keep.pk)
    return TemplateResponse(
        request,
        "households/admin/household_merge.html",
        {"household": keep, "form": form, "duplicate": duplicate},
    )
