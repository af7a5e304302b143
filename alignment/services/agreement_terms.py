"""The terms of the alignment agreement: their names, their checks, one way to store each
(so two ways of writing the same term are the same term), how each reads as text, and
what one version changes in another, term by term (the page and the API show the same).

The vocabularies some terms draw from belong to the apps above: lead fields (``leads``),
stages (``leads``), rejection reason codes (``handoffs``). ``alignment`` sits below them
and may not import them, so these checks look at the shape only; the pages and the API,
which may import any app, offer and accept only the words those apps define.
"""

from dataclasses import dataclass
from typing import Any, TypeGuard

from alignment.humane import duration_text
from alignment.models import AgreementVersion

Status = AgreementVersion.Status

#: The terms a proposal may change, with their labels; the rest (number, status,
#: approvals) follow the approval flow.
AGREEMENT_TERMS = {
    "mql_threshold": "MQL threshold",
    "mql_required_fields": "Fields an MQL needs",
    "mql_requires_consent": "MQL needs consent",
    "claim_sla_minutes": "Claim within",
    "first_contact_sla_minutes": "First contact within",
    "sla_segments": "SLA by segment",
    "recycle_cooloff_days": "Recycle cool-off days",
    "rejection_reasons": "Rejection reasons sales may give",
    "responsibilities": "Who owns each stage",
    "definitions": "Definitions",
}

#: Longest SLA target, in working minutes: a month of eight-hour days.
MAX_SLA_MINUTES = 60 * 8 * 31
MAX_THRESHOLD = 100_000
MAX_COOLOFF_DAYS = 3650
MAX_DEFINITIONS = 20_000
#: Who does what at a stage: responsible and accountable are needed, the others optional.
RACI = ("responsible", "accountable", "consulted", "informed")
RACI_NEEDED = ("responsible", "accountable")
MAX_OWNER = 100
MAX_CODE = 40


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def sla_segment_errors(segments: object) -> list[str]:
    """What is wrong with an agreement's SLA segments (a list of
    ``{"name", "min_score", "claim_minutes", "first_contact_minutes"}``)."""
    if not isinstance(segments, list):
        return ["Give a list of segments."]
    problems: list[str] = []
    seen: set[int] = set()
    for index, segment in enumerate(segments, start=1):
        if not isinstance(segment, dict):
            problems.append(f"Segment {index}: give name, min_score and the two targets.")
            continue
        for key in ("min_score", "claim_minutes", "first_contact_minutes"):
            value = segment.get(key)
            if not _whole(value):
                problems.append(f"Segment {index}: {key} must be a whole number.")
            elif key != "min_score" and not 0 < value <= MAX_SLA_MINUTES:
                problems.append(f"Segment {index}: {key} must be 1 to {MAX_SLA_MINUTES}.")
            elif key == "min_score" and not -1000 <= value <= MAX_THRESHOLD:
                problems.append(f"Segment {index}: min_score is out of range.")
        name = segment.get("name", "")
        if not isinstance(name, str) or len(name) > 60:
            problems.append(f"Segment {index}: the name is text of at most 60 characters.")
        if _whole(segment.get("min_score")):
            if segment["min_score"] in seen:
                problems.append(f"Segment {index}: another segment starts at the same score.")
            seen.add(segment["min_score"])
        extra = set(segment) - {"name", "min_score", "claim_minutes", "first_contact_minutes"}
        if extra:
            problems.append(f"Segment {index}: unknown key {sorted(extra)[0]!r}.")
    return problems


def _code_errors(codes: object, *, what: str, at_least_one: bool) -> list[str]:
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        return [f"Give a list of {what}."]
    if any(not code.strip() or len(code) > MAX_CODE for code in codes):
        return [f"Each of the {what} is a code of 1 to {MAX_CODE} characters."]
    if len(set(codes)) != len(codes):
        return [f"Name each of the {what} once."]
    if at_least_one and not codes:
        return [f"Give at least one of the {what}."]
    return []


