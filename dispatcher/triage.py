"""Triage at intake: the verdict on a record and, for a complaint, the routing decision with
its confidence. Pure apart from reading the model file once (config/triage_model.py); the
scoring is normalizer/triage.py, the rules dispatcher/routing.py.

How a complaint is routed: the category is the mean of the model's and the keyword rules'
opinions (``normalizer.triage.category_call``). A case goes to the unit routing.toml names
only when both calls are sure (``normalizer.triage.auto_route``): a confident complaint
verdict with no link, code or blob in it, and a category the keywords and the model agree
on (or the model alone by a wide lead). Otherwise, or when the rules of routing.toml cannot
name one unit, the coordinator decides, with the likeliest categories shown. A category a
web or API citizen chose is theirs and routes by the rules alone.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import re
from dataclasses import dataclass, field
from typing import Any

from adapters.registry import channels_where
from config.reference import Unit, coordinator_of
from config.triage_model import model_path, read_model, stemmer
from dispatcher.routing import RouteDecision, route_complaint
from normalizer.category import CategoryIndex, CategoryMatch, build_category_index
from normalizer.location import LocationMatch
from normalizer.records import Channel, ComplaintRecord
from normalizer.triage import (
    CategoryCall,
    TriageModel,
    Verdict,
    auto_route,
    category_call,
    model_from_dict,
    triage_verdict,
)

# Channels whose category, when present, a citizen chose on a form (kept as chosen).
DECLARED_CHANNELS = channels_where(lambda spec: spec.raw_is_ours)
LOW_CONFIDENCE = "low_confidence"
_TWITTER_LINK = re.compile(r"https?://t\.co/\S+")

_category_indexes: dict[int, CategoryIndex] = {}
# Why the coordinator got a complaint instead of the unit (``auto_route``), for operators.
_HELD_BACK = {
    "low_confidence": "Kategori kurang yakin",
    "no_category": "Kategori tidak dikenali",
    "unsure_complaint": "Belum yakin ini aduan",
    "junk_signals": "Ada tautan/kode mencurigakan",
    "rules_and_model_differ": "Kata kunci dan model tidak sepakat soal kategori",
    "model_only_unsure": "Kategori hanya dari model, kurang yakin",
}


def model_for(runtime: Any) -> TriageModel:
    """The model this runtime scores with (re-read when the file changes)."""
    settings = runtime.settings
    path = model_path(settings.data_dir, getattr(settings, "triage_model", ""))
    return _model(str(path), os.stat(path).st_mtime)


@functools.lru_cache(maxsize=8)
def _model(path: str, mtime: float) -> TriageModel:
    """Built once per file version: a retrained model is used from the next message on."""
    return model_from_dict(read_model(path))


def category_index(runtime: Any) -> CategoryIndex:
    key = id(runtime.categories)
    if key not in _category_indexes:
        _category_indexes[key] = build_category_index(runtime.categories)
    return _category_indexes[key]


def _scored_text(record: ComplaintRecord) -> str:
    """The words triage reads: on X every photo and quote comes as a t.co link X itself
    adds, which says nothing about spam there."""
    if record.channel is Channel.TWITTER:
        return _TWITTER_LINK.sub(" ", record.text)
    return record.text


def verdict_for(record: ComplaintRecord, runtime: Any) -> Verdict:
    """The triage verdict on ``record`` (its intent was read by the normalizer)."""
    return triage_verdict(
        _scored_text(record),
        record.intent,
        model_for(runtime),
        stemmer(),
        category_index(runtime),
        has_media=bool(record.media),
    )


@dataclass(frozen=True)
class TriagedRoute:
    """A routing decision as intake stores it (casestore's ``Routing``), with what the
    routing event keeps for the console and for training: the verdict and category call."""

    unit: str
    reason: str
    explanation: str
    category: str | None
    data: dict[str, Any] = field(default_factory=dict)


def _location(record: ComplaintRecord) -> LocationMatch:
    return LocationMatch(
        kecamatan_code=record.kecamatan_code,
        desa_code=record.desa_code,
        ambiguous=bool(record.location_candidates),
        candidates=record.location_candidates,
        matched=None,
    )


def decide_route(
    record: ComplaintRecord,
    call: CategoryCall | None,
    verdict: Verdict | None,
    runtime: Any,
    *,
    model_version: str = "",
) -> TriagedRoute:
    """The owner of a new case: ``call`` is the category decision (None: the record's own
    category, as the rules read it or a citizen chose it)."""
    units: list[Unit] = list(runtime.units)
    if call is None:
        code, confidence, why = record.category, 1.0 if record.category else 0.0, "rules"
        match = CategoryMatch(code, confidence, bool(record.category_candidates),
                              record.category_candidates)  # fmt: skip
    else:
        code, confidence, why = call.code, call.confidence, call.reason
        match = CategoryMatch(code, confidence, False, (code,) if code else ())
    data: dict[str, Any] = {"category_confidence": round(confidence, 3), "category_reason": why}
    if call is not None:
        data["category_candidates"] = [list(pair) for pair in call.candidates]
    if verdict is not None:
        data["triage"] = verdict.to_dict()
    if model_version:
        data["model"] = model_version
    triage_words = f"Triase: {verdict.kind.value} ({verdict.confidence:.2f}). " if verdict else ""
    held_back = None if call is None else auto_route(verdict, call, model_for(runtime).thresholds)
    if call is not None and held_back is not None:
        coordinator = coordinator_of(units)
        options = ", ".join(f"{c} {p:.2f}" for c, p in call.candidates) or "tidak ada"
        data["held_back"] = held_back
        return TriagedRoute(
            coordinator.code,
            LOW_CONFIDENCE,
            f"{triage_words}{_HELD_BACK.get(held_back, _HELD_BACK['low_confidence'])} "
            f"({options}) → {coordinator.name}.",
            None,
            data,
        )
    decision: RouteDecision = route_complaint(
        match, _location(record), runtime.routing_rules, units
    )
    shown = f"yakin {confidence:.2f}, {why}"
    return TriagedRoute(
        decision.unit,
        decision.reason,
        f"{triage_words}{decision.explanation} [kategori {shown}]",
        code,
        data,
    )


def route_record(
    record: ComplaintRecord, runtime: Any, verdict: Verdict | None = None
) -> tuple[ComplaintRecord, TriagedRoute]:
    """The record with the category triage settled on, and where it goes."""
    if record.channel in DECLARED_CHANNELS and record.category:
        return record, decide_route(record, None, verdict, runtime)
    model = model_for(runtime)
    call = category_call(_scored_text(record), model, stemmer(), category_index(runtime))
    route = decide_route(record, call, verdict, runtime, model_version=model.version)
    candidates = tuple(c for c, _ in call.candidates[:2]) if route.category is None else ()
    record = dataclasses.replace(record, category=route.category, category_candidates=candidates)
    return record, route
