"""The first scoring rules, active: fit on title, size and country; engagement per kind."""

from django.db import migrations

FIT_RULES = [
    # Whole words: a substring test gives a "Contractor" or a "Doctor" (both contain
    # "cto") a senior title.
    ("Senior title (VP, Head, Director, Chief)", "job_title", "matches",
     r"\b(vp|vice[ -]president|head|director|chief|ceo|cto|cmo|cfo|founder)\b", 20),
    ("Manager title", "job_title", "matches", r"\b(manager|lead)\b", 10),
    ("Company of 51–200 people", "company_size", "between", "51-200", 10),
    ("Company of 201–1000 people", "company_size", "between", "201-1000", 15),
    ("Company of over 1000 people", "company_size", "between", "1001-", 10),
    ("Target market", "country", "one_of", "us,gb,de,fr,nl,ca,au", 5),
    ("Free e-mail domain", "email_domain", "one_of",
     "gmail.com,yahoo.com,hotmail.com,outlook.com,aol.com,icloud.com,gmx.de,web.de", -10),
]
ENGAGEMENT_RULES = [
    ("Demo requested", "demo_requested", 40, 80),
    ("Pricing page view", "pricing_page_view", 10, 30),
    ("Webinar attended", "webinar_attended", 15, 30),
    ("Event visit", "event_visit", 15, 30),
    ("Form submitted", "form_submitted", 10, 30),
    ("Content download", "content_download", 8, 24),
    ("Email click", "email_click", 3, 15),
    ("Ad click", "ad_click", 2, 10),
    ("Page view", "page_view", 1, 10),
]


def forwards(apps, schema_editor):
    RuleSet = apps.get_model("leads", "ScoringRuleSet")
    Rule = apps.get_model("leads", "ScoringRule")
    if RuleSet.objects.exists():
        return
    ruleset = RuleSet.objects.create(name="Default rules", status="active",
                                     decay_half_life_days=30)
    position = 0
    for label, field, operator, value, points in FIT_RULES:
        position += 1
        Rule.objects.create(ruleset=ruleset, kind="fit", label=label, field=field,
                            operator=operator, value=value, points=points, position=position)
    for label, kind, points, cap in ENGAGEMENT_RULES:
        position += 1
        Rule.objects.create(ruleset=ruleset, kind="engagement", label=label,
                            touchpoint_kind=kind, points=points, cap=cap, position=position)


def backwards(apps, schema_editor):
    apps.get_model("leads", "ScoringRuleSet").objects.filter(name="Default rules").delete()


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