def responsibility_errors(owners: object) -> list[str]:
    """What is wrong with ``{stage: {"responsible", "accountable", "consulted",
    "informed"}}``: each stage listed needs someone responsible and someone accountable."""
    if not isinstance(owners, dict):
        return ['Give {"stage": {"responsible": ..., "accountable": ...}}.']
    problems: list[str] = []
    for stage, roles in owners.items():
        name = str(stage)[:20]
        if not isinstance(roles, dict):
            problems.append(f"{name}: give who is responsible and who is accountable.")
            continue
        extra = set(roles) - set(RACI)
        if extra:
            problems.append(f"{name}: unknown key {sorted(extra)[0]!r}; use {', '.join(RACI)}.")
            continue
        if any(not isinstance(value, str) or len(value) > MAX_OWNER for value in roles.values()):
            problems.append(f"{name}: each owner is text of at most {MAX_OWNER} characters.")
            continue
        missing = [key for key in RACI_NEEDED if not roles.get(key, "").strip()]
        if missing:
            problems.append(f"{name}: say who is {' and who is '.join(missing)}.")
    return problems


def term_errors(terms: dict[str, Any]) -> dict[str, list[str]]:
    """What is wrong with an agreement's terms, by term (empty: nothing)."""
    problems: dict[str, list[str]] = {}

    def whole(name: str, low: int, high: int) -> None:
        value = terms[name]
        if not _whole(value) or not low <= value <= high:
            problems[name] = [f"Give a whole number from {low} to {high}."]

    whole("mql_threshold", 0, MAX_THRESHOLD)
    whole("claim_sla_minutes", 1, MAX_SLA_MINUTES)
    whole("first_contact_sla_minutes", 1, MAX_SLA_MINUTES)
    whole("recycle_cooloff_days", 0, MAX_COOLOFF_DAYS)
    if not isinstance(terms["mql_requires_consent"], bool):
        problems["mql_requires_consent"] = ["Say true or false."]
    checks = {
        "mql_required_fields": _code_errors(
            terms["mql_required_fields"], what="lead fields", at_least_one=False
        ),
        "rejection_reasons": _code_errors(
            terms["rejection_reasons"], what="rejection reasons", at_least_one=True
        ),
        "sla_segments": sla_segment_errors(terms["sla_segments"]),
        "responsibilities": responsibility_errors(terms["responsibilities"]),
    }
    problems.update({name: errors for name, errors in checks.items() if errors})
    definitions = terms["definitions"]
    if not isinstance(definitions, str) or len(definitions) > MAX_DEFINITIONS:
        problems["definitions"] = [f"Write at most {MAX_DEFINITIONS} characters."]
    for name in (*checks, "definitions"):
        if name not in problems and _unstorable(terms[name]):
            problems[name] = ["Remove the NUL characters or broken Unicode from this term."]
    return problems


