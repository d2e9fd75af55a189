"""python manage.py register_duplicates [--merge]

Lists the people registered more than once in a household: the same name and birth date (a
missing date counting as one value), as two imports running at the same moment used to leave
them. Migration 0008 (``member_natural_key``) refuses to run over such duplicates and names
this command.

With --merge each group is merged into its oldest record (``households.services.member_merge``:
everything pointing at the others moves to it, its empty fields are filled from them, the
household's history records the merge). Merging holds the register import lock, so that no
import writes to the records being merged; each group is its own transaction. Exits 1 when a
group could not be merged (the reason is printed; nothing of that group changed).
"""

from __future__ import annotations

import getpass
import os
import socket
from collections import defaultdict

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, DateField, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from households.importing.locks import ImportBusy, import_lock
from households.models import NO_BIRTH_DATE, Member
from households.services import RegisterError, member_merge

CHUNK = 500


def member_duplicate_groups() -> list[list[Member]]:
    """The people registered more than once in a household, each group oldest first."""
    keys = (
        Member.objects.annotate(
            born=Coalesce("birth_date", Value(NO_BIRTH_DATE), output_field=DateField())
        )
        .values("household_id", "name", "born")
        .annotate(count=Count("id"))
        .filter(count__gt=1)
        .order_by("household_id", "name", "born")
        .values_list("household_id", "name", "born")
    )
    wanted = {(household_id, name, born) for household_id, name, born in keys}
    households = sorted({household_id for household_id, _name, _born in wanted})
    groups: dict[tuple, list[Member]] = defaultdict(list)
    for start in range(0, len(households), CHUNK):
        members = (
            Member.objects.filter(household_id__in=households[start : start + CHUNK])
            .select_related("household")
            .order_by("created_at", "pk")
        )
        for member in members:
            key = (member.household_id, member.name, member.birth_date or NO_BIRTH_DATE)
            if key in wanted:
                groups[key].append(member)
    return [groups[key] for key in sorted(groups, key=lambda k: (groups[k][0].household.key, k))]


def _describe(group: list[Member]) -> str:
    first = group[0]
    born = first.birth_date.isoformat() if first.birth_date else _("未填")
    records = "、".join(
        f"#{m.pk}（{m.created_at:%Y-%m-%d} 登记）" if m.created_at else f"#{m.pk}" for m in group
    )
    return _("户编号 %(key)s：%(name)s（出生日期：%(born)s）登记了 %(count)s 次：%(records)s") % {
        "key": first.household.key,
        "name": first.name,
        "born": born,
        "count": len(group),
        "records": records,
    }


class Command(BaseCommand):
    help = "List people registered twice in a household; with --merge, merge each group."

    def add_arguments(self, parser):
        parser.add_argument(
            "--merge",
            action="store_true",
            help="merge each group into its oldest record (what points at the others moves to it)",
        )

    def handle(self, *args, merge: bool, **options):
        groups = member_duplicate_groups()
        if not groups:
            self.stdout.write(_("名册里没有重复登记的人。"))
            return
        self.stdout.write(_("重复登记的人：%(count)s 组") % {"count": len(groups)})
        for group in groups:
            self.stdout.write(f"  {_describe(group)}")
        if not merge:
            self.stdout.write(
                _(
                    "合并：python manage.py register_duplicates --merge"
                    "（每组并入最早登记的那一条）。"
                )
            )
            return
        try:
            with import_lock(holder=_lock_holder()):
                failed = self._merge(groups)
        except ImportBusy as exc:
            raise CommandError(exc.message) from exc
        if failed:
            raise CommandError(
                _("有 %(count)s 组没有合并（原因见上），请处理后再运行一次。") % {"count": failed}
            )

    def _merge(self, groups: list[list[Member]]) -> int:
        failed = 0
        for group in groups:
            keep, *duplicates = group
            try:
                with transaction.atomic():  # a group is merged whole or not at all
                    for duplicate in duplicates:
                        keep = member_merge(keep=keep, duplicate=duplicate, actor=None)
            except RegisterError as exc:
                failed += 1
                self.stdout.write(
                    _("  没有合并 %(group)s：%(reason)s")
                    % {"group": _describe(group), "reason": exc}
                )
                continue
            self.stdout.write(
                _("  已合并到 #%(keep)s：%(group)s") % {"keep": keep.pk, "group": _describe(group)}
            )
        return failed


def _lock_holder() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return _("命令行合并重复成员（%(user)s@%(host)s）") % {
        "user": user,
        "host": socket.gethostname(),
    }
