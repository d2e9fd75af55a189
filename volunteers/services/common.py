"""What every volunteers service shares: the refusal, permissions and yearly numbers."""

from __future__ import annotations

from core.locking import lock_row

# one rule and one message for every app's writes
from households.services.common import require_permission  # noqa: F401

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
