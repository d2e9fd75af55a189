"""The register's admin edit forms. Every choice list is cut to what the user may see or set:
a form cannot move a household into a stranger's scope, nor list people the user may not see."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from . import normalize, selectors
from .models import Household, Member


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
