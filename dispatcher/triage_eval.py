"""How triage does on labelled texts: each text goes the way intake takes an SMS (normalize,
verdict, the low-information hold, routing) and is counted against its labels.

The figures are the issue's "done when": junk reaching an agency, junk becoming any case,
complaints becoming cases, at the right unit, at a wrong unit (the rest wait for the
coordinator), plus per category and a confusion of kinds. Pure apart from the model file.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from config.reference import coordinator_of
from config.triage_model import CorpusRow
from dispatcher.routing import route_complaint
from dispatcher.similarity import low_information
from dispatcher.triage import route_record, verdict_for
from normalizer.category import CategoryMatch
from normalizer.location import LocationMatch
from normalizer.normalize import normalize
from normalizer.records import Channel, InboundMessage, Intent
from normalizer.triage import Kind

WHEN = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Outcome:
    """What intake would do with one text."""

    row: CorpusRow
    verdict: str  # complaint / junk:<kind> / uncertain / command / follow_up / thin
    case: bool
    unit: str | None
    expected_unit: str | None
    category: str | None


@dataclass
class Evaluation:
    outcomes: list[Outcome] = field(default_factory=list)
    coordinator: str = ""

    def _complaints(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.row.kind == "complaint"]

    def _junk(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.row.kind != "complaint"]

    def figures(self) -> dict[str, float]:
        """The done-when figures, as fractions."""
        complaints, junk = self._complaints(), self._junk()

        def share(items: list[Outcome], test) -> float:
            return sum(1 for o in items if test(o)) / len(items) if items else 0.0

        def agency(o: Outcome) -> bool:
            return o.case and o.unit != self.coordinator

        right = share(complaints, lambda o: o.case and o.unit == o.expected_unit)
        wrong = share(complaints, lambda o: agency(o) and o.unit != o.expected_unit)
        return {
            "complaints": len(complaints),
            "junk": len(junk),
            "junk_to_agency": share(junk, agency),
            "junk_to_case": share(junk, lambda o: o.case),
            "junk_recall": share(junk, lambda o: not o.case),
            "complaint_to_case": share(complaints, lambda o: o.case),
            "right_unit": right,
            "wrong_unit": wrong,
            "at_coordinator": share(complaints, lambda o: o.case) - right - wrong,
            "kind_accuracy": share(self.outcomes, _kind_right),
            "category_accuracy": share(
                [o for o in complaints if o.case], lambda o: o.category == o.row.category
            ),
        }

    def per_category(self) -> dict[str, dict[str, float]]:
        rows: dict[str, list[Outcome]] = defaultdict(list)
        for o in self._complaints():
            rows[o.row.category].append(o)
        table = {}
        for code, items in sorted(rows.items()):
            n = len(items)
            right = sum(1 for o in items if o.case and o.unit == o.expected_unit)
            wrong = sum(
                1 for o in items
                if o.case and o.unit not in (o.expected_unit, self.coordinator)
            )  # fmt: skip
            cases = sum(1 for o in items if o.case)
            table[code] = {"n": n, "case": cases / n, "right": right / n, "wrong": wrong / n}
        return table

    def confusion(self) -> dict[str, Counter[str]]:
        """True kind -> what triage made of it."""
        table: dict[str, Counter[str]] = defaultdict(Counter)
        for o in self.outcomes:
            table[o.row.kind][o.verdict] += 1
        return dict(table)

    def category_confusion(self) -> dict[str, Counter[str]]:
        """True category -> category the case got (cases only; '-' none)."""
        table: dict[str, Counter[str]] = defaultdict(Counter)
        for o in self._complaints():
            if o.case:
                table[o.row.category][o.category or "-"] += 1
        return dict(table)


def _kind_right(o: Outcome) -> bool:
    if o.row.kind == "complaint":
        return o.verdict == "complaint"
    return o.verdict == f"junk:{o.row.kind}"


def expected_unit(row: CorpusRow, runtime: Any) -> str:
    category = CategoryMatch(row.category, 1.0, False, (row.category,))
    place = LocationMatch(row.kecamatan_code or None, None, False, (), None)
    return route_complaint(category, place, runtime.routing_rules, runtime.units).unit


def outcome_of(row: CorpusRow, runtime: Any, index: int = 0) -> Outcome:
    inbound = InboundMessage(
        channel=Channel.SMS,
        provider="eval",
        external_id=f"eval-{index}",
        sender="tel:+6281200000000",
        recipient="1708",
        text=row.text,
        received_at=WHEN,
    )
    record = normalize(inbound, runtime.rules)
    expected = expected_unit(row, runtime) if row.kind == "complaint" else None
    verdict = verdict_for(record, runtime)
    if verdict.kind is not Kind.COMPLAINT:
        label = f"junk:{verdict.junk_kind}" if verdict.kind is Kind.JUNK else verdict.kind.value
        # A command or follow-up is not a new case either (it is answered as what it is).
        return Outcome(row, label, False, None, expected, None)
    routed, route = route_record(record, runtime, verdict)
    thin = low_information(
        routed.text,
        has_category=bool(routed.category or routed.category_candidates),
        has_place=bool(routed.kecamatan_code or routed.desa_code or routed.location_candidates),
    )
    if thin and record.intent is Intent.NEW:
        return Outcome(row, "thin", False, None, expected, None)
    return Outcome(row, "complaint", True, route.unit, expected, routed.category)


def evaluate(rows: Iterable[CorpusRow], runtime: Any) -> Evaluation:
    result = Evaluation(coordinator=coordinator_of(runtime.units).code)
    for index, row in enumerate(rows):
        result.outcomes.append(outcome_of(row, runtime, index))
    return result
