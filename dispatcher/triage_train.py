"""Train the triage model: the written corpus plus the coordinator's decisions -> a model
file of plain weights (config/triage_model.py writes it, normalizer/triage.py scores it).

scikit-learn is imported here only (the ``triage`` extra): the gateway scores without it.
Two multinomial logistic regressions over the same features (normalizer/triage_text.py):
``kind`` on every example, ``category`` on complaints with a category.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from config.triage_model import FORMAT
from normalizer.triage import Thresholds
from normalizer.triage_text import Stemmer, features, read_text

# Regularisation (inverse strength) of both models; chosen by 5-fold cross-validation on
# the training corpus only (docs/triage.md), never on the held-out file.
C_KIND = 30.0
C_CATEGORY = 30.0
MIN_WEIGHT = 5e-3  # smaller weights are dropped from the file: they never change a verdict


@dataclass(frozen=True)
class Example:
    """One labelled text: ``kind`` complaint or a junk kind, ``category`` for a complaint
    ('' when unknown), and where it came from (corpus, verify, dispatch, release, spam...)."""

    text: str
    kind: str
    category: str = ""
    source: str = "corpus"


def _fit(texts_features: Sequence[dict[str, float]], labels: Sequence[str], c: float) -> Any:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    vectorizer = DictVectorizer()
    counts = vectorizer.fit_transform(texts_features)
    transformer = TfidfTransformer(sublinear_tf=True)
    matrix = transformer.fit_transform(counts)
    classifier = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    classifier.fit(matrix, labels)
    return vectorizer, transformer, classifier


def _export(fitted: Any) -> dict[str, Any]:
    vectorizer, transformer, classifier = fitted
    classes = [str(c) for c in classifier.classes_]
    coef = classifier.coef_
    if len(classes) == 2:  # scikit-learn keeps one row for two classes: write both out
        coef = [-coef[0], coef[0]]
        intercept = [-float(classifier.intercept_[0]), float(classifier.intercept_[0])]
    else:
        intercept = [float(v) for v in classifier.intercept_]
    idf: dict[str, float] = {}
    weights: dict[str, list[float]] = {}
    for index, name in enumerate(vectorizer.feature_names_):
        row = [float(coef[k][index]) for k in range(len(classes))]
        if max(abs(v) for v in row) < MIN_WEIGHT:
            continue
        idf[name] = round(float(transformer.idf_[index]), 5)
        weights[name] = [round(v, 5) for v in row]
    return {"classes": classes, "idf": idf, "weights": weights, "intercept": intercept}


def keyword_examples(categories: Iterable[Any]) -> list[Example]:
    """Each category's keywords (categories.toml) as short labelled complaints: the words
    the rules know, so the model knows them too even where the corpus never used them."""
    return [
        Example(keyword, "complaint", category.code, "keywords")
        for category in categories
        for keyword in category.keywords
    ]


def train(
    examples: Iterable[Example],
    stem: Stemmer,
    *,
    version: str = "",
    categories: Iterable[Any] | None = None,
) -> dict[str, Any]:
    """A model file's contents trained on ``examples``; with ``categories`` (and enough
    examples) the thresholds are chosen on out-of-fold predictions (``choose_thresholds``),
    else the defaults are kept."""
    examples = list(examples)
    thresholds = Thresholds()
    if categories is not None:
        thresholds = choose_thresholds(examples, stem, list(categories)) or thresholds
    readings = [features(read_text(e.text, stem)) for e in examples]
    # The keywords teach the category model words; in the kind model a thousand one-word
    # "complaints" would teach that any short text is one (chatter is short).
    texts = [(f, e.kind) for f, e in zip(readings, examples, strict=True) if e.source != "keywords"]
    kind = _fit([f for f, _ in texts], [k for _, k in texts], C_KIND)
    complaints = [(f, e.category) for f, e in zip(readings, examples, strict=True)]
    complaints = [(f, c) for (f, c), e in zip(complaints, examples, strict=True)
                  if e.kind == "complaint" and c]  # fmt: skip
    category = _fit([f for f, _ in complaints], [c for _, c in complaints], C_CATEGORY)
    version = version or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return {
        "format": FORMAT,
        "version": version,
        "trained_on": dict(Counter(e.source for e in examples)),
        "kinds": dict(Counter(e.kind for e in examples)),
        "thresholds": thresholds.__dict__,
        "kind": _export(kind),
        "category": _export(category),
    }


# What the thresholds must hold on out-of-fold predictions of the training examples: well
# inside the targets (junk to an agency <= 2%, wrong unit <= 5%), since text from
# outside the corpus scores worse than the corpus scores on itself.
OOF_JUNK_TO_AGENCY = 0.01
OOF_WRONG_CATEGORY = 0.03
OOF_COMPLAINT_RECALL = 0.97  # complaints that must become cases (the target is 95%)
MIN_PER_KIND = 20  # fewer examples of complaints or of junk: keep the default thresholds


@dataclass(frozen=True)
class _Scored:
    example: Example
    complaint: float  # P(complaint), out of fold
    junk: float  # the likeliest junk kind's P
    keyword: bool  # a category keyword in the text
    signals: frozenset[str]
    code: str | None  # the category call at no threshold, its lead and reason
    lead: float
    reason: str


def out_of_fold(
    examples: Sequence[Example], stem: Stemmer, categories: Sequence[Any], folds: int = 5
) -> list[_Scored]:
    """Each corpus example scored by a model trained on the other folds (the keyword
    examples are in every fold's training), through the same scoring code intake uses."""
    from sklearn.model_selection import StratifiedKFold

    from normalizer.category import build_category_index, keyword_points
    from normalizer.triage import category_call, model_from_dict

    index = build_category_index(categories)
    texts = [e for e in examples if e.source != "keywords"]
    keywords = [e for e in examples if e.source == "keywords"]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    scored: list[_Scored] = []
    for train_at, test_at in splitter.split(texts, [e.kind for e in texts]):
        data = train([texts[i] for i in train_at] + keywords, stem, version="oof")
        data["thresholds"] = {**Thresholds().__dict__, "route": 0.0}
        model = model_from_dict(data)
        for i in test_at:
            example = texts[i]
            reading = read_text(example.text, stem)
            probs = model.kind.probabilities(features(reading))
            call = category_call(example.text, model, stem, index)
            scored.append(
                _Scored(
                    example,
                    probs.get("complaint", 0.0),
                    max((p for c, p in probs.items() if c != "complaint"), default=0.0),
                    bool(keyword_points(example.text, index)),
                    frozenset(reading.signals),
                    call.code,
                    call.confidence,
                    call.reason,
                )
            )
    return scored


def _is_complaint(s: _Scored, t: Thresholds) -> bool:
    """Whether triage_verdict calls this text a complaint under ``t``."""
    return s.complaint >= t.complaint or (
        s.keyword and s.complaint >= t.complaint_with_keyword and not s.signals
    )


def _auto_routed(s: _Scored, t: Thresholds) -> bool:
    """Whether intake would send this text straight to an agency under ``t`` (the decision
    of normalizer.triage: triage_verdict, then category_call, then auto_route)."""
    from normalizer.triage import CategoryCall, Kind, Verdict, auto_route

    if not _is_complaint(s, t):
        return False
    verdict = Verdict(Kind.COMPLAINT, s.complaint, "model", signals=tuple(s.signals))
    code = s.code if s.lead >= t.route else None
    return auto_route(verdict, CategoryCall(code, s.lead, s.reason), t) is None


def choose_thresholds(
    examples: Sequence[Example], stem: Stemmer, categories: Sequence[Any]
) -> Thresholds | None:
    """The thresholds chosen on out-of-fold predictions of the training examples (never a
    held-out set; ``pick_thresholds``). None: too few examples to choose from."""
    kinds = Counter("complaint" if e.kind == "complaint" else "junk"
                    for e in examples if e.source != "keywords")  # fmt: skip
    if min(kinds.get("complaint", 0), kinds.get("junk", 0)) < MIN_PER_KIND:
        return None
    return pick_thresholds(out_of_fold(examples, stem, categories))


def pick_thresholds(scored: Sequence[_Scored]) -> Thresholds:
    """First the complaint verdict: the highest P(complaint) threshold that still makes
    OOF_COMPLAINT_RECALL of the complaints cases. Then the auto-routing gate: the thresholds
    that send the most complaints to the right category's unit while junk reaching an
    agency and wrong categories stay under OOF_JUNK_TO_AGENCY and OOF_WRONG_CATEGORY (a
    tie: the higher, safer thresholds)."""
    junk = [s for s in scored if s.example.kind != "complaint"]
    complaints = [s for s in scored if s.example.kind == "complaint" and s.example.category]
    base = Thresholds()
    complaint = base.complaint
    for value in (0.7, 0.65, 0.6, 0.55, 0.5, 0.45, 0.4):
        verdicts = Thresholds(**{**base.__dict__, "complaint": value, "agency": 0.0,
                                 "route": 0.0, "route_model_only": 0.0})  # fmt: skip
        if sum(_is_complaint(s, verdicts) for s in complaints) >= OOF_COMPLAINT_RECALL * len(
            complaints
        ):
            complaint = value
            break
    best: tuple[float, Thresholds] | None = None
    for agency in (0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
        for route in (0.1, 0.15, 0.2, 0.25, 0.3, 0.4):
            for model_only in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01):
                t = Thresholds(**{**base.__dict__, "complaint": complaint,
                                  "agency": max(agency, complaint), "route": route,
                                  "route_model_only": model_only})  # fmt: skip
                leaked = sum(_auto_routed(s, t) for s in junk) / len(junk)
                routed = [s for s in complaints if _auto_routed(s, t)]
                wrong = sum(s.code != s.example.category for s in routed) / len(complaints)
                right = (len(routed) / len(complaints)) - wrong
                if leaked > OOF_JUNK_TO_AGENCY or wrong > OOF_WRONG_CATEGORY:
                    continue
                if best is None or right >= best[0] - 1e-9:  # a tie: the safer, higher one
                    best = (right, t)
    return best[1] if best else Thresholds(**{**base.__dict__, "agency": 1.01})


def cross_validate(examples: Sequence[Example], stem: Stemmer, c: float, folds: int = 5):
    """Accuracy of the kind and category models at regularisation ``c`` by k-fold on
    ``examples`` (the training corpus: how C_KIND and C_CATEGORY were chosen)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline

    def pipeline():
        return make_pipeline(
            DictVectorizer(),
            TfidfTransformer(sublinear_tf=True),
            LogisticRegression(C=c, max_iter=3000, class_weight="balanced"),
        )

    readings = [features(read_text(e.text, stem)) for e in examples]
    kind = cross_val_score(pipeline(), readings, [e.kind for e in examples], cv=folds).mean()
    pairs = [(f, e.category) for f, e in zip(readings, examples, strict=True)
             if e.kind == "complaint" and e.category]  # fmt: skip
    category = cross_val_score(
        pipeline(), [f for f, _ in pairs], [c for _, c in pairs], cv=folds
    ).mean()
    return float(kind), float(category)


def category_for_unit(category: str, unit: str, runtime: Any) -> str:
    """The category an operator's decision teaches: the case's own when the unit it went to
    owns that category (or no unit was named); else the one category the unit owns by
    default; else none (a unit owning several, a Kantor Camat: the text stays a complaint
    example only)."""
    if not unit:
        return category
    owners = [rule for rule in runtime.routing_rules if rule.unit == unit]
    if any(rule.category == category for rule in owners):
        return category
    defaults = {rule.category for rule in owners if rule.kecamatan_code is None}
    return defaults.pop() if len(defaults) == 1 else ""
