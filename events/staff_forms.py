"""Forms of the staff screens: the overview filters and signing up a register person."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.masking import mask_birth_date, mask_phone

from .choices import EventKind, QuestionKind
from .pages import EventPage, EventQuestion
from .staff_selectors import NO_COMMUNITY


class EventFilterForm(forms.Form):
    year = forms.TypedChoiceField(label=_("年份"), coerce=int, required=False, empty_value=None)
    community = forms.ChoiceField(label=_("主办"), required=False)
    kind = forms.ChoiceField(label=_("活动类型"), required=False)

    def __init__(self, *args, years: list[int], communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("全部年份")), *[(y, str(y)) for y in years]]
        self.fields["community"].choices = [
            ("", _("全部主办方")),
            (NO_COMMUNITY, _("侨联/街道")),
            *[(str(c.pk), c.name) for c in communities],
        ]
        self.fields["kind"].choices = [("", _("全部类型")), *EventKind.choices]

    def filters(self) -> dict:
        """Cleaned filters; a bad value in the address is ignored rather than refused."""
        if not self.is_valid():
            return {"year": None, "community": "", "kind": ""}
        return {
            "year": self.cleaned_data["year"],
            "community": self.cleaned_data["community"],
            "kind": self.cleaned_data["kind"],
        }


def member_label(member) -> str:
    household = member.household
    place = " · ".join(
        part
        for part in (
            household.community.name if household.community_id else "",
            household.grid_group.name if household.grid_group_id else "",
        )
        if part
    )
    phone = mask_phone(member.mobile) if member.mobile else ""
    # the year only, for every role (core.masking: the full date beside ID digits rebuilds the ID)
    born = f"{mask_birth_date(member.birth_date)}生" if member.birth_date else ""
    details = "，".join(part for part in (place, born, phone) if part)
    return f"{member.name}（{details}）" if details else member.name


class SignupMemberForm(forms.Form):
    """Who (one of ``candidates``), how many, and the event's questions (fields ``q<id>``).

    The service checks everything again (audience, seats, answers); this form only shapes input.
    """

    member = forms.TypedChoiceField(
        label=_("报名人"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("请先搜索并选择要报名的人。")},
    )
    party_size = forms.IntegerField(
        label=_("参加人数（含本人）"),
        min_value=1,
        initial=1,
        error_messages={
            "required": _("请填写参加人数。"),
            "invalid": _("请填写参加人数（数字）。"),
            "min_value": _("参加人数至少为 1 人。"),
        },
    )

    def __init__(self, *args, event: EventPage, candidates: list, questions: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.fields["member"].choices = [(m.pk, self._candidate_label(m)) for m in candidates]
        # The upper bound is the service's to check (it says how many are allowed).
        self.fields["party_size"].widget.attrs.update(min=1, max=event.party_size_max)
        self.fields["party_size"].help_text = _("每份报名最多 %(n)d 人。") % {
            "n": event.party_size_max
        }
        for question in questions:
            self.fields[f"q{question.pk}"] = self._question_field(question)

    @staticmethod
    def _candidate_label(member) -> str:
        label = member_label(member)
        if getattr(member, "already_signed_up", False):
            label += "　" + str(_("（已报名）"))
        return label

    @staticmethod
    def _question_field(question: EventQuestion) -> forms.Field:
        if question.kind == QuestionKind.YES_NO:
            choices = [("", "—"), ("是", _("是")), ("否", _("否"))]
            return forms.ChoiceField(
                label=question.label, choices=choices, required=question.required
            )
        if question.kind == QuestionKind.CHOICE:
            choices = [("", "—"), *[(c, c) for c in question.choice_list()]]
            return forms.ChoiceField(
                label=question.label, choices=choices, required=question.required
            )
        return forms.CharField(label=question.label, max_length=500, required=question.required)

    def answers(self) -> dict[str, str]:
        return {
            str(q.pk): self.cleaned_data.get(f"q{q.pk}", "")
            for q in self.questions
            if self.cleaned_data.get(f"q{q.pk}")
        }
