"""Joining the team and one's standing in it: apply, enrol (paper), approve, decline, pause,
resume, leave.

Every function here is one transaction: it locks the volunteer's row (``core.locking``), checks
the standing, writes, records a ``VolunteerLog`` row and owes its notice in the same
transaction (``core.notices``), so that a decision and its message commit together or not at
all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from accounts.services import role_group
from core import notices
from core.locking import lock_row
from households.models import Community
from households.selectors import member_access_for, member_scope_for

from ..choices import ALL_TIMES, MAY_APPLY, NOTICE_TOPIC, Level, NoticeKind, Status
from ..models import Skill, Volunteer, VolunteerLog, VolunteerSkill
from ..selectors import volunteer_access_for
from .common import VolunteerRefused, number_next, require_permission

if TYPE_CHECKING:
    from accounts.models import User

#: Volunteer numbers: QX + year + a four-digit count in that year (``QX2027-0001``).
NUMBER_PREFIX = "QX"
#: A proof file larger than this is refused (a phone photo of a licence is well under it).
PROOF_MAX_BYTES = 5 * 1024 * 1024
PROOF_TYPES = (".pdf", ".jpg", ".jpeg", ".png")
NAME_MAX = 40
REASON_MAX = 200
MOTIVATION_MAX = 500


@dataclass
class SkillChoice:
    """One skill a person offers, as a form gives it."""

    skill_id: int
    level: str
    proof_number: str = ""
    proof_file: UploadedFile | None = None


# -- checks ---------------------------------------------------------------------------------------


def skills_check(choices: list[SkillChoice]) -> dict[int, Skill]:
    """The skills offered, checked: at least one, each known and open for applications, a
    level of ours, each once, and a proof where the skill needs one (not for "willing to
    learn"). Returns the skills by id. Raises ``VolunteerRefused``."""
    if not choices:
        raise VolunteerRefused(_("请至少选择一项技能。"), field="skills")
    ids = [choice.skill_id for choice in choices]
    if len(set(ids)) != len(ids):
        raise VolunteerRefused(_("同一项技能只能选择一次。"), field="skills")
    skills = Skill.objects.filter(is_active=True).in_bulk(ids)
    for choice in choices:
        skill = skills.get(choice.skill_id)
        if skill is None:
            raise VolunteerRefused(_("所选技能不存在或已停止招募，请重新选择。"), field="skills")
        field = f"skill_{skill.pk}"
        if choice.level not in Level.values:
            raise VolunteerRefused(
                _("请为“%(skill)s”选择水平。") % {"skill": skill.name}, field=field
            )
        choice.proof_number = (choice.proof_number or "").strip()[:60]
        if choice.proof_file is not None:
            _proof_file_check(choice.proof_file, skill=skill, field=field)
        needs = skill.needs_proof and choice.level != Level.LEARNER
        if needs and not (choice.proof_number or choice.proof_file):
            raise VolunteerRefused(
                _("“%(skill)s”需要资质证明：请填写%(hint)s，或上传证书扫描件。")
                % {"skill": skill.name, "hint": skill.proof_hint or _("证书编号")},
                field=field,
            )
    return skills


def _proof_file_check(upload: UploadedFile, *, skill: Skill, field: str) -> None:
    name = (upload.name or "").lower()
    if not name.endswith(PROOF_TYPES):
        raise VolunteerRefused(
            _("“%(skill)s”的证书扫描件只能是 PDF、JPG 或 PNG 文件。") % {"skill": skill.name},
            field=field,
        )
    if upload.size > PROOF_MAX_BYTES:
        raise VolunteerRefused(
            _("“%(skill)s”的证书扫描件超过 5 MB，请压缩后再上传。") % {"skill": skill.name},
            field=field,
        )


def _times_check(times: int) -> int:
    times = int(times or 0)
    if times <= 0:
        raise VolunteerRefused(_("请至少选择一个可以服务的时间段。"), field="times")
    if times & ~ALL_TIMES:
        raise VolunteerRefused(_("服务时间段无效，请重新选择。"), field="times")
    return times


def _communities_check(community_ids: list[int]) -> list[Community]:
    ids = {int(pk) for pk in community_ids or ()}
    if not ids:
        raise VolunteerRefused(_("请至少选择一个可以服务的社区。"), field="communities")
    found = list(Community.objects.filter(pk__in=ids))
    if len(found) != len(ids):
        raise VolunteerRefused(_("所选社区不存在，请重新选择。"), field="communities")
    return found


def _name_check(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise VolunteerRefused(_("请填写姓名。"), field="name")
    if len(name) > NAME_MAX:
        raise VolunteerRefused(_("姓名最多 40 个字。"), field="name")
    return name


def _standing_refusal(volunteer: Volunteer) -> VolunteerRefused | None:
    if volunteer.status == Status.PENDING:
        return VolunteerRefused(_("您的义工申请已提交，正在审核中，请耐心等候。"))
    if volunteer.status in (Status.ACTIVE, Status.PAUSED):
        return VolunteerRefused(_("您已是侨之爱义工服务队的成员，无需再次申请。"))
    return None


# -- writes ---------------------------------------------------------------------------------------


def _log(
    volunteer: Volunteer, *, action: str, before: str, actor, reason: str = ""
) -> VolunteerLog:
    return VolunteerLog.objects.create(
        volunteer=volunteer,
        action=action,
        from_status=before,
        to_status=volunteer.status,
        reason=reason,
        actor=actor if actor is not None and actor.is_authenticated else None,
    )


def _skills_replace(volunteer: Volunteer, choices: list[SkillChoice]) -> None:
    """Write the offered skills. A proof already on file is kept when the new choice brings
    none (a person applying again need not upload their licence twice)."""
    kept = {row.skill_id: row for row in volunteer.skills.all()}
    VolunteerSkill.objects.filter(volunteer=volunteer).exclude(
        skill_id__in=[c.skill_id for c in choices]
    ).delete()
    for choice in choices:
        row = kept.get(choice.skill_id) or VolunteerSkill(
            volunteer=volunteer, skill_id=choice.skill_id
        )
        row.level = choice.level
        if choice.proof_number:
            row.proof_number = choice.proof_number
        if choice.proof_file is not None:
            row.proof_file = choice.proof_file
        row.save()


def _group_sync(volunteer: Volunteer) -> None:
    """Volunteers with an account are in the volunteer role's group while on the team
    (active or paused)."""
    if volunteer.user_id is None:
        return
    group = role_group(Role.VOLUNTEER)
    if volunteer.status in (Status.ACTIVE, Status.PAUSED):
        volunteer.user.groups.add(group)
    else:
        volunteer.user.groups.remove(group)


def _profile_set(
    volunteer: Volunteer,
    *,
    times: int,
    communities: list[Community],
    consent_share_contact: bool,
    on_honour_roll: bool,
    motivation: str,
) -> None:
    volunteer.times = times
    volunteer.consent_share_contact = bool(consent_share_contact)
    volunteer.on_honour_roll = bool(on_honour_roll)
    volunteer.motivation = (motivation or "").strip()[:MOTIVATION_MAX]
    volunteer.save()
    volunteer.communities.set(communities)


@transaction.atomic
def volunteer_apply(
    *,
    actor: User,
    name: str,
    skills: list[SkillChoice],
    times: int,
    community_ids: list[int],
    consent_share_contact: bool = False,
    on_honour_roll: bool = False,
    motivation: str = "",
) -> Volunteer:
    """A logged-in person applies to join the team (or applies again after being declined or
    leaving). Linked to their register record when they have one (and to a paper enrolment of
    it). Refused while an application is pending or when already on the team; a second
    submission of the same form (a double tap) gets that refusal and changes nothing."""
    if not actor.is_authenticated:
        raise VolunteerRefused(_("请先登录再申请。"))
    name = _name_check(name)
    skills_check(skills)
    times = _times_check(times)
    communities = _communities_check(community_ids)

    before = ""
    volunteer = Volunteer.objects.filter(user=actor).first()
    member = member_scope_for(actor).filter(user=actor).first()
    if volunteer is None and member is not None:
        volunteer = Volunteer.objects.filter(member=member).first()
    if volunteer is not None:
        volunteer = lock_row(Volunteer.objects.all(), pk=volunteer.pk)
        refusal = _standing_refusal(volunteer)
        if refusal:
            raise refusal
        before = volunteer.status
    else:
        try:
            with transaction.atomic():
                volunteer = Volunteer.objects.create(user=actor, member=member, name=name)
        except IntegrityError:
            # The same person's other submission won the race: theirs stands.
            raise VolunteerRefused(_("您的义工申请已提交，正在审核中，请耐心等候。")) from None
    volunteer.user = actor
    if member is not None and volunteer.member_id is None:
        volunteer.member = member
    volunteer.name = name
    volunteer.status = Status.PENDING
    volunteer.channel = Volunteer.Channel.ONLINE
    volunteer.applied_at = timezone.now()
    volunteer.decided_at = None
    volunteer.decided_by = None
    volunteer.decline_reason = ""
    _profile_set(
        volunteer,
        times=times,
        communities=communities,
        consent_share_contact=consent_share_contact,
        on_honour_roll=on_honour_roll,
        motivation=motivation,
    )
    _skills_replace(volunteer, skills)
    _group_sync(volunteer)
    _log(volunteer, action=VolunteerLog.Action.APPLIED, before=before, actor=actor)
    return volunteer


@transaction.atomic
def volunteer_enrol(
    *,
    actor: User,
    member_id: int,
    skills: list[SkillChoice],
    times: int,
    community_ids: list[int],
    consent_share_contact: bool = False,
    on_honour_roll: bool = False,
    approve: bool = False,
) -> Volunteer:
    """Staff enter a paper application for a register member (who may have no account).
    The member is resolved through the actor's register scope (``Member.DoesNotExist`` when
    outside it). With ``approve`` the application is approved at once (the paper form was
    checked on the spot)."""
    require_permission(actor, "volunteers.add_volunteer")
    skills_check(skills)
    times = _times_check(times)
    communities = _communities_check(community_ids)
    member = member_access_for(actor, member_id, lock=True)
    if member.is_deceased:
        raise VolunteerRefused(_("名册中该人员已登记为已故，不能录入为义工。"), field="member")
    volunteer = Volunteer.objects.filter(member=member).first()
    if volunteer is None and member.user_id:
        volunteer = Volunteer.objects.filter(user_id=member.user_id).first()
    if volunteer is not None:
        volunteer = lock_row(Volunteer.objects.all(), pk=volunteer.pk)
        if volunteer.status not in MAY_APPLY:
            raise VolunteerRefused(
                _("%(name)s 已在义工队中或申请正在审核（%(status)s），不能重复录入。")
                % {"name": member.name, "status": volunteer.get_status_display()},
                field="member",
            )
        before = volunteer.status
    else:
        volunteer = Volunteer(member=member, user_id=member.user_id)
        before = ""
    volunteer.member = member
    volunteer.name = member.name
    volunteer.status = Status.PENDING
    volunteer.channel = Volunteer.Channel.PAPER
    volunteer.applied_at = timezone.now()
    volunteer.decided_at = None
    volunteer.decided_by = None
    volunteer.decline_reason = ""
    volunteer.save()
    _profile_set(
        volunteer,
        times=times,
        communities=communities,
        consent_share_contact=consent_share_contact,
        on_honour_roll=on_honour_roll,
        motivation="",
    )
    _skills_replace(volunteer, skills)
    _log(volunteer, action=VolunteerLog.Action.ENROLLED, before=before, actor=actor)
    if approve:
        return volunteer_approve(actor=actor, volunteer_id=volunteer.pk)
    return volunteer


def _decision_target(actor: User, volunteer_id: int) -> Volunteer:
    require_permission(actor, "volunteers.review_volunteer")
    volunteer = volunteer_access_for(actor, volunteer_id, lock=True)
    if volunteer.status != Status.PENDING:
        raise VolunteerRefused(
            _("这份申请已经处理过了（当前状态：%(status)s）。")
            % {"status": volunteer.get_status_display()}
        )
    return volunteer


@transaction.atomic
def volunteer_approve(*, actor: User, volunteer_id: int) -> Volunteer:
    """Approve a pending application: the person joins the team with a number of this year's
    sequence (kept if they had one before), is told once (notice ``approved``), and, with an
    account, joins the volunteer role."""
    volunteer = _decision_target(actor, volunteer_id)
    now = timezone.now()
    if not volunteer.number:
        volunteer.number = number_next(prefix=NUMBER_PREFIX, year=timezone.localdate(now).year)
    volunteer.status = Status.ACTIVE
    volunteer.decided_at = now
    volunteer.decided_by = actor
    volunteer.decline_reason = ""
    volunteer.joined_at = volunteer.joined_at or now
    volunteer.save()
    _group_sync(volunteer)
    log = _log(volunteer, action=VolunteerLog.Action.APPROVED, before=Status.PENDING, actor=actor)
    notices.notice_create(
        topic=NOTICE_TOPIC, kind=NoticeKind.APPROVED, object_id=volunteer.pk, key=str(log.pk)
    )
    return volunteer


@transaction.atomic
def volunteer_decline(*, actor: User, volunteer_id: int, reason: str) -> Volunteer:
    """Decline a pending application with a reason the person is told (once)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise VolunteerRefused(_("请填写未通过的原因，申请人会收到这条说明。"), field="reason")
    if len(reason) > REASON_MAX:
        raise VolunteerRefused(_("原因最多 200 个字。"), field="reason")
    volunteer = _decision_target(actor, volunteer_id)
    volunteer.status = Status.DECLINED
    volunteer.decided_at = timezone.now()
    volunteer.decided_by = actor
    volunteer.decline_reason = reason
    volunteer.save()
    _group_sync(volunteer)
    log = _log(
        volunteer,
        action=VolunteerLog.Action.DECLINED,
        before=Status.PENDING,
        actor=actor,
        reason=reason,
    )
    notices.notice_create(
        topic=NOTICE_TOPIC, kind=NoticeKind.DECLINED, object_id=volunteer.pk, key=str(log.pk)
    )
    return volunteer


def _standing_target(actor: User, volunteer_id: int) -> Volunteer:
    """The volunteer themself, or staff who may change volunteers within their scope."""
    own = Volunteer.objects.filter(
        Q(user_id=actor.pk) | Q(member__user_id=actor.pk), pk=volunteer_id
    ).exists()
    if own:
        return lock_row(Volunteer.objects.all(), pk=volunteer_id)
    require_permission(actor, "volunteers.change_volunteer")
    return volunteer_access_for(actor, volunteer_id, lock=True)


def _standing_change(
    *,
    actor: User,
    volunteer_id: int,
    allowed: set[str],
    to: str,
    action: str,
    reason: str,
    refusal: str,
) -> Volunteer:
    reason = " ".join((reason or "").split())[:REASON_MAX]
    volunteer = _standing_target(actor, volunteer_id)
    if volunteer.status not in allowed:
        raise VolunteerRefused(refusal % {"status": volunteer.get_status_display()})
    before = volunteer.status
    volunteer.status = to
    volunteer.save(update_fields=["status", "updated_at"])
    _group_sync(volunteer)
    _log(volunteer, action=action, before=before, actor=actor, reason=reason)
    return volunteer


@transaction.atomic
def volunteer_pause(*, actor: User, volunteer_id: int, reason: str = "") -> Volunteer:
    """Pause serving (away, unwell): no new requests or shifts until resumed; the record and
    hours stay."""
    return _standing_change(
        actor=actor,
        volunteer_id=volunteer_id,
        allowed={Status.ACTIVE},
        to=Status.PAUSED,
        action=VolunteerLog.Action.PAUSED,
        reason=reason,
        refusal=_("只有在队的义工可以暂停服务（当前状态：%(status)s）。"),
    )


@transaction.atomic
def volunteer_resume(*, actor: User, volunteer_id: int) -> Volunteer:
    return _standing_change(
        actor=actor,
        volunteer_id=volunteer_id,
        allowed={Status.PAUSED},
        to=Status.ACTIVE,
        action=VolunteerLog.Action.RESUMED,
        reason="",
        refusal=_("只有暂停服务的义工可以恢复服务（当前状态：%(status)s）。"),
    )


@transaction.atomic
def volunteer_leave(*, actor: User, volunteer_id: int, reason: str = "") -> Volunteer:
    """Leave the team. The number, the history and the hours served are kept; applying again
    later keeps the number."""
    return _standing_change(
        actor=actor,
        volunteer_id=volunteer_id,
        allowed={Status.ACTIVE, Status.PAUSED},
        to=Status.LEFT,
        action=VolunteerLog.Action.LEFT,
        reason=reason,
        refusal=_("只有在队或暂停服务的义工可以退出（当前状态：%(status)s）。"),
    )
