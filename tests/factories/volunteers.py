from __future__ import annotations

import factory

from volunteers.choices import Level, TimeSlot
from volunteers.models import Skill
from volunteers.services import SkillChoice, volunteer_apply, volunteer_approve


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"技能{n}")
    sort_order = factory.Sequence(lambda n: n)


def skills_standard() -> dict[str, Skill]:
    """The five skills DOMAIN.md names; medical care and legal advice need proof."""
    return {
        "medical": SkillFactory(name="医疗护理", needs_proof=True, proof_hint="执业证书编号"),
        "legal": SkillFactory(name="法律咨询", needs_proof=True, proof_hint="律师执业证号"),
        "repair": SkillFactory(name="家电维修"),
        "photo": SkillFactory(name="摄影"),
        "calligraphy": SkillFactory(name="书法"),
    }


def application(
    user, *, skills: list[tuple[Skill, str]], communities, times: int = TimeSlot.WEEKEND_MORNING
):
    """Apply through the service, as the form does."""
    return volunteer_apply(
        actor=user,
        name=user.name or "申请人",
        skills=[
            SkillChoice(
                skill_id=skill.pk,
                level=level,
                proof_number="A-123" if skill.needs_proof else "",
            )
            for skill, level in skills
        ],
        times=times,
        community_ids=[c.pk for c in communities],
    )


def volunteer_approved(user, *, staff, skills, communities, level: str = Level.EXPERIENCED):
    volunteer = application(user, skills=[(s, level) for s in skills], communities=communities)
    return volunteer_approve(actor=staff, volunteer_id=volunteer.pk)
