"""Forms of the meeting room's pages: a user's notification preferences."""

from django import forms

from alignment import business_hours, notifications


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
