"""``leads.queries.possible_duplicates``: same name at the same company, or the same phone."""

from leads.queries import possible_duplicates
from leads.services import capture_lead
from tests.factories import LeadFactory


def captured(email, **fields):
    return capture_lead(email=email, **fields).lead


def test_the_same_name_at_the_same_company_is_a_possible_duplicate(db):
    ana = captured("ana@acme.com", first_name="Ana", last_name="Alvarez", company="Acme")
    other = captured("a.alvarez@acme.com", first_name="ANA", last_name="alvarez", company="acme")

    [found] = possible_duplicates(ana)

    assert (found.lead, found.reasons) == (other, ("Same name and company",))


def test_the_same_phone_written_differently_is_a_possible_duplicate(db):
    ana = captured("ana@acme.com", phone="+1 (555) 010-0123")
    other = captured("ana@home.net", phone="1 555 010 0123")

    [found] = possible_duplicates(ana)

    assert (found.lead, found.reasons) == (other, ("Same phone",))


def test_both_reasons_are_given_when_both_match(db):
    ana = captured(
        "ana@acme.com", first_name="Ana", last_name="Alvarez", company="Acme", phone="5550100123"
    )
    captured(
        "ana@home.net", first_name="Ana", last_name="Alvarez", company="Acme", phone="555-010-0123"
    )

    [found] = possible_duplicates(ana)

    assert found.reasons == ("Same name and company", "Same phone")


def test_a_name_without_a_company_says_too_little(db):
    ana = captured("ana@acme.com", first_name="Ana", last_name="Alvarez")
    captured("ana@home.net", first_name="Ana", last_name="Alvarez")

    assert possible_duplicates(ana) == []


def test_a_short_phone_number_says_too_little(db):
    ana = captured("ana@acme.com", phone="123")
    captured("bo@beta.io", phone="123")

    assert possible_duplicates(ana) == []


def test_another_person_at_the_same_company_is_no_duplicate(db):
    ana = captured("ana@acme.com", first_name="Ana", last_name="Alvarez", company="Acme")
    captured("bo@acme.com", first_name="Bo", last_name="Alvarez", company="Acme")

    assert possible_duplicates(ana) == []


def test_a_lead_is_not_its_own_duplicate(db):
    ana = LeadFactory(first_name="Ana", last_name="Alvarez", company="Acme")

    assert possible_duplicates(ana) == []


def test_the_duplicates_are_found_in_one_query(db, django_assert_num_queries):
    ana = captured(
        "ana@acme.com", first_name="Ana", last_name="Alvarez", company="Acme", phone="5550100123"
    )
    for n in range(3):
        captured(f"ana{n}@home.net", first_name="Ana", last_name="Alvarez", company="Acme")

    with django_assert_num_queries(1):
        found = possible_duplicates(ana)

    assert len(found) == 3
