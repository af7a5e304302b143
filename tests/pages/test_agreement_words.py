"""The agreement page says its terms as people do: "4 h" rather than "240 min", and the
version that came with Tandem says so rather than showing dashes for who signed it."""

import re

from django.urls import reverse

from alignment.models import AgreementVersion
from alignment.services import approve_agreement, propose_agreement

PAGE = reverse("agreement")


def v1() -> AgreementVersion:
    return AgreementVersion.objects.get(number=1)


def text_of(response) -> str:
    """The page's words, without tags and runs of white space."""
    html = response.content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_slas_in_force_are_said_in_hours_and_days(client_as, manager):
    AgreementVersion.objects.filter(pk=v1().pk).update(
        claim_sla_minutes=90,
        first_contact_sla_minutes=1440,
        sla_segments=[
            {"name": "Hot", "min_score": 80, "claim_minutes": 30, "first_contact_minutes": 240}
        ],
    )

    body = text_of(client_as(manager).get(PAGE))

    assert "Claim within 1 h 30 min" in body
    assert "First contact within 1 day" in body
    assert "Hot 80 30 min 4 h" in body
    assert "90 min" not in body
    assert "1440" not in body


def test_the_version_that_came_with_tandem_says_so_instead_of_dashes(client_as, rep):
    version = v1()

    body = text_of(client_as(rep).get(PAGE))

    since = f"since {version.effective_at:%-d %b %Y}"
    assert f"Marketing Tandem defaults {since}" in body
    assert f"Sales Tandem defaults {since}" in body
    history = body[body.index("History") :]
    assert "Tandem defaults" in history
    assert "—" not in history


def test_a_signed_version_names_its_signers_and_a_draft_is_not_yet_in_force(
    client_as, rep, marketing_manager, sales_manager
):
    signed = propose_agreement(by=marketing_manager, based_on=v1(), claim_sla_minutes=30)
    approve_agreement(signed, by=marketing_manager)
    approve_agreement(signed, by=sales_manager)
    propose_agreement(by=sales_manager, based_on=signed, first_contact_sla_minutes=120)

    body = text_of(client_as(rep).get(PAGE))

    assert "Marketing Mona Mercer on" in body
    assert "Claim within: 1 h → 30 min" in body
    assert "First contact within: 4 h → 2 h" in body
    history = body[body.index("History") :]
    assert "Not yet" in history
    assert "—" not in history


def test_the_mql_required_fields_are_named_as_people_read_them(client_as, manager):
    AgreementVersion.objects.filter(status="in_force").update(
        mql_required_fields=["job_title", "company_size"]
    )
    html = client_as(manager).get(PAGE).content.decode()
    assert "<dd>Job title, Company size</dd>" in html
