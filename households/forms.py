"""The register's admin edit forms. Every choice list is cut to what the user may see or set:
a form cannot move a household into a stranger's scope, nor list people the user may not see."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from accounts.models import User

from . import normalize, selectors, services
from .models import GridGroup, Household, Member, Responsibility


def _normalized(value: str, parse) -> str:
    try:
        return parse(value) or ""
    except normalize.NormalizeError as exc:
        raise ValidationError(str(exc)) from None


class HouseholdAdminForm(WagtailAdminModelForm):
    class Meta:
        model = Household
        fields = [
            "key",
            "community",
            "grid_group",
            "address",
            "home_phone",
            "is_key",
            "is_hardship",
            "is_empty_nest",
            "notes",
            "status",
            "status_date",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        self.fields["community"].queryset = selectors.community_placement_scope_for(user)
        self.fields["grid_group"].queryset = selectors.grid_group_scope_for(user)

    def clean_home_phone(self) -> str:
        return _normalized(self.cleaned_data.get("home_phone", ""), normalize.parse_phone)

    def clean(self):
        cleaned = super().clean()
        community, grid_group = cleaned.get("community"), cleaned.get("grid_group")
        if community and not selectors.user_may_place_household(
            self.for_user, community=community, grid_group=grid_group
        ):
            # A household without a group belongs to its community's cadres and committee
            # members: someone who covers only grid groups must choose one of theirs.
            self.add_error("grid_group", _("请选择你负责的侨眷小组。"))
        return cleaned


class MemberAdminForm(WagtailAdminModelForm):
    class Meta:
        model = Member
        fields = [
            "household",
            "name",
            "gender",
            "birth_date",
            "relation",
            "category",
            "country",
            "lives_abroad",
            "home_contact",
            "mobile",
            "id_number",
            "consent_contact",
            "is_deceased",
            "user",
            "notes",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.for_user
        self.fields["household"].queryset = selectors.household_scope_for(user)
        # the home contact is another member of the same household (as the import links it)
        household_id = self.instance.household_id if self.instance.pk else None
        if self.is_bound:
            household_id = self.data.get(self.add_prefix("household")) or household_id
        contacts = selectors.member_scope_for(user).filter(household_id=household_id or None)
        if self.instance.pk:
            contacts = contacts.exclude(pk=self.instance.pk)
        self.fields["home_contact"].queryset = contacts
        # The linked account decides who sees the household ("my household"): only those who
        # see the whole register set it, and they choose among accounts not linked yet.
        if selectors.user_sees_all_households(user):
            self.fields["user"].queryset = selectors.member_account_choices(member=self.instance)
        else:
            del self.fields["user"]

    def clean_mobile(self) -> str:
        return _normalized(self.cleaned_data.get("mobile", ""), normalize.parse_mobile)

    def clean_id_number(self) -> str:
        return _normalized(self.cleaned_data.get("id_number", ""), normalize.parse_id_number)


class ResponsibilityAdminForm(WagtailAdminModelForm):
    """Grant a responsibility, or change its target or dates. Who holds it and at which level
    are fixed once granted (shown, not editable): handing over ends this one and grants a new
    one, so the record of who had access when stays true."""

    class Meta:
        model = Responsibility
        fields = ["user", "level", "community", "grid_group", "start_date", "end_date"]
        help_texts = {
            "end_date": _(
                "最后负责的一天。结束后，如果此人没有同层级的其他联系责任，相应权限随之收回。"
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(is_active=True).order_by("name", "pk")
        self.fields["grid_group"].queryset = GridGroup.objects.select_related("community")
        if self.instance.pk:
            for name in ("user", "level"):
                self.fields[name].disabled = True
                self.fields[name].help_text = _(
                    "定了就不改：要换人或换层级，请结束这一条，再新建一条。"
                )

    def clean(self):
        cleaned = super().clean()
        level = cleaned.get("level")
        if level and not {"community", "grid_group"} & set(self.errors):
            problem = services.responsibility_target_problem(
                level=level,
                community=cleaned.get("community"),
                grid_group=cleaned.get("grid_group"),
            )
            if problem is not None:
                self.add_error(problem.field, problem.message)
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("结束日期不能早于开始日期。"))
        return cleaned
