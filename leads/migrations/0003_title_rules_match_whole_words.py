"""The default title rules match whole words.

The first version tested substrings, so "cto" gave "Contractor" and "Doctor" a senior
title. Databases seeded before the fix get the new rule here, unless someone edited it.
"""

from django.db import migrations

FIXES = [
    (
        "Senior title (VP, Head, Director, Chief)",
        "vp|vice president|head|director|chief|ceo|cto|cmo|cfo|founder",
        r"\b(vp|vice[ -]president|head|director|chief|ceo|cto|cmo|cfo|founder)\b",
    ),
    ("Manager title", "manager|lead", r"\b(manager|lead)\b"),
]


def forwards(apps, schema_editor):
    Rule = apps.get_model("leads", "ScoringRule")
    for label, old_value, new_value in FIXES:
        Rule.objects.filter(
            ruleset__name="Default rules",
            label=label,
            field="job_title",
            operator="contains",
            value=old_value,
        ).update(operator="matches", value=new_value)


def backwards(apps, schema_editor):
    Rule = apps.get_model("leads", "ScoringRule")
    for label, old_value, new_value in FIXES:
        Rule.objects.filter(
            ruleset__name="Default rules", label=label, operator="matches", value=new_value
        ).update(operator="contains", value=old_value)


class Migration(migrations.Migration):
    dependencies = [("leads", "0002_default_scoring_rules")]

    operations = [migrations.RunPython(forwards, backwards)]
