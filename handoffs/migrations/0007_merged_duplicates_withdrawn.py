"""Handoffs ended by a merge of two queued leads were recorded as sales rejections
("duplicate", by the marketer who merged): they are marketing's tidying, not sales'
decision, so they become withdrawn, with the step the timeline shows."""

from django.db import migrations


def withdraw_merged(apps, schema_editor):
    Handoff = apps.get_model("handoffs", "Handoff")
    HandoffStep = apps.get_model("handoffs", "HandoffStep")
    merged = Handoff.objects.filter(
        status="rejected",
        rejection_reason="duplicate",
        claimed_at__isnull=True,
        rejection_note__startswith="Merged into ",
    )
    for handoff in merged.iterator():
        HandoffStep.objects.create(
            handoff=handoff,
            kind="withdrawn",
            at=handoff.rejected_at,
            actor_id=handoff.rejected_by_id,
            detail=handoff.rejection_note[:500],
        )
        Handoff.objects.filter(pk=handoff.pk).update(
            status="withdrawn",
            withdrawn_at=handoff.rejected_at,
            withdrawn_by_id=handoff.rejected_by_id,
            rejected_at=None,
            rejected_by=None,
            rejection_reason="",
            rejection_note="",
        )


class Migration(migrations.Migration):
    dependencies = [("handoffs", "0006_step_previous_holder")]

    operations = [migrations.RunPython(withdraw_merged, migrations.RunPython.noop)]
