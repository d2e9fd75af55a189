"""What every register write shares: the error people see, dropping cached figures, the
derived search fields, the access log, and the checks each service makes of its actor."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext as _
from pypinyin import lazy_pinyin
from pypinyin.constants import RE_HANS
from pypinyin.seg.mmseg import seg as phrase_cut
from pypinyin.seg.simpleseg import seg as pinyin_words

from accounts.models import User

from ..access import access_log_record
from ..models import AccessLog, Household, Member
from ..rules import register_changed, user_may_unmask  # noqa: F401 (register_changed: re-exported)


class RegisterError(Exception):
    """A register change that cannot be made; the message is for the person who asked and
    says what to do. ``field`` names the form field it is about (None: the whole form)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


@lru_cache(maxsize=200_000)
def name_pinyin(name: str) -> tuple[str, str]:
    """``张伟明`` → (``zhangweiming``, ``zwm``); other characters are kept lower-cased.

    Cached: a register of a million people repeats names often, and pypinyin is the slowest
    step of an import. The name is cut into words as ``lazy_pinyin`` cuts it (phrases of its
    dictionary, single characters, runs of other text), and each word's syllables are worked
    out once: names share their surnames and given-name characters far more than they share
    whole names. The result is ``lazy_pinyin(name)``'s (tests/households/test_services.py)."""
    # A name of Han characters only (nearly all) is one run: pinyin_words would only cut it by
    # the phrase dictionary, after looking at it a character at a time. fullmatch: RE_HANS
    # ends in "$", which match() lets a trailing newline past.
    words = phrase_cut.cut(name) if RE_HANS.fullmatch(name) else pinyin_words(name)
    syllables = [s for word in words for s in _word_syllables(word)]
    initials = [s[0] for s in syllables]
    return "".join(syllables)[:160], "".join(initials)[:40]


@lru_cache(maxsize=50_000)
def _word_syllables(word: str) -> tuple[str, ...]:
    """One word of a name (as ``pinyin_words`` cuts it) as lower-case syllables."""
    return tuple(
        part for chunk in lazy_pinyin(word, errors="default") for part in chunk.lower().split()
    )


def member_fill_derived(member: Member) -> None:
    """Set the search fields that follow from the name (no save)."""
    member.name_pinyin, member.name_initials = name_pinyin(member.name)


def household_refresh_householder(*, household: Household) -> None:
    """Denormalise the householder's name onto the household for listing and search."""
    members = list(household.members.order_by("id").values_list("name", "relation"))
    name = next((n for n, r in members if r == Member.Relation.HOUSEHOLDER), "")
    name = name or (members[0][0] if members else "")
    if household.householder_name != name:
        household.householder_name = name
        household.save(update_fields=["householder_name", "updated_at"])


def member_unmask(*, user: User, member: Member) -> dict[str, str]:
    """The member's full numbers, for a user with the unmask permission. Logged."""
    if not user_may_unmask(user):
        raise RegisterError(_("你没有查看完整号码的权限。"))
    access_log_record(
        user=user, action=AccessLog.Action.UNMASK, object_type="member", object_id=member.pk
    )
    return {"mobile": member.mobile, "id_number": member.id_number}


# --- shared by the services of this package ---------------------------------------------------


def require_permission(actor: User, permission: str) -> None:
    """Raise PermissionDenied unless ``actor`` holds ``permission``. The screens check it too;
    the service checks again so that every caller (admin, workspace, API) gets the same rule."""
    if not (actor.is_active and actor.has_perm(permission)):
        raise PermissionDenied(_("你没有这项操作的权限；如需办理，请联系侨联工作人员。"))


def apply_changes(
    instance: models.Model, changes: Mapping[str, Any], allowed: Iterable[str]
) -> list[str]:
    """Set ``changes`` on ``instance`` (no save) and return the names of the fields whose value
    really changed. A name outside ``allowed`` is a programming error (TypeError): each service
    says which fields it writes."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise TypeError(f"{type(instance).__name__}: not writable here: {sorted(unknown)}")
    changed = []
    for name, value in changes.items():
        field = instance._meta.get_field(name)
        old = getattr(instance, field.attname)
        new = value.pk if field.is_relation and isinstance(value, models.Model) else value
        if old != new or instance.pk is None:
            setattr(instance, name, value)
            if old != new:
                changed.append(name)
    return changed


def field_labels(model: type[models.Model], names: Iterable[str]) -> str:
    """The fields' names as people read them (``地址、家庭电话``), for the change history.
    Never the values: the history is shown to everyone who sees the household, masked or not."""
    return str(_("、")).join(str(model._meta.get_field(name).verbose_name) for name in names)


def user_caches_forget(user: User) -> None:
    """Forget what this user object has worked out about itself (permissions, register scope):
    a responsibility or a role group was just given or taken, and the same request may ask
    again."""
    for attribute in ("_perm_cache", "_user_perm_cache", "_group_perm_cache", "_register_scope"):
        user.__dict__.pop(attribute, None)
