"""Responsibilities record who granted them, when, and who ended them; the household history
gets kinds for edits of its members.

Depends on 0007 on this branch; when merged after the import work's 0008/0009 it is to be
re-pointed at 0009 (no operation here touches what those change).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("households", "0009_drop_duplicate_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="responsibility",
            name="ended_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="结束人",
            ),
        ),
        migrations.AddField(
            model_name="responsibility",
            name="granted_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="安排时间"),
        ),
        migrations.AddField(
            model_name="responsibility",
            name="granted_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="安排人",
            ),
        ),
        migrations.AlterField(
            model_name="householdchange",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "建档"),
                    ("updated", "修改"),
                    ("moved", "调整小组"),
                    ("merged", "合并"),
                    ("status", "状态变更"),
                    ("imported", "导入更新"),
                    ("member_added", "新增成员"),
                    ("member_changed", "修改成员"),
                    ("member_removed", "删除成员"),
                ],
                max_length=16,
                verbose_name="类型",
            ),
        ),
    ]
