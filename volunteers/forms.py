"""Forms of the volunteers app. They collect and redisplay what was typed; the rules and their
messages are the services' (``volunteers.services``), so every screen says the same."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from households.models import Community

from .choices import Level, TimeSlot, Urgency, times_from, times_list
from .models import Skill
from .services import SkillChoice

LEVEL_CHOICES = [("", _("— 不选 —")), *Level.choices]


class TeamForm(forms.Form):
    """Skills with levels and proof, available times, communities and consents: what an
    application (online or on paper) holds."""

    times = forms.TypedMultipleChoiceField(
        label=_("可以服务的时间"),
        choices=TimeSlot.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    communities = forms.ModelMultipleChoiceField(
        label=_("可以服务的社区"),
        queryset=Community.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    consent_share_contact = forms.BooleanField(
        label=_("同意把我的联系方式提供给与我结对的求助家庭（仅结对双方可见）"), required=False
    )
    on_honour_roll = forms.BooleanField(
        label=_("同意在义工服务队光荣榜上展示我的姓名和服务时长"), required=False
    )

    def __init__(self, *args, skills: list[Skill], **kwargs):
        super().__init__(*args, **kwargs)
        self.skills = skills
        self.fields["communities"].queryset = Community.objects.order_by("sort_order", "name")
        for skill in skills:
            self.fields[f"skill_{skill.pk}"] = forms.ChoiceField(
                label=skill.name,
                choices=LEVEL_CHOICES,
                required=False,
                help_text=skill.description,
            )
            if skill.needs_proof:
                hint = skill.proof_hint or _("证书编号")
                self.fields[f"proof_{skill.pk}"] = forms.CharField(
                    label=_("%(skill)s：%(hint)s") % {"skill": skill.name, "hint": hint},
                    max_length=60,
                    required=False,
                    help_text=_("选择“专业”或“有经验”时须填写编号或上传扫描件，仅工作人员可见。"),
                )
                self.fields[f"prooffile_{skill.pk}"] = forms.FileField(
                    label=_("%(skill)s：证书扫描件（PDF、JPG 或 PNG，不超过 5 MB）")
                    % {"skill": skill.name},
                    required=False,
                )

    def skill_rows(self):
        """For the template: each skill with its level field and proof fields."""
        for skill in self.skills:
            yield {
                "skill": skill,
                "level": self[f"skill_{skill.pk}"],
                "proof": self[f"proof_{skill.pk}"] if skill.needs_proof else None,
                "file": self[f"prooffile_{skill.pk}"] if skill.needs_proof else None,
            }

    def skill_choices(self) -> list[SkillChoice]:
        data = self.cleaned_data
        choices = []
        for skill in self.skills:
            level = data.get(f"skill_{skill.pk}") or ""
            if not level:
                continue
            choices.append(
                SkillChoice(
                    skill_id=skill.pk,
                    level=level,
                    proof_number=data.get(f"proof_{skill.pk}") or "",
                    proof_file=data.get(f"prooffile_{skill.pk}"),
                )
            )
        return choices

    def times_mask(self) -> int:
        return times_from(self.cleaned_data.get("times") or [])

    def community_ids(self) -> list[int]:
        return [c.pk for c in self.cleaned_data.get("communities") or []]

    def refuse(self, refusal) -> None:
        """Show a service's refusal next to the field it is about."""
        field = refusal.field if refusal.field in self.fields else None
        if field is None and refusal.field == "skills":
            field = None
        self.add_error(field, str(refusal.message))


