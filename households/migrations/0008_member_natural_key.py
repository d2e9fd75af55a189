"""One person per natural key in a household: name and birth date, a missing date counting as
one value (``member_natural_key``), so that two imports writing at once cannot both add the
same person.

Registers filled by such imports before this constraint may already hold duplicates. Adding
the constraint over them would stop with a bare IntegrityError; so they are looked for first,
and the migration stops with the households and people named and the command that merges them
(``manage.py register_duplicates --merge``).
"""

import datetime

from django.core.management.base import CommandError
from django.db import migrations, models
from django.db.models import Count, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

NO_BIRTH_DATE = datetime.date(1, 1, 1)
SHOWN = 20  # groups named in the message; the command lists them all


class DuplicateMembers(CommandError):
    """The register holds the same person twice in a household: merge them first."""


def refuse_duplicates(apps, schema_editor):
    Member = apps.get_model("households", "Member")
    members = Member.objects.using(schema_editor.connection.alias)
    groups = list(
        members.annotate(
            born=Coalesce("birth_date", Value(NO_BIRTH_DATE), output_field=models.DateField())
        )
        .values("household_id", "household__key", "name", "born")
        .annotate(count=Count("id"))
        .filter(count__gt=1)
        .order_by("household__key", "name", "born")
    )
    if not groups:
        return
    lines = []
    for group in groups[:SHOWN]:
        born = group["born"]
        ids = members.filter(
            household_id=group["household_id"],
            name=group["name"],
            birth_date=None if born == NO_BIRTH_DATE else born,
        ).values_list("id", flat=True)
        lines.append(
            _("户编号 %(key)s：%(name)s（出生日期：%(born)s）登记了 %(count)s 次，成员编号 %(ids)s")
            % {
                "key": group["household__key"],
                "name": group["name"],
                "born": _("未填") if born == NO_BIRTH_DATE else born.isoformat(),
                "count": group["count"],
                "ids": "、".join(str(pk) for pk in sorted(ids)),
            }
        )
    if len(groups) > SHOWN:
        lines.append(_("……另有 %(more)s 组") % {"more": len(groups) - SHOWN})
    raise DuplicateMembers(
        _(
            "名册里有 %(groups)s 组重复登记的人（同一户里姓名和出生日期都相同，多半是以前两个"
            "导入同时运行留下的），加不上“同一户里同一个人只登记一次”的约束：\n%(lines)s\n"
            "请先运行 python manage.py register_duplicates 查看，再运行 python manage.py "
            "register_duplicates --merge 把每组合并到最早登记的那一条（其余各条的记录都会移"
            "过去），然后重新运行 python manage.py migrate。"
        )
        % {"groups": len(groups), "lines": "\n".join(f"  {line}" for line in lines)}
    )


class Migration(migrations.Migration):
    dependencies = [("households", "0007_import_files_to_private_storage")]

    operations = [
        migrations.RunPython(refuse_duplicates, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="member",
            constraint=models.UniqueConstraint(
                models.F("household"),
                models.F("name"),
                Coalesce(
                    "birth_date", Value(NO_BIRTH_DATE), output_field=models.DateField()
                ),
                name="member_natural_key",
                violation_error_message=(
                    "这一户已经登记了姓名和出生日期都相同的成员（都没有填出生日期的也算相同），"
                    "同一个人不能登记两次。请打开已有的那位成员修改；如果确实是两个人，"
                    "请填写各自的出生日期。"
                ),
            ),
        ),
    ]
