"""What every volunteers service shares: the refusal, permissions and yearly numbers."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from core.locking import lock_row

from ..models import NumberSequence


class VolunteerRefused(Exception):
    """A change that cannot be made; the message is for the person who asked and says what to
    do. ``field`` names the form field it is about (None: the whole form). Nothing was
    written."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)


def require_permission(actor, permission: str) -> None:
    """Raise PermissionDenied unless ``actor`` holds ``permission``. The screens check it too;
    the service checks again so that every caller gets the same rule."""
    if not (actor.is_authenticated and actor.is_active and actor.has_perm(permission)):
        raise PermissionDenied(_("你没有这项操作的权限；如需办理，请联系侨联工作人员。"))


def number_next(*, prefix: str, year: int) -> str:
    """The next number of ``prefix`` in ``year`` (``QX2027-0001``). Call inside the transaction
    that uses it: the year's row is locked until commit (lock, read, write), so two approvals
    at the same moment get consecutive numbers, and a rollback gives the number back — no
    gaps, no repeats."""
    NumberSequence.objects.get_or_create(prefix=prefix, year=year)
    row = lock_row(NumberSequence.objects.all(), prefix=prefix, year=year)
    row.last += 1
    row.save(update_fields=["last"])
    return f"{prefix}{year}-{row.last:04d}"
