"""Triage: is an inbound text a complaint, a follow-up, a command or junk, and what is a
complaint about, each with a reason and a confidence. Pure: the model (weights loaded by
config/triage_model.py) and the stemmer arrive as arguments.

Two linear models score a text (multinomial logistic regression over the features of
normalizer/triage_text.py, trained by ``satupintu triage train``): ``kind`` says complaint or
which junk (spam, fraud, promo, chatter, empty), ``category`` says which category a complaint
is about. Rules come first where they are certain (a command keyword, an empty text, a text
that is nothing but a link, a number or a base64 blob), and the category is the average of the
model's probabilities and the keyword matcher's shares, so the rules of categories.toml still
count and still explain.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from normalizer.category import CategoryIndex, keyword_points
from normalizer.records import Intent
from normalizer.triage_text import Stemmer, TextReading, features, read_text, tfidf


class Kind(StrEnum):
    """The verdict on an inbound text."""

    COMPLAINT = "complaint"
    FOLLOW_UP = "follow_up"
    COMMAND = "command"
    JUNK = "junk"
    UNCERTAIN = "uncertain"  # neither clearly: the coordinator decides


class JunkKind(StrEnum):
    SPAM = "spam"
    FRAUD = "fraud"
    PROMO = "promo"
    CHATTER = "chatter"
    EMPTY = "empty"


JUNK_KINDS = tuple(JunkKind)
# The keyword rules' share in a category decision (the model has the rest); chosen with the
# route threshold by cross-validation on the training corpus (docs/triage.md).
KEYWORD_WEIGHT = 0.3
# Junk whose sender is never answered (answering confirms a live number to a scammer, and
# costs an SMS): unless an operator releases the message.
SILENT_JUNK = frozenset({JunkKind.SPAM, JunkKind.FRAUD, JunkKind.PROMO})


@dataclass(frozen=True, eq=False)
class LinearModel:
    """One multinomial logistic regression: idf and per-class weights per feature."""

    classes: tuple[str, ...]
    idf: Mapping[str, float]
    weights: Mapping[str, Sequence[float]]
    intercept: Sequence[float]

    def probabilities(self, counts: dict[str, float]) -> dict[str, float]:
        vector = tfidf(counts, self.idf)
        logits = list(self.intercept)
        for feature, value in vector.items():
            row = self.weights.get(feature)
            if row is not None:
                for i, weight in enumerate(row):
                    logits[i] += value * weight
        top = max(logits)
        exps = [math.exp(v - top) for v in logits]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps, strict=True)}


@dataclass(frozen=True)
class Thresholds:
    """Where the verdicts change (shipped in the model file; docs/triage.md says how set)."""

    complaint: float = 0.6  # P(complaint) at or above: a complaint
    complaint_with_keyword: float = 0.3  # the same when a category keyword is present
    junk: float = 0.5  # P(one junk kind) at or above: junk of that kind
    route: float = 0.2  # category confidence (lead) below this: the coordinator routes
    # Auto-routing to an agency needs BOTH calls sure (``auto_route``): P(complaint) at or
    # above ``agency``, and a category the keywords and the model agree on (lead >= route)
    # or the model alone by a lead of ``route_model_only``. Chosen on out-of-fold
    # predictions of the training corpus (dispatcher/triage_train.choose_thresholds).
    agency: float = 0.85
    route_model_only: float = 0.6


@dataclass(frozen=True, eq=False)
class TriageModel:
    """What triage needs: the two models, the thresholds, and a version for the events."""

    version: str
    kind: LinearModel
    category: LinearModel
    thresholds: Thresholds = field(default_factory=Thresholds)


def model_from_dict(data: dict[str, Any]) -> TriageModel:
    """The model a model file holds (config/triage_model.read_model reads and checks it)."""

    def linear(part: dict[str, Any]) -> LinearModel:
        return LinearModel(
            classes=tuple(part["classes"]),
            idf=part["idf"],
            weights=part["weights"],
            intercept=tuple(part["intercept"]),
        )

    return TriageModel(
        version=str(data["version"]),
        kind=linear(data["kind"]),
        category=linear(data["category"]),
        thresholds=Thresholds(**data.get("thresholds", {})),
    )


@dataclass(frozen=True)
class Verdict:
    """The triage verdict: ``junk_kind`` is set for junk (and the likeliest kind for an
    uncertain text); ``signals`` are the junk signals found, for the operator."""

    kind: Kind
    confidence: float
    reason: str
    junk_kind: JunkKind | None = None
    signals: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "confidence": round(self.confidence, 3),
            "reason": self.reason,
            "junk_kind": self.junk_kind.value if self.junk_kind else None,
            "signals": list(self.signals),
        }


@dataclass(frozen=True)
class CategoryCall:
    """Which category, how sure (0..1), and the runners-up an operator may want."""

    code: str | None
    confidence: float
    reason: str
    candidates: tuple[tuple[str, float], ...] = ()


def _rule_verdict(reading: TextReading, has_media: bool) -> Verdict | None:
    """Verdicts that need no model: empty texts and texts that are only signals."""
    signals = tuple(sorted(set(reading.signals)))
    if not reading.words and not reading.signals:
        if has_media:
            return None  # a photo without words: intake waits for its text
        return Verdict(Kind.JUNK, 1.0, "empty", JunkKind.EMPTY)
    if reading.letters == 0 or not any(len(w) > 1 for w in reading.words):
        # Nothing but links, numbers, codes, punctuation or emoji.
        if not reading.signals:
            return Verdict(Kind.JUNK, 1.0, "unreadable", JunkKind.EMPTY)
        return Verdict(Kind.JUNK, 1.0, "only_" + "_".join(signals), JunkKind.SPAM, signals)
    return None


def triage_verdict(
    text: str,
    intent: Intent,
    model: TriageModel,
    stem: Stemmer,
    categories: CategoryIndex,
    *,
    has_media: bool = False,
) -> Verdict:
    """The verdict on one inbound text (see the module doc)."""
    if intent is Intent.FOLLOW_UP:
        return Verdict(Kind.FOLLOW_UP, 1.0, "command_info")
    if intent is not Intent.NEW:
        return Verdict(Kind.COMMAND, 1.0, "command_" + intent.value)
    reading = read_text(text, stem)
    ruled = _rule_verdict(reading, has_media)
    if ruled is not None:
        return ruled
    signals = tuple(sorted(set(reading.signals)))
    if not reading.words:  # a photo with no words: a complaint waiting for its text
        return Verdict(Kind.COMPLAINT, 0.5, "media_only")
    probs = model.kind.probabilities(features(reading))
    complaint = probs.get(Kind.COMPLAINT.value, 0.0)
    junk_kind, junk = max(
        ((JunkKind(c), p) for c, p in probs.items() if c in JunkKind._value2member_map_),
        key=lambda pair: pair[1],
        default=(JunkKind.CHATTER, 0.0),
    )
    limits = model.thresholds
    keyword = bool(keyword_points(text, categories))
    if complaint >= limits.complaint:
        return Verdict(Kind.COMPLAINT, complaint, "model", signals=signals)
    if keyword and complaint >= limits.complaint_with_keyword and not signals:
        return Verdict(Kind.COMPLAINT, complaint, "model_and_keywords", signals=signals)
    if junk >= limits.junk:
        return Verdict(Kind.JUNK, junk, "model", junk_kind, signals)
    return Verdict(Kind.UNCERTAIN, max(complaint, junk), "low_confidence", junk_kind, signals)


# Junk signals a complaint has no business carrying: with one of them the coordinator looks
# first (a phone number or an amount of money is common in a complaint: "minta 200rb").
SUSPECT_SIGNALS = frozenset({"link", "shortlink", "base64", "apk", "reg", "ussd", "otp"})
# Category calls sure enough to route by themselves (the rest go to the coordinator).
AGREEING = frozenset({"model_and_keywords", "priority_keyword", "rules"})


def auto_route(verdict: Verdict | None, call: CategoryCall, limits: Thresholds) -> str | None:
    """Why a complaint must go to the coordinator rather than to the unit its category names,
    or None when both calls are sure: the verdict (a sure complaint, no suspect signal) and
    the category (keywords and model agree, or the model alone by a wide lead). ``verdict``
    None: a person already said it is a complaint (an operator released or split it)."""
    if call.code is None:
        return call.reason or "low_confidence"
    if verdict is not None:
        if verdict.kind is not Kind.COMPLAINT or verdict.confidence < limits.agency:
            return "unsure_complaint"
        if SUSPECT_SIGNALS.intersection(verdict.signals):
            return "junk_signals"
    if call.reason in AGREEING:
        return None
    if call.reason == "model_only" and call.confidence >= limits.route_model_only:
        return None
    return "rules_and_model_differ" if call.reason != "model_only" else "model_only_unsure"


def keyword_shares(text: str, categories: CategoryIndex) -> dict[str, float]:
    """The keyword matcher's points per category as shares of 1; a category with a higher
    priority that matched at all takes all of it (pungli is the Inspektorat's, whatever)."""
    points = keyword_points(text, categories)
    if not points:
        return {}
    top = max(categories.priorities[c] for c in points)
    points = {c: p for c, p in points.items() if categories.priorities[c] == top}
    total = sum(points.values())
    return {c: p / total for c, p in points.items()}


def category_call(
    text: str, model: TriageModel, stem: Stemmer, categories: CategoryIndex
) -> CategoryCall:
    """The category of a complaint: the mean of the model's and the keywords' opinions."""
    shares = keyword_shares(text, categories)
    reading = read_text(text, stem)
    if not reading.words and not shares:  # a photo alone, a bare link: nothing to go on
        return CategoryCall(None, 0.0, "no_category")
    probs = model.category.probabilities(features(reading))
    if shares and max(categories.priorities.get(c, 0) for c in shares) > 0:
        # A priority category (korupsi) found by its keywords: the rule decides outright.
        code = max(shares, key=shares.__getitem__)
        return CategoryCall(code, 1.0, "priority_keyword", ((code, 1.0),))
    weight = KEYWORD_WEIGHT if shares else 0.0  # no keyword found: the model alone
    combined = {
        code: (1 - weight) * probs.get(code, 0.0) + weight * shares.get(code, 0.0)
        for code in set(probs) | set(shares)
    }
    ranked = sorted(combined.items(), key=lambda pair: -pair[1])[:3]
    if not ranked:
        return CategoryCall(None, 0.0, "no_category")
    # Confidence is the lead over the runner-up: with twenty-odd categories a top share of
    # 0.4 can be a clear call (0.4 against 0.05) or a coin toss (0.4 against 0.38).
    code = ranked[0][0]
    confidence = ranked[0][1] - (ranked[1][1] if len(ranked) > 1 else 0.0)
    rule_code = max(shares, key=shares.__getitem__) if shares else None
    model_code = max(probs, key=probs.__getitem__) if probs else None
    if rule_code and rule_code == model_code:
        reason = "model_and_keywords"
    elif rule_code:
        reason = "model_and_keywords_differ" if rule_code != code else "keywords_over_model"
    else:
        reason = "model_only"
    candidates = tuple((c, round(p, 3)) for c, p in ranked)
    if confidence < model.thresholds.route:
        return CategoryCall(None, confidence, "low_confidence", candidates)
    return CategoryCall(code, confidence, reason, candidates)
