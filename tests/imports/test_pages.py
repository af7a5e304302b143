"""Import pages: upload, mapping with preview, progress and the report, by role."""

import pytest
from django.urls import reverse

from leads.imports import services
from leads.imports.models import LeadImport
from leads.models import Lead
from tests.imports.conftest import HUBSPOT_HEADERS, csv_bytes, hubspot_file, hubspot_row, upload


def login(client, user):
    client.force_login(user)
    return client


def a_draft(user, data: bytes | None = None) -> LeadImport:
    return services.create_import(file=upload(data or hubspot_file(3)), by=user)


def mapping_post(lead_import: LeadImport, action: str, **changes: str) -> dict:
    """The mapping form as the page sends it: one select per column."""
    data = {
        f"column_{n}": changes.get(header, lead_import.mapping.get(header, ""))
        for n, header in enumerate(lead_import.headers)
    }
    return {**data, "action": action}


@pytest.mark.parametrize("persona", ["marketer", "manager"])
def test_marketing_and_managers_open_the_upload_page(client, persona, request):
    response = login(client, request.getfixturevalue(persona)).get(reverse("leads:import"))
    assert response.status_code == 200
    assert b"Upload and map columns" in response.content


def test_sales_cannot_open_the_import_pages(client, rep, marketer):
    lead_import = a_draft(marketer)
    login(client, rep)
    assert client.get(reverse("leads:import")).status_code == 403
    assert client.get(reverse("leads:import_mapping", args=[lead_import.pk])).status_code == 403
    assert client.get(reverse("leads:import_detail", args=[lead_import.pk])).status_code == 403


