"""Give a new install's first agreement a faster SLA for hot leads.

Only while v1 is the only version and no handoff was ever judged by it: an agreement
that has been in force is never changed in place.
"""

from django.db import migrations

HOT_LEADS = {"name": "Hot leads", "min_score": 80, "claim_minutes": 15, "first_contact_minutes": 60}


def forwards(apps, schema_editor):
    AgreementVersion = apps.get_model("alignment", "AgreementVersion")
    Handoff = apps.get_model("handoffs", "Handoff")
    versions = list(AgreementVersion.objects.all()[:2])
    if len(versions) != 1 or Handoff.objects.exists():
        return
    first = versions[0]
    if first.number == 1 and not first.sla_segments:
        first.sla_segments = [HOT_LEADS]
        first.save(update_fields=["sla_segments"])


def backfill_steps(apps, schema_editor):
    """Escalations stamped before steps existed get their timeline rows."""
    Handoff = apps.get_model("handoffs", "Handoff")
    HandoffStep = apps.get_model("handoffs", "HandoffStep")
    steps = []
    for handoff in Handoff.objects.filter(claim_escalated_at__isnull=False).only(
        "pk", "claim_escalated_at"
    ):
        steps.append(
            HandoffStep(handoff=handoff, kind="escalated", clock="claim",
                        at=handoff.claim_escalated_at, detail="Claim SLA missed.")
        )  # fmt: skip
    for handoff in Handoff.objects.filter(contact_escalated_at__isnull=False).only(
        "pk", "contact_escalated_at"
    ):
        steps.append(
            HandoffStep(handoff=handoff, kind="escalated", clock="first_contact",
                        at=handoff.contact_escalated_at, detail="First-contact SLA missed.")
        )  # fmt: skip
    HandoffStep.objects.bulk_create(steps, batch_size=1000, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("handoffs", "0004_routing_sla_steps_and_availability"),
        ("alignment", "0005_team_calendar_preferences_sla_segments"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RunPython(backfill_steps, migrations.RunPython.noop),
    ]
