from leads.models import Lead
from leads.services import capture_lead


def test_it_captures_and_scores_a_lead_after_commit(django_capture_on_commit_callbacks, db):
    with django_capture_on_commit_callbacks(execute=True):
        result = capture_lead(
            email=" Ana@Acme.COM ",
            job_title="VP Marketing",
            company_size=300,
            country="us",
            touchpoint_kind="demo_requested",
        )
    lead = Lead.objects.get(pk=result.lead.pk)
    assert lead.email == "ana@acme.com"
    assert lead.score == 20 + 15 + 5 + 40
    assert lead.stage == "mql"
    assert lead.handoffs.get().status == "open"
