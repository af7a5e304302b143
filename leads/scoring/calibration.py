"""Calibration maths: how well lead scores foretold what sales did with the leads.

Pure functions over counts, no database. ``kpis.queries`` aggregates the handoffs into
one row per score band or per distinct score in SQL, so the work here grows with the
number of distinct scores (a few hundred at most), never with the number of leads.

The words:
- an **outcome** is what came of one handoff: the lead reached SQL (a **positive**), or
  it did not and left sales' hands (sales rejected it, lost it, disqualified it or sent
  it back). Won leads passed through SQL, so they are positives too.
- a **decided** handoff is one sales accepted (claimed and kept) or rejected; the
  acceptance rate is accepted ÷ decided, as on the dashboard.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

#: Points per score band: bands read as "50–59", the same steps a threshold is set in.
BAND_WIDTH = 10
DEFAULT_TARGET = 0.8
MIN_TARGET, MAX_TARGET = 0.5, 1.0


def band_low(score: int, width: int = BAND_WIDTH) -> int:
    """The lowest score of the band holding ``score``; negative scores band downwards
    (−1 is in −10…−1), as the SQL in ``kpis.queries`` does.
    """
    return (score // width) * width


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class Band:
    """Handoffs with an outcome whose score was in ``low``…``high`` (both inclusive)."""

    low: int
    high: int
    leads: int
    sqls: int
    won: int

    @property
    def sql_rate(self) -> float | None:
        return _rate(self.sqls, self.leads)

    @property
    def won_rate(self) -> float | None:
        return _rate(self.won, self.leads)

    def as_dict(self) -> dict:
        return {
            "low": self.low,
            "high": self.high,
            "leads": self.leads,
            "sql_rate": self.sql_rate,
            "won_rate": self.won_rate,
        }


def bands(rows: Iterable[tuple[int, int, int, int]], width: int = BAND_WIDTH) -> list[Band]:
    """Bands from ``(low, leads, sqls, won)`` rows, lowest first.

    The empty bands between the lowest and the highest are filled in with zero leads,
    so a chart shows the gaps instead of closing them up.
    """
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for low, leads, sqls, won in rows:
        row = counts[band_low(low, width)]
        row[0], row[1], row[2] = row[0] + leads, row[1] + sqls, row[2] + won
    if not counts:
        return []
    lows = range(min(counts), max(counts) + width, width)
    return [
        Band(low, low + width - 1, *counts[low])
        if low in counts
        else Band(low, low + width - 1, 0, 0, 0)
        for low in lows
    ]


def _merged(rows: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """``(score, a, b)`` rows with one row per score, lowest score first."""
    merged: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for score, a, b in rows:
        merged[score][0] += a
        merged[score][1] += b
    return [(score, a, b) for score, (a, b) in sorted(merged.items())]


def roc_auc(counts: Iterable[tuple[int, int, int]]) -> float | None:
    """The ROC AUC of the score for ``(score, positives, negatives)`` rows.

    Computed exactly as the Mann-Whitney U statistic over all positive-negative pairs:
    a pair counts 1 when the positive scored higher, ½ when they tied, 0 otherwise, and
    the AUC is U ÷ (positives × negatives). 0.5 is a coin toss, 1.0 a perfect ranking.
    None when either class is empty: there is no pair to rank.
    """
    twice_u = 0  # 2U keeps the ties' halves in integers
    negatives_below = positives = negatives = 0
    for _, pos, neg in _merged(counts):
        twice_u += 2 * pos * negatives_below + pos * neg
        negatives_below += neg
        positives += pos
        negatives += neg
    if not positives or not negatives:
        return None
    return round(twice_u / (2 * positives * negatives), 4)


@dataclass(frozen=True)
class Acceptance:
    """What sales decided on the handoffs scored at or above ``threshold``."""

    threshold: int
    accepted: int
    rejected: int

    @property
    def decided(self) -> int:
        return self.accepted + self.rejected

    @property
    def rate(self) -> float | None:
        return _rate(self.accepted, self.decided)


def acceptance_at(counts: Iterable[tuple[int, int, int]], threshold: int) -> Acceptance:
    """Sales' decisions on the handoffs scored ``threshold`` or more, from
    ``(score, accepted, rejected)`` rows.
    """
    accepted = rejected = 0
    for score, yes, no in counts:
        if score >= threshold:
            accepted, rejected = accepted + yes, rejected + no
    return Acceptance(threshold, accepted, rejected)


def suggest_threshold(
    counts: Iterable[tuple[int, int, int]], target: float = DEFAULT_TARGET
) -> Acceptance | None:
    """The lowest threshold that would have kept sales' acceptance rate at ``target``.

    From ``(score, accepted, rejected)`` rows of decided handoffs: the lowest score
    ``t`` seen among them such that, of the handoffs scored ``t`` or more, sales accepted
    at least ``target``. Only scores that occur are tried: between two of them the data
    says nothing new, and the score of a real handoff is the honest suggestion. None
    when no threshold reaches the target (or nothing was decided yet).
    """
    goal = Fraction(str(target))  # exact: 4 of 5 meets 0.8, whatever floats make of it
    best = None
    accepted = rejected = 0
    for score, yes, no in reversed(_merged(counts)):
        accepted, rejected = accepted + yes, rejected + no
        if accepted + rejected and Fraction(accepted, accepted + rejected) >= goal:
            best = Acceptance(score, accepted, rejected)
    return best


@dataclass(frozen=True)
class CalibrationReport:
    """What the calibration page and ``/api/v1/scoring/calibration/`` show."""

    bands: list[Band]
    auc: float | None
    outcomes: int
    positives: int
    target_acceptance_rate: float
    suggested: Acceptance | None
    current_threshold: int | None
    current: Acceptance | None

    @property
    def suggested_threshold(self) -> int | None:
        return self.suggested.threshold if self.suggested else None

    def as_note(self, *, version: int, on: date) -> str:
        """The figures behind a proposed threshold, for the draft agreement's notes."""

        def pct(rate: float | None) -> str:
            return "—" if rate is None else f"{rate * 100:.1f} %"

        lines = [f"Proposed from the calibration report of {on:%d %b %Y}."]
        if self.suggested is not None:
            lines.append(
                f"Of the {self.suggested.decided} handoffs scored {self.suggested.threshold} "
                f"or more, sales accepted {pct(self.suggested.rate)} "
                f"(target {pct(self.target_acceptance_rate)})."
            )
        if self.current is not None:
            lines.append(
                f"At the threshold of v{version} ({self.current.threshold}): "
                f"{pct(self.current.rate)} of {self.current.decided} handoffs."
            )
        auc = "—" if self.auc is None else f"{self.auc:.2f}"
        lines.append(
            f"ROC AUC of the score: {auc}, over {self.outcomes} handoffs with an outcome "
            f"({self.positives} reached SQL)."
        )
        return "\n".join(lines)
