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


def train(examples: Iterable[Example], stem: Stemmer, *, version: str = "") -> dict[str, Any]:
    """A model file's contents trained on ``examples``."""
    examples = list(examples)
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
        "thresholds": Thresholds().__dict__,
        "kind": _export(kind),
        "category": _export(category),
    }


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
