"""``python manage.py register_stats [--format json|text] [--community NAME]``: the register's
figures (see households/stats.py) for the whole register, or for one community."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from households.models import Community, Member
from households.selectors import WholeRegister
from households.stats import register_stats


class Command(BaseCommand):
    help = "Print the register statistics (whole register, or one community) as text or JSON."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["text", "json"], default="text")
        parser.add_argument("--community", metavar="NAME", help="exact community name")

    def handle(self, *args, format: str, community: str | None, **options):
        chosen = None
        if community is not None:
            chosen = Community.objects.filter(name=community).first()
            if chosen is None:
                names = "、".join(Community.objects.values_list("name", flat=True))
                raise CommandError(
                    _("没有名为“%(name)s”的社区。现有社区：%(names)s")
                    % {"name": community, "names": names or _("（无）")}
                )
        # Run by whoever runs the server, for no one in the register: the whole register.
        result = register_stats(
            user=WholeRegister(reason="manage.py register_stats"), community=chosen
        )
        if format == "json":
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(self.as_text(result, chosen))

    def as_text(self, s: dict, community: Community | None) -> str:
        categories = dict(Member.Category.choices)
        lines = [
            _("名册统计：%(scope)s") % {"scope": community.name if community else _("全部社区")},
            _("在册侨户：%(n)s") % {"n": s["households"]},
            _("成员：%(n)s") % {"n": s["members"]},
            _("按类别："),
            *(f"  {categories[code]}：{n}" for code, n in s["by_category"].items()),
            _("境外人员：%(people)s 人，分布在 %(countries)s 个国家（地区）")
            % {"people": s["abroad"]["people"], "countries": s["abroad"]["countries"]},
            *(f"  {row['label']}：{row['people']}" for row in s["abroad"]["by_country"]),
            _("空巢户：%(households)s 户，%(people)s 人，其中60岁及以上 %(old)s 人")
            % {
                "households": s["empty_nest"]["households"],
                "people": s["empty_nest"]["people"],
                "old": s["empty_nest"]["aged_60_plus"],
            },
            _("60岁及以上：%(n)s") % {"n": s["aged_60_plus"]},
            _("重点侨户：%(n)s") % {"n": s["key_households"]},
            _("困难侨户：%(n)s") % {"n": s["hardship_households"]},
            _("各社区（侨户 / 成员 / 境外人员）："),
            *(
                f"  {row['community']}：{row['households']} / {row['members']} / {row['abroad']}"
                for row in s["per_community"]
            ),
            _("侨眷小组：%(n)s") % {"n": s["grid_groups"]},
            _("侨眷小组长：%(n)s") % {"n": s["group_leaders"]},
            _("社区侨务干部：%(n)s") % {"n": s["cadres"]},
            _("街道侨联委员：%(n)s") % {"n": s["committee_members"]},
        ]
        return "\n".join(str(line) for line in lines)
