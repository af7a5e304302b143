"""``kpis.charts``: SVG line charts drawn by the server."""

import re
from decimal import Decimal

from kpis.charts import Point, line_chart, nice_ticks


def test_ticks_are_round_numbers_covering_the_top():
    assert nice_ticks(87) == [0, 25, 50, 75, 100]
    assert nice_ticks(4) == [0, 1, 2, 3, 4]
    assert nice_ticks(12_400) == [0, 5000, 10000, 15000]
    assert nice_ticks(0) == [0.0, 1.0]


def test_a_chart_says_what_it_shows_for_screen_readers_and_print():
    svg = line_chart([Point("Jan", 10), Point("Feb", 30), Point("Mar", 20)], title="MQLs per month")

    assert svg.startswith('<svg class="chart"')
    assert 'role="img"' in svg
    assert '<title id="chart-title">MQLs per month</title>' in svg
    assert "lowest 10 (Jan), highest 30 (Feb), last 20." in svg
    assert "<title>Feb: 30</title>" in svg
    assert "style=" not in svg


def test_a_missing_value_breaks_the_line_instead_of_dropping_to_zero():
    svg = line_chart(
        [Point("W1", 5), Point("W2", 6), Point("W3", None), Point("W4", 7), Point("W5", 8)],
        title="Rate",
    )

    assert svg.count("<polyline") == 2
    assert svg.count("<circle") == 4


def test_labels_and_titles_are_escaped():
    svg = line_chart([Point("<b>", Decimal("1.5"))], title='Won "revenue" <script>')

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "&lt;b&gt;" in svg


def test_money_is_described_with_the_callers_format():
    svg = line_chart(
        [Point("Jan", Decimal("1200.50"))], title="Won", describe=lambda v: f"€{v:,.0f}"
    )

    assert "<title>Jan: €1,200</title>" in svg


def test_points_stay_inside_the_drawing():
    svg = line_chart([Point(str(i), i * 37) for i in range(30)], title="Leads", width=600)

    xs = [float(v) for v in re.findall(r'cx="([\d.]+)"', svg)]
    ys = [float(v) for v in re.findall(r'cy="([\d.]+)"', svg)]
    assert min(xs) >= 0 and max(xs) <= 600
    assert min(ys) >= 0 and max(ys) <= 220


def test_an_empty_series_is_drawn_with_a_note():
    svg = line_chart([], title="Nothing")

    assert "No values in this range." in svg
