"""The mapping guessed from the column labels of real lead and contact exports (Salesforce
reports, HubSpot, Mautic, Pipedrive), and a failed row that tells all that is wrong with it."""

import pytest

from leads.imports.mapping import columns_of, guess_mapping, header_field, row_to_capture

SALESFORCE_LEAD_REPORT = [
    "First Name",
    "Last Name",
    "Title",
    "Company / Account",
    "Email",
    "Lead Source",
    "Lead Status",
    "Phone",
    "Mobile",
    "Street",
    "City",
    "State/Province",
    "Zip/Postal Code",
    "Country",
    "Industry",
    "No. of Employees",
    "Annual Revenue",
    "Lead Owner",
    "Created Date",
    "Description",
    "Rating",
    "Website",
]

HUBSPOT_CONTACTS = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Job Title",
    "Company Name",
    "Phone Number",
    "Number of Employees",
    "Country/Region",
    "Lifecycle Stage",
    "Lead Status",
    "Original Source",
    "Create Date",
    "Contact owner",
    "Message",
]

MAUTIC_ALIASES = [
    "id",
    "title",
    "firstname",
    "lastname",
    "email",
    "company",
    "position",
    "phone",
    "mobile",
    "country",
    "points",
    "stage",
    "dateAdded",
]

MAUTIC_LABELS = [
    "Title",
    "First Name",
    "Last Name",
    "Email",
    "Primary company",
    "Position",
    "Phone",
    "Mobile",
    "Country",
    "Points",
    "Stage",
    "Date Added",
]

PIPEDRIVE_PEOPLE = [
    "Person - ID",
    "Person - Name",
    "Person - Label",
    "Person - Organization",
    "Person - Email - Work",
    "Person - Email - Home",
    "Person - Phone - Mobile",
    "Person - Phone - Work",
    "Person - Job title",
    "Person - Owner",
    "Organization - Name",
    "Organization - Number of employees",
    "Organization - Industry",
    "Organization - Address - Country",
]

PIPEDRIVE_LEADS = [
    "Lead - Title",
    "Lead - Owner",
    "Lead - Source",
    "Lead - Value",
    "Lead - Labels",
    "Lead - Created",
    "Person - First name",
    "Person - Last name",
    "Person - Email",
    "Person - Phone",
    "Organization - Name",
]


def test_it_maps_a_salesforce_lead_report_by_its_page_labels():
    assert guess_mapping(SALESFORCE_LEAD_REPORT) == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Title": "job_title",
        "Company / Account": "company",
        "Email": "email",
        "Lead Source": "utm_source",
        "Phone": "phone",
        "Country": "country",
        "Industry": "industry",
        "No. of Employees": "company_size",
        "Description": "note",
    }


def test_it_maps_a_hubspot_contacts_export_with_the_visitors_message():
    assert guess_mapping(HUBSPOT_CONTACTS) == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Job Title": "job_title",
        "Company Name": "company",
        "Phone Number": "phone",
        "Number of Employees": "company_size",
        "Country/Region": "country",
        "Original Source": "utm_source",
        "Message": "note",
    }


def test_a_mautic_export_takes_the_position_as_job_title_not_the_salutation():
    assert guess_mapping(MAUTIC_ALIASES) == {
        "firstname": "first_name",
        "lastname": "last_name",
        "email": "email",
        "company": "company",
        "position": "job_title",
        "phone": "phone",
        "country": "country",
    }


def test_it_maps_a_mautic_export_by_its_labels():
    assert guess_mapping(MAUTIC_LABELS) == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Primary company": "company",
        "Position": "job_title",
        "Phone": "phone",
        "Country": "country",
    }


def test_it_maps_a_pipedrive_people_export_through_its_prefixes():
    assert guess_mapping(PIPEDRIVE_PEOPLE) == {
        "Person - Name": "full_name",
        "Person - Email - Work": "email",
        "Person - Phone - Work": "phone",
        "Person - Job title": "job_title",
        "Organization - Name": "company",
        "Organization - Number of employees": "company_size",
        "Organization - Industry": "industry",
        "Organization - Address - Country": "country",
    }


def test_a_pipedrive_leads_title_is_the_records_name_not_a_job_title():
    assert guess_mapping(PIPEDRIVE_LEADS) == {
        "Lead - Source": "utm_source",
        "Person - First name": "first_name",
        "Person - Last name": "last_name",
        "Person - Email": "email",
        "Person - Phone": "phone",
        "Organization - Name": "company",
    }


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("\ufeffEmail", "email"),
        ("\ufeff\ufeffFirst Name", "first_name"),
        ("E-MAIL-ADDRESS", "email"),
        ("Company\u00a0/\u00a0Account", "company"),
        ("# of Employees", "company_size"),
        ("Contact: Email", "email"),
        ("Account: Account Name", "company"),
        ("Account – Industry", "industry"),
        ("person - email - other", "email"),
        ("PERSON — PHONE — HOME", "phone"),
    ],
)
def test_headers_match_whatever_their_case_punctuation_marks_and_prefixes(header, field):
    assert header_field(header)[0] == field


@pytest.mark.parametrize(
    "header",
    [
        "Lead - Title",
        "Lead Status",
        "Lead Owner",
        "Contact owner",
        "Organization - Owner",
        "Organization - Phone",  # the switchboard, not the person's number
        "Email Opt Out",  # consent the other way round: left for a person to decide
        "Record ID",
        "Created Date",
    ],
)
def test_columns_that_fill_no_lead_field_stay_unmapped(header):
    assert header_field(header) is None


def test_a_person_prefix_does_not_hide_a_better_column():
    assert guess_mapping(["Person - Phone - Mobile", "Person - Phone - Work"]) == {
        "Person - Phone - Work": "phone"
    }


def test_a_failed_row_tells_every_problem_in_column_order():
    headers = ["Email", "Country", "Name", "Employees"]
    columns = columns_of(
        {"Email": "email", "Country": "country", "Name": "full_name", "Employees": "company_size"},
        headers,
    )
    data, errors = row_to_capture(["ada@", "Narnia", "A" * 120 + " Lovelace", "lots"], columns)
    assert list(errors) == ["email", "country", "first_name", "company_size"]
    assert errors["email"] == ["Enter a valid email address."]
    assert errors["country"] == ["Unknown country “Narnia”."]
    assert errors["first_name"][0].startswith("Ensure this value has at most")
    assert errors["company_size"] == ["“lots” is not a number of employees."]


def test_a_row_without_email_still_tells_its_other_problems():
    columns = columns_of({"Email": "email", "Last": "last_name"}, ["Email", "Last"])
    _, errors = row_to_capture(["", "L" * 150], columns)
    assert errors["email"] == ["No email in this row."]
    assert errors["last_name"][0].startswith("Ensure this value has at most")


def test_a_message_column_becomes_the_touchpoints_note():
    columns = columns_of({"Email": "email", "Message": "note"}, ["Email", "Message"])
    data, errors = row_to_capture(["ada@example.com", " Please book us a demo. "], columns)
    assert (data, errors) == ({"email": "ada@example.com", "note": "Please book us a demo."}, {})
