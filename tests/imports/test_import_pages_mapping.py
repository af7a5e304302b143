"""The mapping page makes a missed column easy to fix; the report tells every reason the
preview told; a binary upload is refused with what to upload instead (page and API)."""

import json
import re
import zipfile
from io import BytesIO

from django.urls import reverse

from leads.imports import services
from leads.imports.models import LeadImport
from leads.models import Lead, Touchpoint
from tests.imports.conftest import HUBSPOT_HEADERS, csv_bytes, hubspot_row, upload
from tests.imports.test_csvfile_reports import salesforce_report

BOTH_REASONS = (
    "Email: Enter a valid email address. Number of Employees: “lots” is not a number of employees."
)


def a_draft(user, data: bytes) -> LeadImport:
    return services.create_import(file=upload(data), by=user)


def mapping_url(lead_import: LeadImport) -> str:
    return reverse("leads:import_mapping", args=[lead_import.pk])


def ran(lead_import: LeadImport, user) -> LeadImport:
    services.start_import(lead_import, by=user)
    services.run_import(lead_import.pk)
    lead_import.refresh_from_db()
    return lead_import


def xlsx() -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<?xml version='1.0'?><Types/>")
        archive.writestr("xl/workbook.xml", "<?xml version='1.0'?><workbook/>")
    return buffer.getvalue()


def column_headers(page: str) -> list[str]:
    """The column names of the mapping table, in the order the page lists them."""
    return re.findall(r'<label for="id_column_\d+">([^<]*)</label>', page)


def test_a_salesforce_report_upload_counts_its_leads_not_its_footer(client, marketer):
    client.force_login(marketer)
    response = client.post(
        reverse("leads:import"), {"file": upload(salesforce_report(3), "report1742.csv")}
    )
    lead_import = LeadImport.objects.get()
    assert response["Location"] == mapping_url(lead_import)
    assert lead_import.total == 3
    assert lead_import.mapping["Company / Account"] == "company"
    page = client.get(mapping_url(lead_import)).content.decode()
    assert "Start import of 3 rows" in page
    assert "Grand Totals" not in page


def test_a_salesforce_report_imports_every_lead_and_fails_no_footer_line(marketer):
    lead_import = ran(a_draft(marketer, salesforce_report(3)), marketer)
    assert (lead_import.total, lead_import.created, lead_import.failed) == (3, 3, 0)
    lead = Lead.objects.get(email="ada1@engines.example")
    assert (lead.company, lead.job_title, lead.country, lead.company_size) == (
        "Analytical Engines Ltd",
        "Head of Analytics",
        "GB",
        250,
    )
    note = Touchpoint.objects.filter(lead=lead).values_list("note", flat=True).get()
    assert note == "Asked for a demo, for the team in London"


def test_columns_no_field_takes_are_listed_first_with_their_values(client, marketer):
    lead_import = a_draft(marketer, salesforce_report(3))
    page = client_page(client, marketer, lead_import)
    listed = column_headers(page)
    unmapped = [h for h in lead_import.headers if h not in lead_import.mapping]
    assert listed[: len(unmapped)] == unmapped
    assert set(listed[len(unmapped) :]) == set(lead_import.mapping)
    assert f"{len(unmapped)} of 22 not mapped, listed first" in page
    assert page.count(">Not mapped</span>") == len(unmapped)
    # The values of a column the guess left out, to tell what it holds.
    row = re.search(r'for="id_column_\d+">City</label>.*?</tr>', page, re.DOTALL).group(0)
    assert "London" in row


def client_page(client, user, lead_import: LeadImport) -> str:
    client.force_login(user)
    response = client.get(mapping_url(lead_import))
    assert response.status_code == 200
    return response.content.decode()


def german_file() -> bytes:
    return csv_bytes(
        [
            ["Vorname", "Nachname", "Kontakt", "Firma"],
            ["Jürgen", "Müller", "juergen@mueller.example", "Müller GmbH"],
            ["Anna", "Schmidt", "anna@schmidt.example", "Schmidt AG"],
        ]
    )


def test_a_note_says_so_when_no_column_is_mapped_to_email(client, marketer):
    lead_import = a_draft(marketer, german_file())
    assert "email" not in lead_import.mapping.values()
    page = client_page(client, marketer, lead_import)
    assert "No column is mapped to email." in page
    assert "“Kontakt” holds addresses such as juergen@mueller.example" in page


def test_the_note_names_no_column_when_none_holds_addresses(client, marketer):
    data = csv_bytes([["Vorname", "Firma"], ["Jürgen", "Müller GmbH"]])
    page = client_page(client, marketer, a_draft(marketer, data))
    assert "No column is mapped to email." in page
    assert "choose “Email” for the column that holds them" in page


def test_no_note_when_the_email_column_is_mapped(client, marketer):
    data = csv_bytes([HUBSPOT_HEADERS, hubspot_row(1)])
    page = client_page(client, marketer, a_draft(marketer, data))
    assert "No column is mapped to email." not in page
    assert '<div id="email-note" hidden></div>' in page


