"""errors.csv opens in a spreadsheet as data: no cell from an imported file runs as a formula."""

import pytest

from leads.imports.queries import spreadsheet_safe


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://evil")', "@SUM(A1)", "+cmd|' /C calc'!A0", "-2+3+cmd", "\t=1"],
)
def test_a_formula_cell_is_written_as_text(cell):
    assert spreadsheet_safe(cell) == "'" + cell


@pytest.mark.parametrize(
    "cell", ["+49 30 1234567", "-12.5", "+1 (555) 010-0199", "ana@acme.com", ""]
)
def test_numbers_phones_and_plain_text_are_left_as_they_are(cell):
    assert spreadsheet_safe(cell) == cell
