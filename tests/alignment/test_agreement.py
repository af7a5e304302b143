"""The agreement in force and the role lookups the services use."""

import pytest

from alignment.models import AgreementVersion
from alignment.services import NoAgreementInForce, agreement_in_force, users_with_role
from tests.factories import UserFactory


def test_the_data_migration_puts_the_first_agreement_in_force(db):
    agreement = agreement_in_force()
    assert (agreement.number, agreement.mql_threshold) == (1, 50)
    assert (agreement.claim_sla_minutes, agreement.first_contact_sla_minutes) == (60, 240)


def test_without_an_agreement_in_force_it_says_so(db):
    AgreementVersion.objects.update(status=AgreementVersion.Status.SUPERSEDED)
    with pytest.raises(NoAgreementInForce):
        agreement_in_force()


def test_users_with_role_lists_active_holders_only(db, rep, other_rep, marketer):
    UserFactory(username="gone", roles=["sales"], is_active=False)
    assert set(users_with_role("sales")) == {rep, other_rep}
