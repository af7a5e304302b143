"""Column mapping: guesses from the export headers of HubSpot, Salesforce and Mautic, the
checks on a mapping people send, and how a row's cells become capture arguments."""

import pytest
from django.core.exceptions import ValidationError

from leads.imports.mapping import (
    check_mapping,
    columns_of,
    country_code,
    guess_mapping,
    parse_company_size,
    row_to_capture,
)
from tests.imports.conftest import HUBSPOT_HEADERS


def test_it_maps_a_hubspot_contact_export():
    assert guess_mapping(HUBSPOT_HEADERS) == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Phone Number": "phone",
        "Company Name": "company",
        "Job Title": "job_title",
        "Country/Region": "country",
        "Number of Employees": "company_size",
        "Industry": "industry",
        "Original Source": "utm_source",
    }


def test_it_maps_a_salesforce_lead_export():
    headers = [
        "Lead ID",
        "Salutation",
        "First Name",
        "Last Name",
        "Title",
        "Company",
        "Email",
        "Phone",
        "Mobile",
        "Lead Source",
        "Industry",
        "No. of Employees",
        "Country",
        "Lead Status",
    ]
    assert guess_mapping(headers) == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Title": "job_title",
        "Company": "company",
        "Email": "email",
        "Phone": "phone",
        "Lead Source": "utm_source",
        "Industry": "industry",
        "No. of Employees": "company_size",
        "Country": "country",
    }


def test_it_maps_a_salesforce_contact_report_with_account_names():
    headers = ["First Name", "Last Name", "Account Name", "Email Address", "Mobile Phone"]
    assert guess_mapping(headers) == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Account Name": "company",
        "Email Address": "email",
        "Mobile Phone": "phone",
    }


def test_it_maps_a_mautic_export_by_its_field_aliases():
    headers = ["id", "email", "firstname", "lastname", "company", "position", "mobile", "country"]
    assert guess_mapping(headers) == {
        "email": "email",
        "firstname": "first_name",
        "lastname": "last_name",
        "company": "company",
        "position": "job_title",
        "mobile": "phone",
        "country": "country",
    }


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("E-mail", "email"),
        ("  EMAIL ADDRESS ", "email"),
        ("Firstname", "first_name"),
        ("first_name", "first_name"),
        ("Company Name", "company"),
        ("Employees", "company_size"),
        ("utm_campaign", "utm_campaign"),
        ("UTM Source", "utm_source"),
        ("utm-medium", "utm_medium"),
        ("Marketing consent", "consent"),
        ("Consent", "consent"),
    ],
)
def test_it_ignores_case_spaces_and_punctuation_in_headers(header, field):
    assert guess_mapping([header]) == {header: field}


def test_it_leaves_unknown_columns_unmapped():
    assert guess_mapping(["Email", "Favourite colour", "Lifecycle Stage"]) == {"Email": "email"}


def test_it_fills_a_field_from_the_better_ranked_of_two_columns():
    headers = ["Mobile Phone", "Phone Number"]
    assert guess_mapping(headers) == {"Phone Number": "phone"}


def test_it_splits_a_full_name_only_when_there_are_no_name_columns():
    assert guess_mapping(["Name", "Email"]) == {"Name": "full_name", "Email": "email"}
    assert guess_mapping(["Name", "First Name", "Email"]) == {
        "First Name": "first_name",
        "Email": "email",
    }


def test_a_mapping_needs_an_email_column():
    with pytest.raises(ValidationError) as error:
        check_mapping({"Company": "company"}, ["Email", "Company"])
    assert error.value.messages == ["Map a column to email: every lead needs one."]


def test_a_mapping_names_only_columns_of_the_file_and_known_fields():
    with pytest.raises(ValidationError) as error:
        check_mapping(
            {"Email": "email", "Fax": "phone", "Company": "revenue"}, ["Email", "Company"]
        )
    assert error.value.messages == [
        "The file has no column “Fax”.",
        "“revenue” is not a lead field (column “Company”).",
    ]


def test_a_mapping_fills_each_field_from_one_column():
    with pytest.raises(ValidationError) as error:
        check_mapping({"Email": "email", "Work email": "email"}, ["Email", "Work email"])
    assert error.value.messages == ["Both “Email” and “Work email” fill email."]


def test_a_mapping_drops_ignored_columns_and_keeps_file_order():
    mapping = check_mapping(
        {"Company": "company", "Notes": "ignore", "Email": "email", "Other": ""},
        ["Email", "Notes", "Company", "Other"],
    )
    assert list(mapping.items()) == [("Email", "email"), ("Company", "company")]


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("de", "DE"),
        ("Germany", "DE"),
        ("United States", "US"),
        ("USA", "US"),
        ("UK", "GB"),
        ("The Netherlands", "NL"),
        ("Narnia", None),
    ],
)
def test_it_reads_countries_as_codes_or_names(value, code):
    assert country_code(value) == code


@pytest.mark.parametrize(
    ("value", "size"),
    [("250", 250), ("1,200", 1200), ("51-200", 51), ("10000+", 10000), ("lots", None)],
)
def test_it_reads_company_sizes_as_exports_write_them(value, size):
    assert parse_company_size(value) == size


def test_a_row_becomes_capture_arguments_without_empty_cells():
    headers = ["Email", "Name", "Country", "Employees", "Consent", "Industry"]
    columns = columns_of(
        {
            "Email": "email",
            "Name": "full_name",
            "Country": "country",
            "Employees": "company_size",
            "Consent": "consent",
            "Industry": "industry",
        },
        headers,
    )
    data, errors = row_to_capture(
        [" ada@example.com ", "Lovelace, Ada", "United Kingdom", "1,000", "Yes", ""], columns
    )
    assert errors == {}
    assert data == {
        "email": "ada@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "country": "GB",
        "company_size": 1000,
        "consent": True,
    }


def test_a_row_reports_every_value_it_cannot_read():
    columns = columns_of(
        {"Email": "email", "Country": "country", "Consent": "consent"},
        ["Email", "Country", "Consent"],
    )
    data, errors = row_to_capture(["", "Atlantis", "perhaps"], columns)
    assert errors == {
        "email": ["No email in this row."],
        "country": ["Unknown country “Atlantis”."],
        "consent": ["“perhaps” is not a yes or a no."],
    }


def test_a_short_row_reads_its_missing_cells_as_empty():
    columns = columns_of({"Email": "email", "Company": "company"}, ["Email", "Company"])
    assert row_to_capture(["a@example.com"], columns) == ({"email": "a@example.com"}, {})
