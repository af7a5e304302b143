"""Create the role groups and the first agreement version (in force)."""

from django.db import migrations

ROLES = ("marketing", "sales", "manager")


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    AgreementVersion = apps.get_model("alignment", "AgreementVersion")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    if not AgreementVersion.objects.exists():
        AgreementVersion.objects.create(
            number=1,
            status="in_force",
            mql_threshold=50,
            mql_required_fields=[],
            claim_sla_minutes=60,
            first_contact_sla_minutes=240,
            recycle_cooloff_days=30,
            responsibilities={
                "new": {"responsible": "marketing", "accountable": "marketing manager",
                        "consulted": "", "informed": "sales"},
                "mql": {"responsible": "marketing", "accountable": "marketing manager",
                        "consulted": "sales", "informed": "sales"},
                "sal": {"responsible": "sales", "accountable": "sales manager",
                        "consulted": "", "informed": "marketing"},
                "sql": {"responsible": "sales", "accountable": "sales manager",
                        "consulted": "", "informed": "marketing"},
            },
            definitions=(
                "MQL: a lead whose score reaches the threshold.\n"
                "SAL: a rep claimed the lead and will work it.\n"
                "SQL: a rep confirmed a real opportunity (need, budget, timing).\n"
                "Recycled: sales sent the lead back to marketing with a reason."
            ),
        )


def backwards(apps, schema_editor):
    apps.get_model("alignment", "AgreementVersion").objects.filter(number=1).delete()
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("alignment", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
