"""A CSV import in a real browser: upload, fix a mapping, preview, import, read the report.

Set ``E2E_SCREENSHOTS=<folder>`` to also save screenshots of each step.
"""

import csv
import io

import pytest
from playwright.sync_api import expect

from leads.imports.models import LeadImport
from leads.models import Lead

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A HubSpot export from a German account: "Firma" is a column no guess knows.
HEADERS = ["Record ID", "First Name", "Last Name", "Email", "Firma", "Job Title", "Country/Region"]
ROWS = [
    ["101", "Lena", "Fischer", "lena.fischer@tailspin.example", "Tailspin Toys", "CMO", "Germany"],
    ["102", "Tom", "Berg", "tom.berg@contoso.example", "Contoso", "Analyst", "Sweden"],
    ["103", "Mei", "Lin", "mei.lin(at)fabrikam.example", "Fabrikam", "VP Sales", "Taiwan"],
    ["104", "Omar", "Haddad", "omar@globex.example", "Globex", "Engineer", "United States"],
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def export() -> bytes:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows([HEADERS, *ROWS])
    return b"\xef\xbb\xbf" + text.getvalue().encode()


def test_a_marketer_imports_a_hubspot_export(open_as, live_server, shots, marketer):
    page = open_as("mia")
    page.get_by_role("link", name="Leads").first.click()
    page.get_by_role("link", name="Import CSV").click()
    expect(page.get_by_role("heading", name="Import leads")).to_be_visible()
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "hubspot-contacts.csv", "mimeType": "text/csv", "buffer": export()}]
    )
    shots.take(page, "import-1-upload")
    page.get_by_role("button", name="Upload and map columns").click()

    # The guesses are in place; the unknown column is ignored until the marketer maps it.
    expect(page.get_by_role("heading", name="Map columns")).to_be_visible()
    expect(page.get_by_label("Email", exact=True)).to_have_value("email")
    expect(page.get_by_label("Country/Region")).to_have_value("country")
    expect(page.get_by_label("Firma")).to_have_value("")
    preview = page.locator("#preview")
    expect(preview).to_contain_text("lena.fischer@tailspin.example")
    expect(preview).not_to_contain_text("Tailspin Toys")
    expect(preview.locator("tr.row--invalid")).to_have_count(1)
    expect(preview.locator("tr.row--invalid")).to_contain_text("Enter a valid email address.")

    page.get_by_label("Firma").select_option("company")
    expect(preview).to_contain_text("Tailspin Toys")
    shots.take(page, "import-2-mapping-and-preview")

    page.get_by_role("button", name="Start import of 4 rows").click()
    expect(page.get_by_role("heading", name="hubspot-contacts.csv")).to_be_visible()
    expect(page.locator('[data-count="created"]')).to_have_text("3")
    expect(page.locator('[data-count="failed"]')).to_have_text("1")
    failures = page.locator("#failures")
    expect(failures).to_contain_text("mei.lin(at)fabrikam.example")
    expect(failures).to_contain_text("Email: Enter a valid email address.")
    expect(failures.get_by_role("link", name="Download errors.csv")).to_be_visible()
    shots.take(page, "import-3-report")

    if shots:
        # A long import half-way through, as its progress page shows it.
        running = LeadImport.objects.get()
        running.pk = running.job = running.finished_at = None
        running.status, running.total, running.processed = "running", 100_000, 42_000
        running.created, running.merged, running.failed = 40_950, 1_000, 50
        running.save()
        page.goto(f"{live_server.url}/leads/import/{running.pk}/")
        expect(page.locator("#progress")).to_contain_text("42,000")
        shots.take(page, "import-4-progress")
        running.delete()

    assert LeadImport.objects.get().status == "done"
    lena = Lead.objects.get(email="lena.fischer@tailspin.example")
    assert (lena.company, lena.country) == ("Tailspin Toys", "DE")
    assert Lead.objects.count() == 3
