"""The default rules of the data migrations, including the fix for rules seeded earlier."""

import importlib

from django.apps import apps as django_apps

from leads.models import ScoringRule

title_fix = importlib.import_module("leads.migrations.0003_title_rules_match_whole_words")


def test_a_database_seeded_with_substring_title_rules_gets_whole_word_rules(db):
    senior = ScoringRule.objects.get(label__startswith="Senior title")
    ScoringRule.objects.filter(pk=senior.pk).update(
        operator="contains", value="vp|vice president|head|director|chief|ceo|cto|cmo|cfo|founder"
    )
    title_fix.forwards(django_apps, None)
    senior.refresh_from_db()
    assert senior.operator == "matches"
    assert senior.value.startswith(r"\b(")


def test_a_title_rule_someone_edited_is_left_alone(db):
    manager = ScoringRule.objects.get(label="Manager title")
    ScoringRule.objects.filter(pk=manager.pk).update(operator="contains", value="manager")
    title_fix.forwards(django_apps, None)
    manager.refresh_from_db()
    assert (manager.operator, manager.value) == ("contains", "manager")
