"""Reads for leads that are more than a filter: possible duplicates of a lead."""

from dataclasses import dataclass

from django.db.models import Q
from django.db.models.functions import Lower

from leads.models import Lead

#: Digits a phone number needs before it says anything about who someone is.
MIN_PHONE_DIGITS = 7


@dataclass(frozen=True)
class PossibleDuplicate:
    lead: Lead
    reasons: tuple[str, ...]


def possible_duplicates(lead: Lead, *, limit: int = 10) -> list[PossibleDuplicate]:
    """Other leads that may be the same person: same name at the same company, or the
    same phone digits. One indexed query; the newest first."""
    name = {
        "first_lower": lead.first_name.strip().lower(),
        "last_lower": lead.last_name.strip().lower(),
        "company_lower": lead.company.strip().lower(),
    }
    same_name = Q(**name) if all(name.values()) else None
    digits = lead.phone_digits if len(lead.phone_digits or "") >= MIN_PHONE_DIGITS else ""
    same_phone = Q(phone_digits=digits) if digits else None
    parts = [part for part in (same_name, same_phone) if part is not None]
    if not parts:
        return []
    condition = parts[0] if len(parts) == 1 else parts[0] | parts[1]
    candidates = (
        # The expressions of the ``lead_name_company`` index, so the index answers.
        Lead.objects.alias(
            first_lower=Lower("first_name"),
            last_lower=Lower("last_name"),
            company_lower=Lower("company"),
        )
        .filter(condition)
        .exclude(pk=lead.pk)
        .select_related("campaign", "owner")
        .order_by("-created_at", "-id")[:limit]
    )
    found = []
    for other in candidates:
        reasons = []
        if same_name is not None and (
            other.first_name.lower(),
            other.last_name.lower(),
            other.company.lower(),
        ) == tuple(name.values()):
            reasons.append("Same name and company")
        if digits and other.phone_digits == digits:
            reasons.append("Same phone")
        found.append(PossibleDuplicate(lead=other, reasons=tuple(reasons)))
    return found