def _unstorable(value: Any) -> bool:
    """Whether text anywhere in ``value`` (keys included) has a NUL or a lone surrogate,
    which PostgreSQL cannot keep in text or JSON."""
    if isinstance(value, str):
        return "\x00" in value or any("\ud800" <= char <= "\udfff" for char in value)
    if isinstance(value, dict):
        return any(_unstorable(key) or _unstorable(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_unstorable(item) for item in value)
    return False


def text(value: str) -> str:
    """Free text as stored: one kind of line break, no blank edges (a browser's form
    sends ``\\r\\n``)."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip()


def normalised(name: str, value: Any) -> Any:
    """A valid term in the one way it is stored, so an unchanged term compares equal
    however it was written: segments highest first with every key, every stage with its
    four owners (stages nobody owns left out), text without ``\\r``."""
    if name == "sla_segments":
        rows = [{"name": row.get("name", ""), **row} for row in value]
        return sorted(rows, key=lambda row: -row["min_score"])
    if name == "responsibilities":
        owners = {
            stage: {key: text(roles.get(key, "")) for key in RACI} for stage, roles in value.items()
        }
        return {stage: roles for stage, roles in owners.items() if any(roles.values())}
    if name == "definitions":
        return text(value)
    return value


def same(name: str, before: Any, after: Any) -> bool:
    """Whether two stored values of a term say the same (lists of codes are sets)."""
    if name in ("mql_required_fields", "rejection_reasons"):
        return set(before or []) == set(after or [])
    return before == after


def _owners_text(roles: dict | None) -> str:
    if not roles:
        return "nobody"
    return "; ".join(f"{key} {roles.get(key) or '—'}" for key in RACI)


def term_text(name: str, value: Any) -> str:
    """A term as people read it in a list of changes."""
    if name == "mql_requires_consent":
        return "yes" if value else "no"
    if name in ("claim_sla_minutes", "first_contact_sla_minutes"):
        return duration_text(value)
    if name == "recycle_cooloff_days":
        return f"{value} days"
    if name in ("mql_required_fields", "rejection_reasons"):
        return ", ".join(value or []) or "none"
    if name == "sla_segments":
        return (
            "; ".join(
                f"{row.get('name') or 'Score ' + str(row['min_score']) + '+'} from "
                f"{row['min_score']}: claim {duration_text(row['claim_minutes'])}, first "
                f"contact {duration_text(row['first_contact_minutes'])}"
                for row in value or []
            )
            or "none"
        )
    if name == "responsibilities":
        return _owners_text(value)
    if name == "definitions":
        return value or "none"
    return str(value)


# What a version changes ------------------------------------------------------------------


@dataclass(frozen=True)
class TermChange:
    """One term a version changes: which (``part``: the stage, for who owns it), its
    label, and its value before and after, as stored and as people read it."""

    term: str
    label: str
    before: Any
    after: Any
    before_text: str
    after_text: str
    part: str = ""

    @property
    def long(self) -> bool:
        return self.term == "definitions"


@dataclass(frozen=True)
class AgreementDiff:
    """What ``version`` changes in ``base``, term by term, and what ``base`` is to it."""

    version: AgreementVersion
    base: AgreementVersion | None
    changes: list[TermChange]

    @property
    def stale(self) -> bool:
        """A draft compared with a version in force that it was not proposed from."""
        return (
            self.version.status == Status.DRAFT
            and self.base is not None
            and self.base.status == Status.IN_FORCE
            and self.version.based_on_id is not None
            and self.version.based_on_id != self.base.pk
        )

    @property
    def note(self) -> str:
        version, base = self.version, self.base
        if base is None:
            return f"v{version.number} has nothing before it to compare with."
        if self.stale and version.based_on is not None:
            return (
                f"Compared with v{base.number}, in force now. v{version.number} was proposed "
                f"from v{version.based_on.number}: approving it replaces v{base.number} as "
                "a whole."
            )
        if base.status == Status.IN_FORCE and version.status == Status.DRAFT:
            return f"Compared with v{base.number}, in force."
        return f"Compared with v{base.number}, which it was proposed from."


def diff_base(
    version: AgreementVersion, *, in_force: AgreementVersion | None
) -> AgreementVersion | None:
    """What ``version`` is compared with: a draft with the version in force (what
    approving it would replace), any other version with the one it was proposed from."""
    if version.status == Status.DRAFT and in_force is not None:
        return in_force
    return version.based_on


def agreement_diff(version: AgreementVersion, base: AgreementVersion | None) -> AgreementDiff:
    """The terms ``version`` changes in ``base``, field by field, in the order of
    ``AGREEMENT_TERMS``; who owns a stage is one change per stage."""
    changes: list[TermChange] = []
    for name, label in AGREEMENT_TERMS.items():
        if base is None:
            break
        before, after = getattr(base, name), getattr(version, name)
        if same(name, before, after):
            continue
        if name != "responsibilities":
            changes.append(
                TermChange(
                    name, label, before, after, term_text(name, before), term_text(name, after)
                )
            )
            continue
        before, after = before or {}, after or {}
        for stage in [*before, *(stage for stage in after if stage not in before)]:
            if before.get(stage) != after.get(stage):
                was, now = before.get(stage), after.get(stage)
                changes.append(
                    TermChange(
                        name,
                        f"Who owns {stage}",
                        was,
                        now,
                        term_text(name, was),
                        term_text(name, now),
                        part=stage,
                    )
                )
    return AgreementDiff(version=version, base=base, changes=changes)
