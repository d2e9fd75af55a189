"""Seat counts on a row of their own (EventSeats, the row sign-ups lock), and the sign-up notices
moved into the outbox (core.Notice, topic "events.signup")."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, Q, Sum


def count_seats(apps, schema_editor):
    EventPage = apps.get_model("events", "EventPage")
    EventSeats = apps.get_model("events", "EventSeats")
    Signup = apps.get_model("events", "Signup")
    counts = {
        row["event_id"]: row
        for row in Signup.objects.values("event_id")
        .annotate(
            confirmed=Sum("party_size", filter=Q(status="confirmed")),
            waiting=Count("pk", filter=Q(status="waitlisted")),
        )
        .order_by()
    }
    EventSeats.objects.bulk_create(
        EventSeats(
            event_id=event_id,
            confirmed=(counts.get(event_id) or {}).get("confirmed") or 0,
            waiting=(counts.get(event_id) or {}).get("waiting") or 0,
        )
        for event_id in EventPage.objects.values_list("pk", flat=True)
    )


def notices_to_outbox(apps, schema_editor):
    """Each SignupNotice becomes a Notice with the same channels marked. They were written by
    the job that sent them, so they are history: done, as sent (or nothing to send)."""
    SignupNotice = apps.get_model("events", "SignupNotice")
    Notice = apps.get_model("core", "Notice")
    batch = []
    for old in SignupNotice.objects.order_by("pk").iterator(chunk_size=2000):
        sent = old.site_sent_at or old.sms_sent_at or old.email_sent_at
        batch.append(
            Notice(
                topic="events.signup",
                kind=old.kind,
                object_id=old.signup_id,
                key=old.key,
                state="sent" if sent else "skipped",
                site_sent_at=old.site_sent_at,
                sms_sent_at=old.sms_sent_at,
                email_sent_at=old.email_sent_at,
                created_at=old.created_at,
                done_at=sent or old.created_at,
            )
        )
        if len(batch) >= 2000:
            Notice.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Notice.objects.bulk_create(batch, ignore_conflicts=True)


def outbox_to_notices(apps, schema_editor):
    SignupNotice = apps.get_model("events", "SignupNotice")
    Notice = apps.get_model("core", "Notice")
    SignupNotice.objects.bulk_create(
        (
            SignupNotice(
                signup_id=notice.object_id,
                kind=notice.kind,
                key=notice.key,
                site_sent_at=notice.site_sent_at,
                sms_sent_at=notice.sms_sent_at,
                email_sent_at=notice.email_sent_at,
            )
            for notice in Notice.objects.filter(topic="events.signup").iterator()
        ),
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_create_events"),
        ("core", "0001_outbox_and_locks"),
    ]

    operations = [
        migrations.CreateModel(
            name="EventSeats",
            fields=[
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="seats",
                        serialize=False,
                        to="events.eventpage",
                        verbose_name="活动",
                    ),
                ),
                ("confirmed", models.PositiveIntegerField(default=0, verbose_name="已确认人数")),
                ("waiting", models.PositiveIntegerField(default=0, verbose_name="候补报名数")),
            ],
            options={"verbose_name": "名额计数", "verbose_name_plural": "名额计数"},
        ),
        migrations.RunPython(count_seats, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(notices_to_outbox, outbox_to_notices, elidable=True),
        migrations.DeleteModel(name="SignupNotice"),
    ]
