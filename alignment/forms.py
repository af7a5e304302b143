"""Forms of the meeting room's pages: a user's notification preferences, a proposal of
the next version of the agreement."""

from django import forms

from alignment import business_hours, notifications
from alignment.models import AgreementVersion
from alignment.services import AGREEMENT_TERMS, MAX_SLA_MINUTES
from alignment.services.agreement_terms import (
    MAX_COOLOFF_DAYS,
    MAX_DEFINITIONS,
    MAX_OWNER,
    MAX_THRESHOLD,
    RACI,
    RACI_NEEDED,
)
from handoffs.models import RejectionReason
from leads.models import Lead, Stage
from leads.services import PROFILE_FIELDS


class PreferencesForm(forms.Form):
    """A checkbox per kind and channel, and the reader's time zone."""

    time_zone = forms.ChoiceField(
        required=False,
        label="Your time zone",
        help_text="Times in messages and pages are shown in it. Empty: the team's.",
    )

    def __init__(self, *args, team_zone: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [
            ("", f"The team's ({team_zone})" if team_zone else "The team's"),
            *((name, name) for name in business_hours.zone_choices()),
        ]
        for kind, info in notifications.KINDS.items():
            for channel, label in notifications.CHANNELS.items():
                self.fields[self.key(kind, channel)] = forms.BooleanField(
                    required=False, label=f"{info.label}: {label}"
                )

    @staticmethod
    def key(kind: str, channel: str) -> str:
        return f"{kind.replace('.', '__')}__{channel}"

    @classmethod
    def initial_from(cls, chosen: dict, time_zone: str) -> dict:
        initial: dict[str, object] = {"time_zone": time_zone}
        for kind, channels in notifications.all_channels(chosen).items():
            for channel in notifications.CHANNELS:
                initial[cls.key(kind, channel)] = channel in channels
        return initial

    def rows(self) -> list[dict]:
        return [
            {
                "kind": kind,
                "label": info.label,
                "cells": [self[self.key(kind, channel)] for channel in notifications.CHANNELS],
            }
            for kind, info in notifications.KINDS.items()
        ]

    def channels(self) -> dict[str, list[str]]:
        return {
            kind: [
                channel
                for channel in notifications.CHANNELS
                if self.cleaned_data.get(self.key(kind, channel))
            ]
            for kind in notifications.KINDS
        }


#: Segment rows the proposal form offers (a blank row is no segment).
SEGMENT_ROWS = 4
SEGMENT_KEYS = ("name", "min_score", "claim_minutes", "first_contact_minutes")


class AgreementProposalForm(forms.Form):
    """Every term of the agreement, filled with the version in force: a manager changes
    what they want changed and proposes the rest as it is.

    The words the terms use come from the apps that own them: lead fields and stages from
    ``leads``, rejection reason codes from ``handoffs``.
    """

    mql_threshold = forms.IntegerField(
        label="MQL at a score of", min_value=0, max_value=MAX_THRESHOLD
    )
    mql_required_fields = forms.MultipleChoiceField(
        label="Fields an MQL needs",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            (name, Lead._meta.get_field(name).verbose_name.capitalize()) for name in PROFILE_FIELDS
        ],
    )
    mql_requires_consent = forms.BooleanField(label="An MQL needs consent", required=False)
    claim_sla_minutes = forms.IntegerField(
        label="Minutes to claim",
        min_value=1,
        max_value=MAX_SLA_MINUTES,
        help_text="Working minutes from MQL to a rep's claim.",
    )
    first_contact_sla_minutes = forms.IntegerField(
        label="Minutes to first contact",
        min_value=1,
        max_value=MAX_SLA_MINUTES,
        help_text="Working minutes from the claim to the first activity.",
    )
    recycle_cooloff_days = forms.IntegerField(
        label="Recycle cool-off days",
        min_value=0,
        max_value=MAX_COOLOFF_DAYS,
        help_text="Days before a lead sales sent back may become an MQL again.",
    )
    rejection_reasons = forms.MultipleChoiceField(
        label="Reasons sales may give when it sends a lead back",
        widget=forms.CheckboxSelectMultiple,
        choices=RejectionReason.choices,
        error_messages={"required": "Keep at least one reason."},
    )
    definitions = forms.CharField(
        label="Definitions",
        required=False,
        max_length=MAX_DEFINITIONS,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="One definition a line.",
    )
    notes = forms.CharField(
        label="Why this change",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Both managers read it before they approve.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for row in range(SEGMENT_ROWS):
            number = row + 1
            self.fields[f"segment_{row}_name"] = forms.CharField(
                label=f"Name of segment {number}", required=False, max_length=60
            )
            for key, label in (
                ("min_score", "From score"),
                ("claim_minutes", "Minutes to claim"),
                ("first_contact_minutes", "Minutes to first contact"),
            ):
                low, high = (-1000, MAX_THRESHOLD) if key == "min_score" else (1, MAX_SLA_MINUTES)
                self.fields[f"segment_{row}_{key}"] = forms.IntegerField(
                    label=f"{label}, segment {number}",
                    required=False,
                    min_value=low,
                    max_value=high,
                )
        for stage, stage_label in Stage.choices:
            for role in RACI:
                self.fields[f"owner_{stage}_{role}"] = forms.CharField(
                    label=f"{role.capitalize()} at {stage_label}",
                    required=False,
                    max_length=MAX_OWNER,
                )

    @classmethod
    def initial_from(cls, version: AgreementVersion) -> dict:
        """The form filled with ``version``'s terms."""
        initial = {name: getattr(version, name) for name in AGREEMENT_TERMS}
        for row, segment in enumerate(version.sla_segments[:SEGMENT_ROWS]):
            for key in SEGMENT_KEYS:
                initial[f"segment_{row}_{key}"] = segment.get(key, "")
        for stage, roles in (version.responsibilities or {}).items():
            for role in RACI:
                initial[f"owner_{stage}_{role}"] = roles.get(role, "")
        return initial

    def segment_rows(self) -> list[list]:
        return [
            [self[f"segment_{row}_{key}"] for key in SEGMENT_KEYS] for row in range(SEGMENT_ROWS)
        ]

    def owner_rows(self) -> list[dict]:
        return [
            {"stage": stage, "cells": [self[f"owner_{stage}_{role}"] for role in RACI]}
            for stage in Stage.values
        ]

    def clean(self):
        data = super().clean()
        segments = []
        for row in range(SEGMENT_ROWS):
            names = [f"segment_{row}_{key}" for key in SEGMENT_KEYS]
            if any(name in self.errors for name in names):
                continue
            values = {key: data.get(name) for key, name in zip(SEGMENT_KEYS, names, strict=True)}
            numbers = {key: value for key, value in values.items() if key != "name"}
            if not values["name"] and all(value is None for value in numbers.values()):
                continue
            missing = [key for key, value in numbers.items() if value is None]
            for key in missing:
                self.add_error(f"segment_{row}_{key}", "Fill this in, or clear the whole row.")
            if not missing:
                segments.append({**values, "name": values["name"] or ""})
        data["sla_segments"] = segments
        owners = {}
        for stage in Stage.values:
            roles = {role: data.get(f"owner_{stage}_{role}", "").strip() for role in RACI}
            if not any(roles.values()):
                continue
            for role in RACI_NEEDED:
                if not roles[role]:
                    self.add_error(f"owner_{stage}_{role}", f"Say who is {role} at this stage.")
            owners[stage] = roles
        data["responsibilities"] = owners
        return data

    def terms(self) -> dict:
        """The proposed terms, for ``propose_agreement``."""
        return {name: self.cleaned_data[name] for name in AGREEMENT_TERMS}
