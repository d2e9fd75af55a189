"""The welcome moves into the outbox: each user's welcome state becomes a core.Notice (topic
"accounts.welcome"), done for those welcomed, open with its channels marked for the others."""

from django.db import migrations, models
from django.utils import timezone


def welcome_to_outbox(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Notice = apps.get_model("core", "Notice")
    now = timezone.now()
    batch = []
    users = User.objects.filter(
        models.Q(welcomed_at__isnull=False)
        | models.Q(welcome_sms_at__isnull=False)
        | models.Q(welcome_email_at__isnull=False)
    ).only("pk", "welcomed_at", "welcome_sms_at", "welcome_email_at")
    for user in users.iterator(chunk_size=2000):
        done = user.welcomed_at
        batch.append(
            Notice(
                topic="accounts.welcome",
                kind="welcome",
                object_id=user.pk,
                state="sent" if done else "pending",
                sms_sent_at=user.welcome_sms_at,
                email_sent_at=user.welcome_email_at,
                created_at=done or user.welcome_sms_at or user.welcome_email_at or now,
                done_at=done,
                next_attempt_at=None if done else now,
            )
        )
    Notice.objects.bulk_create(batch, batch_size=2000, ignore_conflicts=True)


def outbox_to_welcome(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Notice = apps.get_model("core", "Notice")
    for notice in Notice.objects.filter(topic="accounts.welcome").iterator():
        User.objects.filter(pk=notice.object_id).update(
            welcomed_at=notice.done_at,
            welcome_sms_at=notice.sms_sent_at,
            welcome_email_at=notice.email_sent_at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_welcome_per_channel"),
        ("core", "0001_outbox_and_locks"),
    ]

    operations = [
        migrations.RunPython(welcome_to_outbox, outbox_to_welcome, elidable=True),
        migrations.RemoveField(model_name="user", name="welcome_email_at"),
        migrations.RemoveField(model_name="user", name="welcome_sms_at"),
        migrations.RemoveField(model_name="user", name="welcomed_at"),
    ]
