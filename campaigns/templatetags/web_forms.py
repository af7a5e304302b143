"""Template filters for what the web forms ask: a company size as the visitor chose it."""

from django import template

from campaigns.models import company_size_label

register = template.Library()


@register.filter
def company_size(size: int | None) -> str:
    """``201`` from a web form's "201–500 people" reads as that band again."""
    return company_size_label(size)
