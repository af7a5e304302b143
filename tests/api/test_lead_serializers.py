"""The lead serializers build their fields once per class (``leads.api.FieldsBuiltOnce``):
they answer exactly what DRF's own serializers answer, and instances never share values
or errors."""

import pytest
from rest_framework import serializers

from leads.api import (
    EDITABLE_FIELDS,
    LEAD_FIELDS,
    LeadCaptureSerializer,
    LeadDetailSerializer,
    LeadSerializer,
    ScoreLineSerializer,
)
from leads.models import Lead, Stage, TouchpointKind
from tests.factories import LeadFactory


class DrfDetail(serializers.ModelSerializer):
    score_breakdown = ScoreLineSerializer(many=True, read_only=True)

    class Meta:
        model = Lead
        fields = [*LEAD_FIELDS, "fit_score", "engagement_score", "score_breakdown"]
        read_only_fields = fields


class DrfCapture(serializers.ModelSerializer):
    touchpoint_kind = serializers.ChoiceField(
        choices=TouchpointKind.choices, default=TouchpointKind.API
    )

    class Meta:
        model = Lead
        fields = ["email", *EDITABLE_FIELDS, "campaign", "touchpoint_kind"]
        extra_kwargs = {"email": {"validators": []}}


@pytest.fixture
def leads(campaign, marketer):
    full = LeadFactory(
        campaign=campaign,
        owner=marketer,
        stage=Stage.MQL,
        consent=True,
        score=62,
        fit_score=40,
        engagement_score=22,
        score_breakdown=[
            {"rule": "Job title contains VP", "kind": "fit", "points": 40},
            {"rule": "Demo requested", "kind": "engagement", "points": 22, "count": 2},
        ],
    )
    bare = LeadFactory(company_size=None, company="", country="")
    return [Lead.objects.get(pk=full.pk), Lead.objects.get(pk=bare.pk)]


def test_a_lead_reads_as_drfs_serializers_read_it(leads):
    for lead in leads:
        assert LeadDetailSerializer(lead).data == DrfDetail(lead).data
    assert LeadSerializer(leads, many=True).data == [
        {name: DrfDetail(lead).data[name] for name in LEAD_FIELDS} for lead in leads
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"email": "ana@acme.com", "company_size": "300", "campaign": None, "consent": "true"},
        {"email": "ana@acme.com", "company_size": "many", "touchpoint_kind": "smoke"},
        {"email": "", "campaign": 999_999},
        {"first_name": "x" * 500},
    ],
)
def test_capture_input_checks_as_drfs_serializer_checks_it(db, body):
    ours, drfs = LeadCaptureSerializer(data=body), DrfCapture(data=body)

    assert ours.is_valid() == drfs.is_valid()
    assert ours.errors == drfs.errors
    if not ours.errors:
        assert ours.validated_data == drfs.validated_data


def test_two_captures_checked_together_keep_their_own_values_and_errors(db):
    good = LeadCaptureSerializer(data={"email": "Ana@Acme.com", "company_size": 120})
    bad = LeadCaptureSerializer(data={"email": "not an address", "company_size": -1})

    assert not bad.is_valid()
    assert good.is_valid()

    assert good.validated_data["email"] == "ana@acme.com"
    assert good.validated_data["company_size"] == 120
    assert set(bad.errors) == {"email", "company_size"}
