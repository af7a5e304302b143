"""How the dashboard's tables read: amounts without the currency in every cell (the
column header names it), and the campaign table's cells that need a label."""

from decimal import Decimal

from django import template

from alignment.templatetags.tandem import EMPTY

register = template.Library()


@register.filter
def amount(value: Decimal | None) -> str:
    """``12,400.00``: an amount whose currency the column header names; "—" for none."""
    return EMPTY if value is None else f"{value:,.2f}"
