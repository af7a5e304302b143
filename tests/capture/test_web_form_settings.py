"""Marketing and managers set up a campaign's web form on the campaign's edit page."""

from django.test import Client
from django.urls import reverse

from campaigns.models import Campaign


def edit(user, campaign, **web):
    browser = Client()
    browser.force_login(user)
    data = {
        "name": campaign.name,
        "channel": campaign.channel,
        "status": campaign.status,
        "starts_on": campaign.starts_on.isoformat(),
        "ends_on": "",
        "budget": str(campaign.budget),
        "utm_campaign": campaign.utm_campaign,
        "target_leads": "0",
        "target_mqls": "0",
        "objective": "",
        "web-form_headline": "Save your seat",
        "web-form_intro": "",
        "web-form_button_label": "Register",
        "web-form_redirect_url": "",
        "web-form_consent_text": "You may email me.",
        "web-form_thank_you": "See you there.",
        "web-ask_first_name": "required",
        "web-ask_last_name": "optional",
        "web-ask_company": "hidden",
        "web-ask_job_title": "optional",
        "web-ask_phone": "hidden",
        "web-ask_country": "hidden",
        "web-ask_company_size": "hidden",
        "web-ask_message": "hidden",
        "web-ask_consent": "required",
    }
    data.update({f"web-{name}": value for name, value in web.items()})
    return browser.post(reverse("campaigns:edit", args=[campaign.pk]), data)


def test_a_marketer_chooses_the_fields_of_the_form(marketer, campaign):
    response = edit(marketer, campaign)

    campaign.refresh_from_db()
    assert response.status_code == 302
    assert campaign.form_fields == {
        "first_name": "required",
        "last_name": "optional",
        "job_title": "optional",
        "consent": "required",
    }


def test_a_marketer_sets_the_words_of_the_form(marketer, campaign):
    edit(marketer, campaign)

    campaign.refresh_from_db()
    assert campaign.form_headline == "Save your seat"
    assert campaign.form_button_label == "Register"
    assert campaign.form_consent_text == "You may email me."
    assert campaign.form_thank_you == "See you there."


def test_a_manager_may_set_up_the_form_too(manager, campaign):
    response = edit(manager, campaign, form_redirect_url="https://www.example.com/thanks")

    campaign.refresh_from_db()
    assert response.status_code == 302
    assert campaign.form_redirect_url == "https://www.example.com/thanks"


def test_a_rep_may_not_change_the_form(rep, campaign):
    response = edit(rep, campaign)

    campaign.refresh_from_db()
    assert response.status_code == 403
    assert campaign.form_headline == ""


def test_a_redirect_url_must_be_a_web_address(marketer, campaign):
    response = edit(marketer, campaign, form_redirect_url="ftp://files.example.com/thanks")

    campaign.refresh_from_db()
    assert response.status_code == 400
    assert 'id="id_web-form_redirect_url_error"' in response.content.decode()
    assert campaign.form_redirect_url == ""


def test_a_script_address_is_no_redirect_url(marketer, campaign):
    response = edit(marketer, campaign, form_redirect_url="javascript:alert(1)")

    assert response.status_code == 400
    assert Campaign.objects.get(pk=campaign.pk).form_redirect_url == ""


def test_a_consent_checkbox_needs_its_words(marketer, campaign):
    response = edit(marketer, campaign, form_consent_text="  ")

    body = response.content.decode()
    assert response.status_code == 400
    assert "A form with a consent checkbox needs its wording." in body
    assert Campaign.objects.get(pk=campaign.pk).form_headline == ""


def test_a_field_use_must_be_one_of_the_choices(marketer, campaign):
    response = edit(marketer, campaign, ask_phone="mandatory")

    assert response.status_code == 400
    assert "form_fields" not in Campaign.objects.get(pk=campaign.pk).form_fields


def test_errors_in_both_forms_are_shown_at_once(marketer, campaign):
    browser = Client()
    browser.force_login(marketer)
    response = edit(marketer, campaign, form_redirect_url="ftp://x.example")
    response = browser.post(
        reverse("campaigns:edit", args=[campaign.pk]),
        {**dict(response.wsgi_request.POST.items()), "name": ""},
    )

    body = response.content.decode()
    assert 'id="id_name_error"' in body
    assert 'id="id_web-form_redirect_url_error"' in body


def test_the_edit_page_shows_the_current_choices(client, marketer, campaign):
    client.force_login(marketer)

    response = client.get(reverse("campaigns:edit", args=[campaign.pk]))

    web = response.context["web"]
    assert web["ask_first_name"].value() == "required"
    assert web["ask_phone"].value() == "hidden"
    assert web["form_consent_text"].value() == campaign.form_consent_text


def test_the_campaign_page_gives_marketing_the_snippets_to_paste(client, marketer, campaign):
    client.force_login(marketer)

    body = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()

    assert f"http://testserver/f/{campaign.form_key}/embed.js" in body
    assert f"data-tandem-form=&quot;{campaign.form_key}&quot;" in body
    assert "&lt;noscript&gt;" in body
    assert f"http://testserver/f/{campaign.form_key}/?embed=1" in body


def test_a_rep_sees_the_link_to_the_form_but_no_snippets(client, rep, campaign):
    client.force_login(rep)

    body = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()

    assert f'href="/f/{campaign.form_key}/"' in body
    assert "embed.js" not in body


def test_a_post_without_the_web_form_fields_keeps_the_web_form_as_it_was(marketer, campaign):
    browser = Client()
    browser.force_login(marketer)
    data = {
        "name": "Spring webinar, second run",
        "channel": campaign.channel,
        "status": campaign.status,
        "starts_on": campaign.starts_on.isoformat(),
        "budget": str(campaign.budget),
        "utm_campaign": campaign.utm_campaign,
        "target_leads": "0",
        "target_mqls": "0",
    }
    fields_before = campaign.form_fields

    response = browser.post(reverse("campaigns:edit", args=[campaign.pk]), data)

    campaign.refresh_from_db()
    assert response.status_code == 302
    assert campaign.name == "Spring webinar, second run"
    assert campaign.form_fields == fields_before