def test_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("leads:import"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_lead_list_offers_the_import_to_marketing_only(client, marketer, rep):
    assert reverse("leads:import").encode() in login(client, marketer).get("/leads/").content
    assert reverse("leads:import").encode() not in login(client, rep).get("/leads/").content


def test_an_upload_leads_to_the_mapping_page(client, marketer):
    response = login(client, marketer).post(
        reverse("leads:import"), {"file": upload(hubspot_file(3))}
    )
    lead_import = LeadImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:import_mapping", args=[lead_import.pk])
    assert lead_import.status == LeadImport.Status.DRAFT


def test_a_file_that_is_not_utf8_is_refused_on_the_form(client, marketer):
    response = login(client, marketer).post(
        reverse("leads:import"), {"file": upload("Email\r\nzoë@x.com\r\n".encode("latin-1"))}
    )
    assert response.status_code == 422
    assert "The file is not UTF-8 text" in response.content.decode()
    assert not LeadImport.objects.exists()


def test_the_mapping_page_shows_the_guess_and_the_preview_with_errors(client, marketer):
    data = csv_bytes([HUBSPOT_HEADERS, hubspot_row(1), hubspot_row(2, Email="oops")])
    lead_import = a_draft(marketer, data)
    response = login(client, marketer).get(reverse("leads:import_mapping", args=[lead_import.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert '<option value="email" selected>' in page
    assert "person1@example.com" in page
    assert "Enter a valid email address." in page
    assert "1 with problems" in page


def test_changing_a_select_re_renders_the_preview_alone(client, marketer):
    lead_import = a_draft(marketer)
    response = login(client, marketer).post(
        reverse("leads:import_mapping", args=[lead_import.pk]),
        mapping_post(lead_import, "preview", Industry="company", **{"Company Name": ""}),
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="preview"')
    assert "Software" in page
    lead_import.refresh_from_db()
    assert lead_import.mapping["Industry"] == "company"


def test_a_mapping_without_email_cannot_start(client, marketer):
    lead_import = a_draft(marketer)
    response = login(client, marketer).post(
        reverse("leads:import_mapping", args=[lead_import.pk]),
        mapping_post(lead_import, "start", Email=""),
    )
    assert response.status_code == 422
    assert "Map a column to email" in response.content.decode()
    lead_import.refresh_from_db()
    assert lead_import.status == LeadImport.Status.DRAFT


def test_starting_runs_the_import_and_shows_its_report(
    client, marketer, django_capture_on_commit_callbacks
):
    data = csv_bytes([HUBSPOT_HEADERS, hubspot_row(1), hubspot_row(2, Email="oops")])
    lead_import = a_draft(marketer, data)
    login(client, marketer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("leads:import_mapping", args=[lead_import.pk]),
            mapping_post(lead_import, "start"),
        )
    assert response["Location"] == reverse("leads:import_detail", args=[lead_import.pk])
    page = client.get(response["Location"]).content.decode()
    assert 'data-count="created">1<' in page
    assert 'data-count="failed">1<' in page
    assert "Email: Enter a valid email address." in page
    assert reverse("leads:import_errors_csv", args=[lead_import.pk]) in page
    assert Lead.objects.count() == 1


def test_a_started_import_no_longer_offers_its_mapping(client, marketer):
    lead_import = services.start_import(a_draft(marketer), by=marketer)
    response = login(client, marketer).get(reverse("leads:import_mapping", args=[lead_import.pk]))
    assert response["Location"] == reverse("leads:import_detail", args=[lead_import.pk])


def test_a_running_import_shows_a_polling_progress_bar(client, marketer):
    lead_import = services.start_import(a_draft(marketer), by=marketer)
    page = login(client, marketer).get(reverse("leads:import_detail", args=[lead_import.pk]))
    html = page.content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert 'role="progressbar"' in html
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in html


def test_the_progress_partial_reloads_the_page_once_the_import_is_over(client, marketer):
    lead_import = services.start_import(a_draft(marketer), by=marketer)
    url = reverse("leads:import_progress", args=[lead_import.pk])
    login(client, marketer)
    running = client.get(url, HTTP_HX_REQUEST="true")
    assert running.status_code == 200
    assert "0</strong> of 3 rows" in running.content.decode()
    services.run_import(lead_import.pk)
    finished = client.get(url, HTTP_HX_REQUEST="true")
    assert finished["HX-Refresh"] == "true"


def test_the_report_pages_through_failed_rows(client, marketer, monkeypatch):
    from leads.imports import views

    monkeypatch.setattr(views, "FAILED_ROWS_PER_PAGE", 2)
    bad = [hubspot_row(n, Email=f"bad-{n}") for n in range(1, 6)]
    lead_import = services.start_import(
        a_draft(marketer, csv_bytes([HUBSPOT_HEADERS, *bad])), by=marketer
    )
    services.run_import(lead_import.pk)
    url = reverse("leads:import_detail", args=[lead_import.pk])
    page = login(client, marketer).get(url, {"page": 3}).content.decode()
    assert "bad-5" in page
    assert "bad-1" not in page


def test_the_report_downloads_errors_csv(client, manager):
    data = csv_bytes([HUBSPOT_HEADERS, hubspot_row(1, Email="nope")])
    lead_import = services.start_import(a_draft(manager, data), by=manager)
    services.run_import(lead_import.pk)
    response = login(client, manager).get(reverse("leads:import_errors_csv", args=[lead_import.pk]))
    assert response["Content-Disposition"] == (
        f'attachment; filename="import-{lead_import.pk}-errors.csv"'
    )
    assert b"nope" in b"".join(response.streaming_content)


def test_the_upload_page_lists_recent_imports(client, marketer, manager):
    a_draft(manager)
    page = login(client, marketer).get(reverse("leads:import")).content.decode()
    assert "contacts.csv" in page
    assert "Draft" in page


def test_the_upload_page_costs_a_fixed_number_of_queries(
    client, marketer, django_assert_max_num_queries
):
    for _ in range(5):
        a_draft(marketer)
    login(client, marketer)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("leads:import")).status_code == 200


def test_the_report_costs_a_fixed_number_of_queries(
    client, marketer, django_assert_max_num_queries
):
    bad = [hubspot_row(n, Email=f"bad-{n}") for n in range(1, 30)]
    lead_import = services.start_import(
        a_draft(marketer, csv_bytes([HUBSPOT_HEADERS, *bad])), by=marketer
    )
    services.run_import(lead_import.pk)
    login(client, marketer)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("leads:import_detail", args=[lead_import.pk])).status_code == 200