def test_mapping_the_email_column_hides_the_note_in_place(client, marketer):
    lead_import = a_draft(marketer, german_file())
    client.force_login(marketer)
    response = client.post(
        mapping_url(lead_import),
        {"column_0": "", "column_1": "", "column_2": "email", "column_3": "", "action": "preview"},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="preview"')
    assert '<div id="email-note" hidden hx-swap-oob="true"></div>' in page
    assert "juergen@mueller.example" in page
    # What the table says of each column follows the selects, which stay as they are.
    assert '<span id="column-status-2" hx-swap-oob="true"></span>' in page
    assert re.search(r'id="column-status-3" hx-swap-oob="true">.*Not mapped', page)
    assert "3 of 4 not mapped, listed first" in page
    assert "<select" not in page


def test_unmapping_the_email_column_shows_the_note_in_place(client, marketer):
    lead_import = a_draft(marketer, csv_bytes([HUBSPOT_HEADERS, hubspot_row(1)]))
    client.force_login(marketer)
    data = {
        f"column_{n}": "" if header == "Email" else lead_import.mapping.get(header, "")
        for n, header in enumerate(lead_import.headers)
    }
    page = client.post(mapping_url(lead_import), data, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="email-note" class="card__body" hx-swap-oob="true"' in page
    assert "“Email” holds addresses such as person1@example.com" in page


def test_the_mapping_page_costs_a_fixed_number_of_queries(
    client, marketer, django_assert_max_num_queries
):
    lead_import = a_draft(marketer, salesforce_report(10))
    client.force_login(marketer)
    with django_assert_max_num_queries(8):
        assert client.get(mapping_url(lead_import)).status_code == 200


def two_problems_file() -> bytes:
    return csv_bytes(
        [
            HUBSPOT_HEADERS,
            hubspot_row(1),
            hubspot_row(2, Email="not-an-email", **{"Number of Employees": "lots"}),
        ]
    )


def test_the_preview_tells_both_problems_of_a_row(client, marketer):
    page = client_page(client, marketer, a_draft(marketer, two_problems_file()))
    assert "<li>Email: Enter a valid email address.</li>" in page
    assert "<li>Number of Employees: “lots” is not a number of employees.</li>" in page


def test_the_report_page_tells_every_reason_the_preview_told(client, marketer):
    lead_import = ran(a_draft(marketer, two_problems_file()), marketer)
    client.force_login(marketer)
    page = client.get(reverse("leads:import_detail", args=[lead_import.pk])).content.decode()
    assert f"<td>{BOTH_REASONS}</td>" in page
    assert ".;" not in page


def test_errors_csv_tells_every_reason_joined_as_sentences(client, manager):
    lead_import = ran(a_draft(manager, two_problems_file()), manager)
    client.force_login(manager)
    response = client.get(reverse("leads:import_errors_csv", args=[lead_import.pk]))
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[1].endswith(f",3,{BOTH_REASONS}")


def test_the_api_lists_every_reason_of_a_failed_row(api_as, marketer):
    lead_import = ran(a_draft(marketer, two_problems_file()), marketer)
    body = api_as(marketer).get(f"/api/v1/imports/{lead_import.pk}/").json()
    assert body["errors"] == [
        {
            "row": 3,
            "errors": {
                "email": ["Enter a valid email address."],
                "company_size": ["“lots” is not a number of employees."],
            },
        }
    ]


def test_an_excel_workbook_is_refused_on_the_form_with_what_to_upload(client, marketer):
    client.force_login(marketer)
    response = client.post(reverse("leads:import"), {"file": upload(xlsx(), "leads.xlsx")})
    page = response.content.decode()
    assert response.status_code == 422
    assert "This is an Excel workbook (.xlsx), not a CSV file." in page
    assert "File &gt; Save As &gt; CSV UTF-8" in page
    assert not LeadImport.objects.exists()


def test_a_binary_file_is_refused_by_the_api_with_what_to_upload(api_as, marketer):
    response = api_as(marketer).post(
        "/api/v1/imports/",
        {"file": upload(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "leads.png")},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json() == {
        "file": [
            "This is an image, not a CSV file. Upload a CSV file: in Excel, File > Save As > "
            "CSV UTF-8 (Comma delimited); in Google Sheets, File > Download > "
            "Comma-separated values (.csv)."
        ]
    }
    assert not LeadImport.objects.exists()


def test_a_given_mapping_may_send_messages_to_the_note(api_as, marketer):
    data = csv_bytes([["Email", "Message"], ["ada@example.com", "Call me on Monday"]])
    response = api_as(marketer).post(
        "/api/v1/imports/",
        {"file": upload(data), "mapping": json.dumps({"Email": "email", "Message": "note"})},
        format="multipart",
    )
    assert response.status_code == 202
    assert response.json()["mapping"] == {"Email": "email", "Message": "note"}
