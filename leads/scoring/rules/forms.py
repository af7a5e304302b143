"""Forms of the rules page: a draft's settings and its rules as a formset.

The rules are checked by the same pure validator as the API and the services
(``leads.scoring.rule_errors``), so a bad regular expression or range is refused with the
same words everywhere and shown beside the rule it belongs to.
"""

from collections.abc import Mapping
from typing import Any

from django import forms

from leads import scoring
from leads.models import ScoringRuleSet, TouchpointKind
from leads.scoring.rules import services

PREFIX = "rules"
#: The settings a rule row may carry; a row posted without JavaScript sends them all.
ROW_FIELDS = (
    "kind",
    "label",
    "field",
    "operator",
    "value",
    "touchpoint_kind",
    "points",
    "cap",
    "disqualifies",
)


#: The tests as the editor's menu names them: short enough to read whole in a row.
OPERATORS = {**scoring.OPERATORS, "matches": "matches a pattern"}


class RuleSetForm(forms.Form):
    name = forms.CharField(max_length=services.NAME_MAX_LENGTH)
    decay_half_life_days = forms.IntegerField(
        min_value=1,
        max_value=services.MAX_HALF_LIFE_DAYS,
        label="Half-life of engagement points (days)",
        help_text="Engagement points lose half their value every this many days.",
    )
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="What this version changes, and why",
    )

    @classmethod
    def initial_for(cls, ruleset: ScoringRuleSet) -> dict[str, Any]:
        return {
            "name": ruleset.name,
            "decay_half_life_days": ruleset.decay_half_life_days,
            "note": ruleset.note,
        }


class RuleForm(forms.Form):
    """One rule row. Which settings count depends on ``kind``; the rest are ignored."""

    kind = forms.ChoiceField(
        choices=[("fit", "Fit"), ("engagement", "Engagement")], widget=forms.HiddenInput
    )
    label = forms.CharField(max_length=scoring.MAX_LABEL_LENGTH, required=False)
    field = forms.ChoiceField(
        choices=[("", "Choose a field"), *scoring.FIT_FIELDS.items()], required=False
    )
    operator = forms.ChoiceField(
        choices=[("", "Choose a test"), *OPERATORS.items()], required=False
    )
    value = forms.CharField(max_length=scoring.MAX_VALUE_LENGTH, required=False)
    touchpoint_kind = forms.ChoiceField(
        choices=[("", "Choose a touchpoint"), *TouchpointKind.choices],
        required=False,
        label="Touchpoint",
    )
    points = forms.IntegerField(min_value=-scoring.MAX_POINTS, max_value=scoring.MAX_POINTS)
    cap = forms.IntegerField(min_value=0, required=False, label="At most")
    disqualifies = forms.BooleanField(required=False, label="Disqualify")

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        for name, messages in scoring.rule_errors(
            self.rule(), touchpoint_kinds=TouchpointKind.values
        ).items():
            self.add_error(name if name in self.fields else None, messages)
        return cleaned

    def rule(self) -> scoring.Rule:
        data = self.cleaned_data
        return scoring.normalised(
            scoring.Rule(
                kind=data["kind"],
                points=data["points"],
                label=data.get("label", ""),
                field=data.get("field", ""),
                operator=data.get("operator", ""),
                value=data.get("value", ""),
                touchpoint_kind=data.get("touchpoint_kind", ""),
                cap=data.get("cap"),
                disqualifies=bool(data.get("disqualifies")),
            )
        )

    @property
    def is_fit(self) -> bool:
        kind = self["kind"].value()
        return kind == "fit"


RuleFormSet = forms.formset_factory(RuleForm, extra=0)


def rule_initial(rule: scoring.Rule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in ROW_FIELDS}


def rules_formset(
    *, data: Mapping[str, Any] | None = None, rules: list[dict[str, Any]] | None = None
) -> forms.BaseFormSet:
    """The rules as a formset: bound to posted ``data``, or showing ``rules`` (dicts).

    Every row is checked, a blank one too: a rule the user added and left empty is an
    error to show, not a row to drop silently.
    """
    kwargs = {"empty_permitted": False, "use_required_attribute": False}
    if data is not None:
        return RuleFormSet(data=data, prefix=PREFIX, form_kwargs=kwargs)
    return RuleFormSet(initial=rules or [], prefix=PREFIX, form_kwargs=kwargs)


def rows_data(rows: list[dict[str, Any]], settings: Mapping[str, Any]) -> dict[str, Any]:
    """Posted data for ``rows`` (renumbered) and the draft's ``settings``, as a browser
    would send them: to bind the editor again after a row was added or removed."""
    data: dict[str, Any] = {
        name: settings.get(name, "") for name in ("name", "decay_half_life_days", "note")
    }
    data[f"{PREFIX}-TOTAL_FORMS"] = data[f"{PREFIX}-INITIAL_FORMS"] = len(rows)
    data[f"{PREFIX}-MIN_NUM_FORMS"], data[f"{PREFIX}-MAX_NUM_FORMS"] = 0, 1000
    for index, row in enumerate(rows):
        for name in ROW_FIELDS:
            value = row.get(name, "")
            if name == "disqualifies":
                if value:
                    data[f"{PREFIX}-{index}-{name}"] = "on"
                continue
            data[f"{PREFIX}-{index}-{name}"] = "" if value is None else value
    return data


def posted_rows(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rule rows of a posted formset as they were typed, without checking them (to
    add or remove a row and show the rest as they were)."""
    try:
        total = int(data.get(f"{PREFIX}-TOTAL_FORMS", 0))
    except (TypeError, ValueError):
        total = 0
    rows = []
    for index in range(min(total, 500)):
        row = {name: data.get(f"{PREFIX}-{index}-{name}", "") for name in ROW_FIELDS}
        row["disqualifies"] = bool(row["disqualifies"])
        rows.append(row)
    return rows


def ordered(formset: forms.BaseFormSet) -> list[RuleForm]:
    """The rows in the order they are stored: fit rules first, then engagement rules,
    each in the order shown (the page shows them in two tables)."""
    forms_ = list(formset.forms)
    return [f for f in forms_ if f.is_fit] + [f for f in forms_ if not f.is_fit]
