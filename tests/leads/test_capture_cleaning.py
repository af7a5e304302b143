"""Lead text is cleaned once, at capture: single-line fields lose control characters and
line breaks, text is Unicode NFKC, and an internationalised email domain is stored in
its Unicode form whichever form it came in, so both spellings are one lead."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from leads.models import Lead
from leads.services import (
    capture_lead,
    capture_leads,
    lead_for_email,
    normalise_email,
    update_lead,
)

SINGLE_LINE_FIELDS = [
    "first_name",
    "last_name",
    "company",
    "job_title",
    "phone",
    "industry",
    "utm_source",
    "utm_medium",
    "utm_campaign",
]


@pytest.mark.parametrize("field", SINGLE_LINE_FIELDS)
def test_line_breaks_and_control_characters_leave_every_single_line_field(db, field):
    capture_leads([{"email": "ada@acme.com", field: "a\r\nb\tc\x1bd\u2028e\x85f"}])

    assert getattr(Lead.objects.get(), field) == "a b c d e f"


@pytest.mark.parametrize(
    ("field", "given", "stored"),
    [
        ("first_name", "Ａｄａ", "Ada"),  # full-width letters
        ("company", "Acme\u00a0Inc", "Acme Inc"),  # a no-break space
        ("industry", "ﬁnance", "finance"),  # a ligature
        ("job_title", "Ｈｅａｄ of Ops", "Head of Ops"),
        ("phone", "＋４９ ３０ １２３", "+49 30 123"),
        ("utm_campaign", "ｓｐｒｉｎｇ", "spring"),
    ],
)
def test_text_is_stored_in_nfkc(db, field, given, stored):
    lead = capture_lead(email="ada@acme.com", **{field: given}).lead

    assert getattr(lead, field) == stored


def test_a_full_width_country_code_is_a_country_code(db):
    assert capture_lead(email="ada@acme.com", country="ｄｅ").lead.country == "DE"


def test_a_composed_and_a_decomposed_name_are_stored_alike(db):
    capture_leads(
        [
            {"email": "one@acme.com", "last_name": "Mu\u0308ller"},
            {"email": "two@acme.com", "last_name": "M\u00fcller"},
        ]
    )

    assert set(Lead.objects.values_list("last_name", flat=True)) == {"M\u00fcller"}


def test_an_edit_is_cleaned_the_same_way(db):
    lead = capture_lead(email="ada@acme.com").lead

    lead = update_lead(lead, first_name="Ａｄａ\nLovelace")

    assert lead.first_name == "Ada Lovelace"


def test_a_value_too_long_once_normalised_is_refused(db):
    # U+FDFA is one character that NFKC spells out in eighteen.
    with pytest.raises(ValidationError) as caught:
        capture_lead(email="ada@acme.com", first_name="\ufdfa" * 10)

    assert "first_name" in caught.value.message_dict


@pytest.mark.parametrize(
    "given",
    [
        "ada@bücher.example",
        "ada@xn--bcher-kva.example",
        "ADA@XN--BCHER-KVA.EXAMPLE",
        "ada@ｂücher.example",
        "ada@bu\u0308cher.example",
    ],
)
def test_an_internationalised_domain_is_stored_in_its_unicode_form(given):
    assert normalise_email(given) == "ada@bücher.example"


def test_a_subdomain_label_in_punycode_is_decoded_too():
    assert normalise_email("ada@mail.xn--bcher-kva.example") == "ada@mail.bücher.example"


def test_an_xn_label_that_is_no_punycode_is_kept_as_written():
    assert normalise_email("ada@xn--zz.example") == "ada@xn--zz.example"


def test_both_spellings_of_a_domain_are_one_lead(db):
    first = capture_lead(email="ada@bücher.example", first_name="Ada").lead
    second = capture_lead(email="ada@xn--bcher-kva.example", company="Bücher").lead

    assert second.pk == first.pk
    assert Lead.objects.get().email == "ada@bücher.example"
    assert Lead.objects.get().company == "Bücher"


def test_both_spellings_in_one_batch_are_one_lead(db):
    result = capture_leads(
        [{"email": "ada@xn--bcher-kva.example"}, {"email": "Ada@Bücher.example"}]
    )

    assert [row.status for row in result.rows] == ["created", "updated"]
    assert Lead.objects.count() == 1


def test_a_lead_is_found_by_the_punycode_of_its_email(db):
    lead = capture_lead(email="ada@bücher.example").lead

    assert lead_for_email(normalise_email("ada@xn--bcher-kva.example")) == lead


@pytest.mark.parametrize("size", [float("nan"), float("inf"), Decimal("NaN"), Decimal("sNaN")])
def test_a_company_size_that_is_no_number_is_a_field_error(db, size):
    [row] = capture_leads([{"email": "ada@acme.com", "company_size": size}]).rows

    assert row.errors == {"company_size": ["Enter a whole number."]}