class ApplyForm(TeamForm):
    name = forms.CharField(label=_("姓名"), max_length=40)
    motivation = forms.CharField(
        label=_("想说的话（可不填）"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=500,
        required=False,
        help_text=_("例如：退休前是社区医生，周末上午有空。"),
    )
    field_order = ["name"]


def initial_from(volunteer) -> dict:
    """A form's initial values from an earlier application (applying again)."""
    if volunteer is None:
        return {}
    initial = {
        "name": volunteer.name,
        "times": times_list(volunteer.times),
        "communities": list(volunteer.communities.all()),
        "consent_share_contact": volunteer.consent_share_contact,
        "on_honour_roll": volunteer.on_honour_roll,
        "motivation": volunteer.motivation,
    }
    for row in volunteer.skills.all():
        initial[f"skill_{row.skill_id}"] = row.level
        initial[f"proof_{row.skill_id}"] = row.proof_number
    return initial


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"), max_length=200, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class HelpRequestForm(forms.Form):
    household = forms.TypedChoiceField(label=_("为哪一户提出"), coerce=int, required=False)
    skill = forms.ModelChoiceField(
        label=_("需要哪方面的帮助"), queryset=Skill.objects.none(), empty_label=_("— 请选择 —")
    )
    title = forms.CharField(
        label=_("一句话说明"),
        max_length=60,
        help_text=_("例如：洗衣机不脱水，想请人看看"),
    )
    details = forms.CharField(
        label=_("详细情况（可不填）"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=1000,
        required=False,
    )
    times = forms.TypedMultipleChoiceField(
        label=_("什么时间方便"),
        choices=TimeSlot.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    urgency = forms.ChoiceField(
        label=_("紧急程度"),
        choices=Urgency.choices,
        initial=Urgency.NORMAL,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, households: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["skill"].queryset = Skill.objects.filter(is_active=True)
        if len(households) > 1:
            self.fields["household"].choices = [("", _("— 请选择 —")), *households]
            self.fields["household"].required = True
        else:
            del self.fields["household"]

    def refuse(self, refusal) -> None:
        field = refusal.field if refusal.field in self.fields else None
        self.add_error(field, str(refusal.message))


class ConfirmForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("满意吗"),
        choices=[
            (5, _("非常满意")),
            (4, _("满意")),
            (3, _("一般")),
            (2, _("不太满意")),
            (1, _("不满意")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
        required=False,
    )
    feedback = forms.CharField(
        label=_("想说的话（可不填）"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class HoursForm(forms.Form):
    """One span of service on one day; the service checks the rest."""

    source = forms.ChoiceField(label=_("服务的是"), required=False)
    volunteer = forms.TypedChoiceField(label=_("义工"), coerce=int, required=False)
    day = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label=_("开始时间"), widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label=_("结束时间"), widget=forms.TimeInput(attrs={"type": "time"}))
    description = forms.CharField(
        label=_("服务内容"), max_length=200, help_text=_("例如：上门修好洗衣机排水泵")
    )

    def __init__(self, *args, sources: list[tuple[str, str]], volunteers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", _("— 请选择 —")), *sources]
        if volunteers is None:
            del self.fields["volunteer"]
        else:
            self.fields["volunteer"].choices = [("", _("— 请选择 —")), *volunteers]
            self.fields["volunteer"].required = True
            self.fields["source"].choices += [("other", _("其他服务"))]

    def span(self):
        """(started_at, ended_at) as aware datetimes in the site's time zone."""
        from datetime import datetime

        from django.utils import timezone

        data = self.cleaned_data
        start = timezone.make_aware(datetime.combine(data["day"], data["start"]))
        end = timezone.make_aware(datetime.combine(data["day"], data["end"]))
        return start, end

    def source_ids(self) -> tuple[int | None, int | None]:
        value = self.cleaned_data.get("source") or ""
        kind, _sep, pk = value.partition(":")
        if kind == "r" and pk.isdigit():
            return int(pk), None
        if kind == "e" and pk.isdigit():
            return None, int(pk)
        return None, None

    def refuse(self, refusal) -> None:
        mapping = {"started_at": "start", "ended_at": "end", "request": "source", "event": "source"}
        field = mapping.get(refusal.field, refusal.field)
        self.add_error(field if field in self.fields else None, str(refusal.message))


class HoursCorrectionForm(HoursForm):
    reason = forms.CharField(label=_("修改原因"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, sources=[], **kwargs)
        del self.fields["source"]
