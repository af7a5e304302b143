"""“What do you need?” on the web form: the visitor's answer is kept in their words, and
asking for a demo is a demo request, scored as one."""

import json

import pytest
from django.urls import reverse

from leads.models import Lead, Stage, Touchpoint
from tests.factories import CampaignFactory


@pytest.fixture
def demo_form(marketer):
    return CampaignFactory(
        name="Demo days",
        owner=marketer,
        form_fields={
            "first_name": "required",
            "company_size": "optional",
            "need": "required",
            "message": "optional",
        },
    )


def send(client, campaign, **answers):
    data = {"email": "lena.fischer@tailspin.example", "first_name": "Lena", **answers}
    return client.post(reverse("capture:form", args=[campaign.form_key]), data)


def test_the_form_asks_what_the_visitor_needs(client, demo_form):
    page = client.get(reverse("capture:form", args=[demo_form.form_key])).content.decode()

    assert '<label for="id_need">What do you need?' in page
    assert '<option value="demo">A demo</option>' in page
    assert '<option value="pricing">Pricing for my team</option>' in page


def test_asking_for_a_demo_is_a_demo_request_next_to_the_form(client, demo_form):
    send(client, demo_form, need="demo")

    kinds = list(Touchpoint.objects.order_by("id").values_list("kind", "campaign"))
    assert kinds == [("form_submitted", demo_form.pk), ("demo_requested", demo_form.pk)]


def test_other_needs_are_the_form_alone(client, demo_form):
    send(client, demo_form, need="pricing")

    assert list(Touchpoint.objects.values_list("kind", flat=True)) == ["form_submitted"]


def test_the_answer_and_the_message_are_kept_in_the_visitors_words(client, demo_form):
    send(client, demo_form, need="demo", message="Please book us a demo next week.")

    note = Touchpoint.objects.get(kind="form_submitted").note
    assert note == "What do you need? A demo. Please book us a demo next week."


def test_a_form_without_the_question_keeps_the_message_alone(client, campaign):
    send(client, campaign, message="  Call me after five.  ")

    assert Touchpoint.objects.get().note == "Call me after five."


def test_the_answer_must_be_one_of_the_choices(client, demo_form):
    response = client.post(
        reverse("capture:form", args=[demo_form.form_key]),
        json.dumps({"email": "lena@tailspin.example", "first_name": "Lena", "need": "a pony"}),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert "need" in response.json()
    assert not Lead.objects.exists()


def test_a_required_question_left_unanswered_is_refused(client, demo_form):
    response = send(client, demo_form)

    assert response.status_code == 400
    assert 'id="id_need_error"' in response.content.decode()


def test_a_demo_request_scores_as_one_and_makes_an_mql(
    client, demo_form, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(client, demo_form, need="demo")

    lead = Lead.objects.get()
    rules = [row["rule"] for row in lead.score_breakdown]
    assert "Demo requested" in rules and "Form submitted" in rules
    assert (lead.engagement_score, lead.stage) == (50, Stage.MQL)


def test_the_company_size_is_kept_as_the_bands_smallest_number(client, demo_form):
    send(client, demo_form, need="information", company_size="201")

    assert Lead.objects.get().company_size == 201


def test_the_embed_script_asks_the_question_too(client, demo_form):
    response = client.get(reverse("capture:embed", args=[demo_form.form_key]))

    last_line = response.content.decode().strip().splitlines()[-1]
    config = json.loads(last_line.removeprefix("})(").removesuffix(");"))
    need = next(field for field in config["fields"] if field["name"] == "need")
    assert need["type"] == "select" and need["required"] is True
    assert ["demo", "A demo"] in need["choices"]
