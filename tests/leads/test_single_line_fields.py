"""A lead's fields are single lines: line breaks and control characters in a capture
become spaces, so a name never breaks a list, a notification or an email."""

from leads.models import Lead
from leads.services import capture_lead, capture_leads


def test_a_line_break_in_a_name_becomes_a_space(db):
    lead = capture_lead(
        email="ada@example.com", first_name="Ada\r\nBcc: x@evil.test", last_name="Love\tlace"
    ).lead

    assert (lead.first_name, lead.last_name) == ("Ada Bcc: x@evil.test", "Love lace")


def test_other_control_characters_are_taken_out_of_a_batch_too(db):
    capture_leads(
        [{"email": "bo@example.com", "company": "Acme\x1b[31m Inc\u2028", "utm_source": "a\x85b"}]
    )

    stored = Lead.objects.get(email="bo@example.com")
    assert (stored.company, stored.utm_source) == ("Acme [31m Inc", "a b")
